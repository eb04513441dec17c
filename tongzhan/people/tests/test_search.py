"""The query system: what a typed query finds, how filters narrow it, what scope hides, what bad input gets.

Everything goes through the search page as a user would use it (GET /people/?…), except the pure
properties of the search key, which hypothesis checks on `search.sort_code` and `search.doc_key`.
"""

import datetime

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from conftest import PEOPLE
from tongzhan.core import identity, names
from tongzhan.core.actors import SYSTEM
from tongzhan.people import search, services
from tongzhan.people.models import Category, CategoryMembership, Ethnicity, Person, PersonSearchDoc

pytestmark = pytest.mark.django_db

X_ID = "33020619900101118X"  # valid, ends in X; born 1990-01-01, female
LIST = "/people/"


def world_id(key: str) -> str:
    """The ID number the world stored for a village's person (conftest fixes the check digit)."""
    first17 = PEOPLE[key][0][:17]
    return first17 + identity.check_digit(first17)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The world creates nine users; the default hasher would spend seconds on each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def found(response) -> list[str]:
    """Names on the result page, in page order; None when the page shows no results at all."""
    page = response.context["page"]
    return None if page is None else [p.name for p in page.people]


def results_html(response) -> str:
    html = response.content.decode()
    start = html.find('id="results"')
    return html[start:] if start >= 0 else html


def search_as(client, **params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    return response


def add_person(name, region, *, id_number="", phone="", ethnicity_code="01"):
    return services.create_person(
        actor=SYSTEM,
        data=services.PersonInput(
            name=name,
            region=region,
            id_number=id_number,
            phone=phone,
            ethnicity=Ethnicity.objects.get(code=ethnicity_code),
        ),
    )


def input_from(person, **changes) -> services.PersonInput:
    """The person's current values as a form would submit them, with `changes` applied."""
    ethnicity = person.decrypt("ethnicity")
    data = services.PersonInput(
        name=person.name,
        region=person.region,
        sex=person.sex,
        birth_date=person.birth_date,
        id_kind=person.id_kind,
        id_number=person.decrypt("id_number"),
        phone=person.decrypt("phone"),
        address=person.decrypt("address"),
        ethnicity=Ethnicity.objects.get(code=ethnicity) if ethnicity else None,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def age(key) -> int:
    number = PEOPLE[key][0]
    birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return identity.age_on(birth, timezone.localdate())


# --- finding a person by what was typed -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["曾", "国藩", "曾国藩", "zengguofan", "zeng", "zengg", "guofan", "zgf", "ZGF"]
)
def test_typing_part_of_a_name_its_pinyin_or_initials_finds_zeng_guofan(world, as_user, typed):
    assert found(search_as(as_user(world.district_staff), q=typed)) == ["曾国藩"]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("stf", "单田芳"),
        ("shantianfang", "单田芳"),
        ("shan", "单田芳"),
        ("田芳", "单田芳"),
        ("oyx", "欧阳修"),
        ("ouyangxiu", "欧阳修"),
        ("ouyang", "欧阳修"),
        ("欧阳", "欧阳修"),
    ],
)
def test_surnames_are_read_as_surnames_and_compound_surnames_are_kept_together(world, as_user, typed, name):
    assert found(search_as(as_user(world.district_staff), q=typed)) == [name]


def test_a_query_matching_no_one_finds_no_one(world, as_user):
    response = search_as(as_user(world.district_staff), q="zzzq")
    assert found(response) == []
    assert "没有找到符合条件的统战对象" in response.content.decode()


@pytest.mark.parametrize(
    "typed",
    [
        X_ID,
        X_ID.lower(),
        "３３０２０６１９９００１０１１１８ｘ",
        "330206 19900101 118X",
        " 330206-1990-0101-118x ",
    ],
)
def test_an_id_number_is_found_however_it_is_written(world, as_user, typed):
    add_person("钱学森", world.village_a1, id_number=X_ID)
    response = search_as(as_user(world.township_staff), q=typed)
    assert found(response) == ["钱学森"]
    assert response.context["page"].kind == "id"


def test_a_valid_id_number_nobody_has_finds_no_one(world, as_user):
    response = search_as(as_user(world.district_staff), q=X_ID)
    assert found(response) == []


@pytest.mark.parametrize(
    "typed",
    [
        "13800000001",
        "138-0000-0001",
        "138 0000 0001",
        "+86 138 0000 0001",
        "+86-138-0000-0001",
        "008613800000001",
    ],
)
def test_a_phone_number_is_found_with_dashes_spaces_or_the_country_code(world, as_user, typed):
    response = search_as(as_user(world.district_staff), q=typed)
    assert found(response) == ["单田芳"]
    assert response.context["page"].kind == "phone"


def test_results_come_in_pinyin_order_not_character_or_entry_order(world, as_user):
    add_person("艾青", world.village_b1)
    add_person("赵六", world.village_a1)
    add_person("张三", world.village_a2)
    # 曾 U+66FE, 单 U+5355, 欧 U+6B27: code-point order and entry order both differ from pinyin order.
    assert found(search_as(as_user(world.district_staff))) == [
        "艾青",
        "欧阳修",
        "单田芳",
        "曾国藩",
        "张三",
        "赵六",
    ]
    assert found(search_as(as_user(world.district_staff), q="z")) == ["曾国藩", "张三", "赵六"]


def test_names_sharing_their_first_eight_pinyin_letters_are_ordered_by_full_pinyin_within_a_page(world, as_user):
    # The key holds eight letters of pinyin above the id: zhangsan|feng and zhangsan tie in the index,
    # and the page finishes the order on the full pinyin, whatever the order of entry.
    add_person("张三丰", world.village_a2)
    add_person("张三", world.village_a1)
    assert found(search_as(as_user(world.district_staff), q="zs")) == ["张三", "张三丰"]


def test_the_result_count_is_shown(world, as_user):
    response = search_as(as_user(world.district_staff))
    assert response.context["page"].count == 3
    assert "共 3 条" in response.content.decode()


# --- filters ---------------------------------------------------------------------------------------


def test_the_category_filter_keeps_only_members_of_that_database(world, as_user):
    outsider = add_person("张三", world.village_a1)
    boss = add_person("李四", world.village_a1)
    services.join_category(
        actor=SYSTEM,
        person=boss,
        category=Category.objects.get(code="entrepreneur"),
        attributes={"enterprise_name": "李氏五金厂"},
    )
    client = as_user(world.township_staff)
    assert found(search_as(client, category="notable")) == ["单田芳", "曾国藩"]
    assert found(search_as(client, category="entrepreneur")) == ["李四"]
    assert found(search_as(client, category="entrepreneur", q="ls")) == ["李四"]
    assert outsider.name in found(search_as(client))


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("district", ["欧阳修", "单田芳", "曾国藩"]),
        ("township_a", ["单田芳", "曾国藩"]),
        ("township_b", ["欧阳修"]),
        ("village_a2", ["单田芳"]),
    ],
)
def test_the_region_filter_takes_the_whole_subtree(world, as_user, region, expected):
    response = search_as(as_user(world.district_staff), region=getattr(world, region).pk)
    assert found(response) == expected


@pytest.mark.parametrize(("sex", "expected"), [("F", ["单田芳"]), ("M", ["欧阳修", "曾国藩"])])
def test_the_sex_filter_uses_the_sex_the_id_number_gives(world, as_user, sex, expected):
    assert found(search_as(as_user(world.district_staff), sex=sex)) == expected


def test_the_age_range_is_inclusive_at_both_ends(world, as_user):
    client = as_user(world.district_staff)
    assert found(search_as(client, age_min=age("B1"), age_max=age("A2"))) == ["欧阳修", "单田芳"]
    assert found(search_as(client, age_min=age("A1"), age_max=age("A1"))) == ["曾国藩"]
    assert found(search_as(client, age_min=age("A1") + 1)) == []
    assert found(search_as(client, age_max=age("B1") - 1)) == []
    assert found(search_as(client, age_min=age("A2"), q="zgf")) == ["曾国藩"]


def test_the_age_range_counts_a_birthday_today_as_a_year_older(world, as_user):
    today = timezone.localdate()
    born = (
        today.replace(year=today.year - 40)
        if (today.month, today.day) != (2, 29)
        else datetime.date(today.year - 40, 2, 28)
    )
    first17 = f"330206{born:%Y%m%d}123"
    add_person("李白", world.village_a1, id_number=first17 + identity.check_digit(first17))
    client = as_user(world.district_staff)
    assert found(search_as(client, age_min=40, age_max=40)) == ["李白"]
    assert found(search_as(client, age_max=39, q="lb")) == []


def test_the_ethnicity_filter_finds_by_an_encrypted_value(world, as_user):
    add_person("马五", world.village_a1, ethnicity_code="03")
    client = as_user(world.township_staff)
    assert found(search_as(client, ethnicity="03")) == ["马五"]
    assert found(search_as(client, ethnicity="01")) == ["单田芳", "曾国藩"]
    assert found(search_as(client, ethnicity="02")) == []


def test_filters_combine_with_a_typed_query(world, as_user):
    client = as_user(world.district_staff)
    assert found(search_as(client, q="o", sex="M")) == ["欧阳修"]
    assert found(search_as(client, q="o", sex="M", region=world.township_a.pk)) == []


# --- scope -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "欧"},
        {"q": "欧阳修"},
        {"q": "ouyang"},
        {"q": "oyx"},
        {"q": "xiu"},
        {"q": "o"},
        {"q": world_id("B1")},
        {"q": "13800000002"},
        {"q": "+86 138-0000-0002"},
        {"category": "notable"},
        {"sex": "M"},
        {"ethnicity": "01"},
        {"age_min": 0, "age_max": 150},
        {"region": "B1"},
        {"q": "oyx", "region": "B1"},
    ],
)
@pytest.mark.parametrize("user", ["township_staff", "liaison"])
def test_a_township_a_user_never_sees_the_township_b_person(world, as_user, params, user):
    params = {k: (world.village_b1.pk if v == "B1" else v) for k, v in params.items()}
    response = search_as(as_user(getattr(world, user)), **params)
    html = response.content.decode()
    if "欧阳修" not in str(params):  # the search box shows what was typed
        assert "欧阳修" not in html
    assert "欧阳修" not in results_html(response)
    assert "欧阳修" not in (found(response) or [])


def test_the_district_sees_everyone_the_township_b_user_only_township_b(world, as_user):
    assert found(search_as(as_user(world.district_staff), q="oyx")) == ["欧阳修"]
    assert found(search_as(as_user(world.district_staff), q=world_id("B1"))) == ["欧阳修"]
    assert found(search_as(as_user(world.district_staff), q="+86 138-0000-0002")) == ["欧阳修"]
    assert found(search_as(as_user(world.township_b_staff))) == ["欧阳修"]


def test_a_liaison_sees_only_the_own_village(world, as_user):
    assert found(search_as(as_user(world.liaison))) == ["曾国藩"]
    assert found(search_as(as_user(world.liaison), q="stf")) == []


def test_a_liaison_filtering_by_another_township_gets_a_message_and_no_results_and_no_count(world, as_user):
    response = search_as(as_user(world.liaison), region=world.village_b1.pk)
    html = response.content.decode()
    assert "所选区划不存在或不在您的管辖范围内" in html
    assert found(response) is None
    assert 'id="result-count"' not in html and 'id="result-table"' not in html
    assert "欧阳修" not in html and "曾国藩" not in html


@pytest.mark.parametrize("user", ["system_admin", "security_admin", "audit_admin"])
def test_administrators_cannot_search_people(world, as_user, user):
    response = as_user(getattr(world, user)).get(LIST, {"q": "zgf"})
    assert response.status_code == 403
    assert "曾国藩" not in response.content.decode()


# --- bad input -------------------------------------------------------------------------------------


def test_an_impossible_age_range_gets_a_chinese_message_not_an_error(world, as_user):
    response = search_as(as_user(world.district_staff), age_min=60, age_max=30)
    html = response.content.decode()
    assert "年龄范围不正确：起始年龄 60 大于截止年龄 30" in html
    assert found(response) is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"age_min": "abc"}, "输入整数"),
        ({"age_max": "1e3"}, "输入整数"),
        ({"age_min": "-5"}, "0"),
        ({"age_max": "999"}, "150"),
        ({"page": "-1"}, "1"),
        ({"page": "abc"}, "输入整数"),
        ({"page": "99999999999"}, "100000"),
        ({"region": "999999"}, "所选区划不存在或不在您的管辖范围内"),
        ({"region": "abc"}, "所选区划不存在或不在您的管辖范围内"),
        ({"category": "nope"}, "所选项不存在，请重新选择"),
        ({"ethnicity": "zz"}, "所选项不存在，请重新选择"),
        ({"political": "99"}, "所选项不存在，请重新选择"),
        ({"religion": "0"}, "所选项不存在，请重新选择"),
        ({"sex": "X"}, "X"),
        ({"verified": "sometimes"}, "sometimes"),
        ({"q": "曾" * 65}, "64"),
    ],
)
def test_malformed_parameters_get_a_message_and_a_200_never_a_500(world, as_user, params, message):
    response = as_user(world.township_staff).get(LIST, params)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors
    html = response.content.decode()
    assert 'role="alert"' in html
    assert message in " ".join(str(e) for errors in form.errors.values() for e in errors)
    assert found(response) is None


def test_a_page_past_the_end_is_empty_not_an_error(world, as_user):
    response = search_as(as_user(world.district_staff), page=50)
    assert found(response) == []


@pytest.mark.parametrize(
    "typed", ['"', "'", '曾"OR"', "a OR b", "*", "(", "0r1", "0a", "NEAR(", "\\", "--", "%"]
)
def test_query_syntax_characters_are_text_not_syntax(world, as_user, typed):
    response = search_as(as_user(world.township_staff), q=typed)
    assert "欧阳修" not in response.content.decode()


# --- the index follows changes ---------------------------------------------------------------------


def test_renaming_a_person_rekeys_the_search_document(world, as_user):
    person = world.person_a1
    services.update_person(
        actor=SYSTEM, person=person, data=input_from(person, name="艾国藩"), expected_version=person.version
    )
    client = as_user(world.district_staff)
    assert found(search_as(client, q="曾")) == []
    assert found(search_as(client, q="zgf")) == []
    assert found(search_as(client, q="agf")) == ["艾国藩"]
    assert found(search_as(client, q="aiguofan")) == ["艾国藩"]
    assert found(search_as(client)) == ["艾国藩", "欧阳修", "单田芳"]
    docs = list(PersonSearchDoc.objects.filter(person=person))
    assert len(docs) == 1
    assert docs[0].pk == search.doc_key(person.pk, names.name_pinyin("艾国藩"))


def test_leaving_a_category_removes_the_person_from_that_category_filter(world, as_user):
    membership = CategoryMembership.objects.get(person=world.person_a2, category="notable")
    services.leave_category(actor=SYSTEM, membership=membership, reason="迁出本地")
    client = as_user(world.township_staff)
    assert found(search_as(client, category="notable")) == ["曾国藩"]
    assert found(search_as(client, q="stf")) == ["单田芳"]
    services.join_category(
        actor=SYSTEM,
        person=world.person_a2,
        category=Category.objects.get(code="notable"),
        attributes={"field": "评书"},
    )
    assert found(search_as(client, category="notable")) == ["单田芳", "曾国藩"]


def test_a_result_row_shows_the_active_categories_in_the_categories_order_and_not_an_archived_one(
        world, as_user):
    person = world.person_a2  # 单田芳, in the notable database since the world began
    entrepreneur = Category.objects.get(code="entrepreneur")
    venue_leader = Category.objects.get(code="venue_leader")
    services.join_category(actor=SYSTEM, person=person, category=entrepreneur,
                           attributes={"enterprise_name": "评书社"})
    left = services.join_category(actor=SYSTEM, person=person, category=venue_leader,
                                  attributes={"venue_name": "关帝庙", "role": "管委会主任"})
    services.leave_category(actor=SYSTEM, membership=left, reason="不再担任")
    expected = [c.short_name for c in Category.objects.filter(code__in=["entrepreneur", "notable"])
                .order_by("sort_order")]
    assert len(expected) == 2 and venue_leader.short_name not in expected
    for query in ({"q": "stf"}, {"category": "entrepreneur"}, {"q": "单", "region": world.village_a2.pk}):
        page = search_as(as_user(world.township_staff), **query).context["page"]
        assert [(row.name, row.categories) for row in page.people] == [("单田芳", expected)], query
    assert found(search_as(as_user(world.township_staff), category="venue_leader")) == []


def test_an_edit_that_changes_sex_and_birth_date_moves_the_person_between_filters(world, as_user):
    person = world.person_a1
    services.update_person(
        actor=SYSTEM, person=person, data=input_from(person, id_number=X_ID), expected_version=person.version
    )
    client = as_user(world.district_staff)
    assert "曾国藩" in found(search_as(client, sex="F"))
    assert "曾国藩" not in found(search_as(client, sex="M"))
    assert found(search_as(client, q=world_id("A1"))) == []
    assert found(search_as(client, q=X_ID.lower())) == ["曾国藩"]


def test_a_deleted_person_is_no_longer_found(world, as_user):
    services.delete_person(actor=SYSTEM, person=world.person_a1, reason="重复录入")
    assert found(search_as(as_user(world.district_staff), q="zgf")) == []
    assert not Person.objects.filter(name="曾国藩").exists()


# --- htmx ------------------------------------------------------------------------------------------


def test_an_htmx_request_gets_only_the_results(world, as_user):
    response = as_user(world.township_staff).get(LIST, {"q": "zgf"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="search-form"' not in html
    assert 'id="result-table"' in html and "曾国藩" in html


def test_an_htmx_request_with_bad_input_gets_the_message_in_the_results(world, as_user):
    response = as_user(world.township_staff).get(LIST, {"age_min": "abc"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'role="alert"' in html


def test_a_plain_request_gets_the_whole_page(world, as_user):
    response = as_user(world.township_staff).get(LIST, {"q": "zgf"})
    html = response.content.decode()
    assert "<html" in html and 'id="search-form"' in html and 'id="result-table"' in html


# --- the search key --------------------------------------------------------------------------------

syllable_lists = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6), max_size=5)


def letters(syllables) -> str:
    return "".join(syllables)[: search.SORT_LETTERS]


@given(syllable_lists, syllable_lists)
def test_sort_code_orders_as_the_first_eight_letters_do(a, b):
    if letters(a) < letters(b):
        assert search.sort_code(a) < search.sort_code(b)
    elif letters(a) == letters(b):
        assert search.sort_code(a) == search.sort_code(b)
    else:
        assert search.sort_code(a) > search.sort_code(b)


@given(syllable_lists)
def test_sort_code_ignores_case_and_anything_but_letters(a):
    noisy = [s.upper() + "1·" for s in a]
    assert search.sort_code(noisy) == search.sort_code(a)


@given(syllable_lists, syllable_lists, st.integers(1, search.ID_MASK), st.integers(1, search.ID_MASK))
def test_doc_key_sorts_by_name_then_id_and_gives_the_id_back(a, b, id_a, id_b):
    key_a, key_b = search.doc_key(id_a, a), search.doc_key(id_b, b)
    assert key_a & search.ID_MASK == id_a
    assert 0 < key_a < 2**63
    if letters(a) != letters(b):
        assert (key_a < key_b) == (letters(a) < letters(b))
    else:
        assert (key_a < key_b) == (id_a < id_b)


@given(st.integers(search.ID_MASK + 1, 2**40))
def test_doc_key_refuses_an_id_that_does_not_fit(person_id):
    with pytest.raises(OverflowError):
        search.doc_key(person_id, ["a"])


@given(
    st.text(alphabet="曾单欧阳修国藩田芳张三李四王五艾青赵钱孙", min_size=1, max_size=4),
    st.text(alphabet="曾单欧阳修国藩田芳张三李四王五艾青赵钱孙", min_size=1, max_size=4),
)
def test_names_sort_by_their_pinyin(a, b):
    pa, pb = "".join(names.name_pinyin(a)), "".join(names.name_pinyin(b))
    if pa[: search.SORT_LETTERS] < pb[: search.SORT_LETTERS]:
        assert search.doc_key(1, names.name_pinyin(a)) < search.doc_key(1, names.name_pinyin(b))


def test_a_region_filter_outside_the_scope_finds_nothing_even_when_called_directly(world):
    """The form only offers regions in scope; the selector does not rely on it."""
    from tongzhan.people.selectors import Criteria, search_people

    outside = search_people(world.township_staff, Criteria(region=world.village_b1))
    inside = search_people(world.township_staff, Criteria(region=world.village_a1))
    assert outside.people == [] and outside.count == 0
    assert [p.name for p in inside.people] == ["曾国藩"] and inside.count == 1


@pytest.mark.parametrize("role, shown", [("township_staff", True), ("liaison", True),
                                         ("reviewer", False), ("auditor", False)])
def test_the_add_button_is_offered_only_to_roles_that_may_add_people(world, as_user, role, shown):
    body = as_user(getattr(world, role)).get("/people/").content.decode()
    assert ('id="create-link"' in body) is shown
    assert ("/people/new/" in body) is shown
