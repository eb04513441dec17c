"""The registry's services and the pages that call them: identity, history, locking, archiving, encryption, audit."""

import datetime
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import PEOPLE
from tongzhan.core import identity
from tongzhan.core.actors import SYSTEM
from tongzhan.people import services
from tongzhan.people.models import (
    Category,
    CategoryMembership,
    EducationRecord,
    Ethnicity,
    HistoryEntry,
    Honour,
    NotableDetail,
    Person,
    Post,
    Relative,
)
from tongzhan.people.services.persons import SENSITIVE_LABEL

pytestmark = pytest.mark.django_db

X_ID = "33020619900101118X"  # valid, ends in X; born 1990-01-01, female


def world_id(key: str) -> str:
    """The ID number the world stored for a village's person (conftest fixes the check digit)."""
    first17 = PEOPLE[key][0][:17]
    return first17 + identity.check_digit(first17)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The world creates nine users; the default hasher would spend seconds on each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def han():
    return Ethnicity.objects.get(code="01")


def new_person(name="钱学森", region=None, *, id_number=X_ID, actor=SYSTEM, **extra):
    return services.create_person(
        actor=actor,
        data=services.PersonInput(name=name, region=region, id_number=id_number, ethnicity=han(), **extra),
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
        work_unit=person.work_unit,
        job_title=person.job_title,
        note=person.note,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def form_data(person=None, **changes) -> dict:
    """What the person form posts: the record as the edit page shows it, or a new record's fields."""
    if person is None:
        data = {
            "name": "钱学森",
            "id_kind": "resident",
            "id_number": X_ID,
            "legal_basis": "statutory",
            "ethnicity": "01",
        }
    else:
        data = {
            "name": person.name,
            "id_kind": person.id_kind,
            "id_number": person.decrypt("id_number"),
            "sex": person.sex,
            "birth_date": person.birth_date.isoformat() if person.birth_date else "",
            "phone": person.decrypt("phone"),
            "region": person.region_id,
            "address": person.decrypt("address"),
            "ethnicity": person.decrypt("ethnicity"),
            "work_unit": person.work_unit,
            "job_title": person.job_title,
            "note": person.note,
            "legal_basis": person.legal_basis,
            "version": person.version,
        }
    data.update(changes)
    return data


def field_errors(html: str, field: str) -> str:
    """The error list the form prints beside one field."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_errors">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def latest_history(person) -> HistoryEntry:
    return HistoryEntry.objects.filter(person=person).order_by("-id").first()


# --- identity --------------------------------------------------------------------------------------


def test_create_person_derives_birth_date_and_sex_from_the_id_number(world):
    assert (world.person_a1.birth_date, world.person_a1.sex) == (datetime.date(1965, 3, 12), "M")
    assert (world.person_a2.birth_date, world.person_a2.sex) == (datetime.date(1978, 11, 23), "F")
    person = new_person(region=world.village_a1, sex="M", birth_date=datetime.date(2000, 1, 1))
    assert (person.birth_date, person.sex) == (datetime.date(1990, 1, 1), "F")


def test_an_id_number_is_stored_normalised_and_masked(world):
    person = new_person(id_number=" ３３０２０６１９９００１０１１１８ｘ ", region=world.village_a1)
    person.refresh_from_db()
    assert person.decrypt("id_number") == X_ID
    assert person.id_number_masked == "330206********118X"


def test_a_fifteen_digit_id_number_is_upgraded_to_eighteen(world):
    person = new_person(id_number="330206700101002", region=world.village_a1, name="曾老")
    assert person.decrypt("id_number") == "330206197001010022"
    assert (person.birth_date, person.sex) == (datetime.date(1970, 1, 1), "F")


@pytest.mark.parametrize(
    "written",
    [
        X_ID.lower(),
        "３３０２０６１９９００１０１１１８Ｘ",
        "330206 1990 0101 118x",
        "330206-19900101-118X",
        "\u200b" + X_ID,
    ],
)
def test_the_same_id_number_written_differently_is_a_duplicate(world, written):
    first = new_person(region=world.village_a1)
    with pytest.raises(services.DuplicateIdentity) as caught:
        new_person(name="钱学森二", id_number=written, region=world.village_a2)
    assert caught.value.person == first
    assert Person.objects.filter(name__startswith="钱学森").count() == 1


def test_an_old_fifteen_digit_number_duplicates_its_eighteen_digit_form(world):
    with pytest.raises(services.DuplicateIdentity) as caught:
        new_person(name="曾某", id_number="330206650312001", region=world.village_a2)
    assert caught.value.person == world.person_a1


def test_creating_a_visible_duplicate_opens_the_existing_record(world, as_user):
    before = Person.objects.count()
    response = as_user(world.township_staff).post(
        "/people/new/",
        form_data(
            name="单某", id_number="３３０２０６ １９７８１１２３ ００２７", region=world.village_a1.pk
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/people/{world.person_a2.pk}/"
    assert Person.objects.count() == before
    page = as_user(world.township_staff).get(response["Location"]).content.decode()
    assert "该证件号码已登记，已为您打开此人的档案" in page


@pytest.mark.parametrize(
    ("user", "existing", "township", "hidden"),
    [
        ("township_staff", "B1", "乙乡", "欧阳修"),
        ("liaison", "B1", "乙乡", "欧阳修"),
        ("liaison", "A2", "甲镇", "单田芳"),
        ("township_b_staff", "A1", "甲镇", "曾国藩"),
    ],
)
def test_an_out_of_scope_duplicate_names_only_the_township_and_creates_nothing(
    world, as_user, user, existing, township, hidden
):
    actor = getattr(world, user)
    before = Person.objects.count()
    response = as_user(actor).post(
        "/people/new/", form_data(name="新人", id_number=world_id(existing), region=actor.region.pk)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"该证件号码已在 {township} 登记，不能重复登记" in html
    assert hidden not in html
    assert Person.objects.count() == before


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("330206196503120017", "校验位不符：按前 17 位计算应为 6，实际为 7"),
        ("330206196502310016", "出生日期 1965-02-31 不存在"),
        ("33020619650312001", "身份证号码应为 18 位（旧版为 15 位），实际为 17 位"),
        ("3302061965031200166", "实际为 19 位"),
        ("33020619650312001Y", "不允许的字符「Y」"),
        ("990206196503120016", "前两位 99 不是有效的省级行政区代码"),
        ("3.30206196503120E+17", "被存成数字"),
    ],
)
def test_an_invalid_id_number_is_explained_beside_the_field(world, as_user, number, message):
    before = Person.objects.count()
    response = as_user(world.township_staff).post(
        "/people/new/", form_data(id_number=number, region=world.village_a1.pk)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert message in field_errors(html, "id_number")
    assert Person.objects.count() == before


def test_an_invalid_phone_is_explained_beside_its_field(world, as_user):
    response = as_user(world.township_staff).post(
        "/people/new/", form_data(phone="8765 4321", region=world.village_a1.pk)
    )
    assert "缺少区号" in field_errors(response.content.decode(), "phone")


def test_a_region_outside_the_scope_cannot_be_chosen(world, as_user):
    before = Person.objects.count()
    response = as_user(world.township_staff).post("/people/new/", form_data(region=world.village_b1.pk))
    assert "所选区划不存在或不在您的管辖范围内" in field_errors(response.content.decode(), "region")
    assert Person.objects.count() == before


def test_a_valid_form_creates_the_person_and_opens_it(world, as_user):
    response = as_user(world.township_staff).post(
        "/people/new/", form_data(region=world.village_a2.pk, phone="+86 139-1234-5678")
    )
    person = Person.objects.get(name="钱学森")
    assert response["Location"] == f"/people/{person.pk}/"
    assert person.created_by == world.township_staff
    assert person.phone_masked == "139****5678"


# --- history and locking ---------------------------------------------------------------------------


def test_update_person_writes_history_with_before_after_and_sensitive_values_masked(world):
    person = world.person_a1
    services.update_person(
        actor=world.township_staff,
        person=person,
        expected_version=person.version,
        data=input_from(
            person, job_title="两江总督", phone="13912345678", address="甲一村88号", id_number=X_ID
        ),
    )
    entry = latest_history(person)
    assert (entry.action, entry.actor, entry.actor_name) == ("update", world.township_staff, "township_a")
    assert entry.changes["职务"] == ["", "两江总督"]
    assert entry.changes["联系电话"] == ["138****0000", "139****5678"]
    assert entry.changes["证件号码"] == ["330206********0016", "330206********118X"]
    assert entry.changes["详细住址"] == [SENSITIVE_LABEL, SENSITIVE_LABEL]
    assert entry.changes["性别"] == ["男", "女"]
    stored = json.dumps(entry.changes, ensure_ascii=False)
    for secret in ("13912345678", "13800000000", "甲一村88号", "甲一村1号", X_ID, world_id("A1")):
        assert secret not in stored


def test_an_update_that_changes_nothing_writes_no_history(world):
    person = world.person_a1
    before = HistoryEntry.objects.count()
    services.update_person(
        actor=SYSTEM, person=person, data=input_from(person), expected_version=person.version
    )
    assert HistoryEntry.objects.count() == before
    person.refresh_from_db()
    assert person.version == world.person_a1.version


def test_two_edits_from_the_same_version_the_second_conflicts(world):
    person = Person.objects.get(pk=world.person_a1.pk)
    version = person.version
    services.update_person(
        actor=world.township_staff,
        person=person,
        expected_version=version,
        data=input_from(person, job_title="两江总督"),
    )
    with pytest.raises(services.EditConflict) as caught:
        services.update_person(
            actor=world.district_staff,
            person=person,
            expected_version=version,
            data=input_from(person, job_title="直隶总督"),
        )
    assert caught.value.current_version == version + 1
    assert caught.value.theirs["职务"] == "两江总督"
    assert caught.value.mine["职务"] == ["两江总督", "直隶总督"]
    person.refresh_from_db()
    assert (person.job_title, person.version) == ("两江总督", version + 1)


def test_the_edit_page_shows_the_conflict_and_saves_nothing(world, as_user):
    person = world.person_a1
    stale = form_data(person, job_title="直隶总督")  # the page was opened at this version
    services.update_person(
        actor=world.district_staff,
        person=person,
        expected_version=person.version,
        data=input_from(person, job_title="两江总督"),
    )
    history_before = HistoryEntry.objects.count()
    response = as_user(world.township_staff).post(f"/people/{person.pk}/edit/", stale)
    html = response.content.decode()
    assert response.status_code == 200
    assert "保存冲突" in html
    assert re.search(r"<td>职务</td><td>两江总督</td><td class=\"mine\">直隶总督</td>", html)
    person.refresh_from_db()
    assert person.job_title == "两江总督"
    assert HistoryEntry.objects.count() == history_before
    # Saving again from the conflict page (which now carries the current version) wins.
    again = form_data(person, job_title="直隶总督")
    response = as_user(world.township_staff).post(f"/people/{person.pk}/edit/", again)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.job_title == "直隶总督"


def test_the_edit_page_saves_and_records_history(world, as_user):
    person = world.person_a1
    response = as_user(world.township_staff).post(
        f"/people/{person.pk}/edit/", form_data(person, work_unit="湘军")
    )
    assert response.status_code == 302
    assert latest_history(person).changes["工作单位"] == ["", "湘军"]


def test_editing_to_another_persons_id_number_is_refused(world, as_user):
    person = world.person_a1
    response = as_user(world.township_staff).post(
        f"/people/{person.pk}/edit/", form_data(person, id_number=world_id("A2"))
    )
    assert "该证件号码已登记在另一条记录中" in field_errors(response.content.decode(), "id_number")
    person.refresh_from_db()
    assert person.decrypt("id_number") == world_id("A1")


def test_verify_person_sets_the_date_and_appears_in_history(world, as_user):
    person = world.person_a1
    services.verify_person(actor=world.township_staff, person=person)
    person.refresh_from_db()
    assert person.last_verified_on == timezone.localdate()
    assert person.last_verified_by == world.township_staff
    entry = latest_history(person)
    assert entry.action == "verify"
    assert entry.changes["最近核实日期"] == ["", str(timezone.localdate())]
    page = as_user(world.township_staff).get(f"/people/{person.pk}/").content.decode()
    assert f"最近核实：{timezone.localdate():%Y-%m-%d}" in page


def test_the_verify_button_verifies(world, as_user):
    response = as_user(world.liaison).post(f"/people/{world.person_a1.pk}/verify/")
    assert response.status_code == 302
    world.person_a1.refresh_from_db()
    assert world.person_a1.last_verified_by == world.liaison


# --- categories ------------------------------------------------------------------------------------


def notable(person) -> CategoryMembership:
    return CategoryMembership.objects.get(person=person, category="notable", status="active")


def test_leaving_a_category_archives_it_and_keeps_its_details(world, as_user):
    membership = notable(world.person_a1)
    services.leave_category(
        actor=world.township_staff, membership=membership, reason="病故", on=datetime.date(2024, 6, 1)
    )
    membership.refresh_from_db()
    assert (membership.status, membership.until, membership.leave_reason) == (
        "archived",
        datetime.date(2024, 6, 1),
        "病故",
    )
    assert NotableDetail.objects.get(membership=membership).field == "文史"
    assert latest_history(world.person_a1).action == "leave"
    page = as_user(world.township_staff).get(f"/people/{world.person_a1.pk}/").content.decode()
    assert "已退出（存档）" in page and "文史" in page and "病故" in page


def test_leaving_twice_is_refused(world):
    membership = notable(world.person_a1)
    services.leave_category(actor=SYSTEM, membership=membership, reason="迁出")
    with pytest.raises(ValidationError):
        services.leave_category(actor=SYSTEM, membership=membership, reason="迁出")


def test_an_archived_category_cannot_be_edited(world):
    membership = notable(world.person_a1)
    services.leave_category(actor=SYSTEM, membership=membership, reason="迁出")
    with pytest.raises(ValidationError):
        services.update_category_detail(
            actor=SYSTEM,
            membership=membership,
            attributes={"field": "军事"},
            expected_version=membership.version,
        )


def test_rejoining_creates_a_new_active_membership_beside_the_archived_one(world):
    old = notable(world.person_a1)
    services.leave_category(actor=SYSTEM, membership=old, reason="迁出")
    new = services.join_category(
        actor=SYSTEM,
        person=world.person_a1,
        category=Category.objects.get(code="notable"),
        attributes={"field": "军事"},
    )
    assert new.pk != old.pk
    statuses = sorted(
        CategoryMembership.objects.filter(person=world.person_a1, category="notable").values_list(
            "status", flat=True
        )
    )
    assert statuses == ["active", "archived"]
    assert NotableDetail.objects.get(membership=old).field == "文史"
    assert NotableDetail.objects.get(membership=new).field == "军事"


def test_joining_a_category_twice_is_refused(world):
    with pytest.raises(ValidationError):
        services.join_category(
            actor=SYSTEM,
            person=world.person_a1,
            category=Category.objects.get(code="notable"),
            attributes={"field": "军事"},
        )


def test_category_details_are_edited_with_locking_and_history(world):
    membership = notable(world.person_a1)
    version = membership.version
    services.update_category_detail(
        actor=SYSTEM, membership=membership, attributes={"field": "军事"}, expected_version=version
    )
    assert latest_history(world.person_a1).changes["知名领域"] == ["文史", "军事"]
    with pytest.raises(services.EditConflict):
        services.update_category_detail(
            actor=SYSTEM, membership=membership, attributes={"field": "书法"}, expected_version=version
        )
    assert NotableDetail.objects.get(membership=membership).field == "军事"


def test_the_leave_page_archives(world, as_user):
    membership = notable(world.person_a1)
    response = as_user(world.township_staff).post(
        f"/people/memberships/{membership.pk}/leave/", {"reason": "迁出"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == "archived"


# --- sub-records -----------------------------------------------------------------------------------

SUB_RECORDS = [
    ("relative", Relative, {"name": "曾纪泽", "relation": "子"}, {"relation": "长子"}, "关系"),
    ("post", Post, {"organisation": "湘军", "title": "统帅"}, {"title": "主帅"}, "职务"),
    ("education", EducationRecord, {"school": "岳麓书院"}, {"school": "城南书院"}, "学校"),
    ("honour", Honour, {"title": "一等毅勇侯"}, {"year": 1864}, "年份"),
]


@pytest.mark.parametrize(("kind", "model", "attributes", "change", "label"), SUB_RECORDS)
def test_sub_records_add_edit_and_delete_write_history(world, kind, model, attributes, change, label):
    person = world.person_a1
    record = services.add_sub_record(
        actor=world.township_staff, person=person, kind=kind, attributes=attributes
    )
    added = latest_history(person)
    assert added.action == "add" and added.target.endswith(str(record))
    record = services.update_sub_record(
        actor=world.township_staff, record=record, attributes=change, expected_version=record.version
    )
    updated = latest_history(person)
    assert updated.action == "update"
    assert updated.changes[label][1] == str(next(iter(change.values())))
    with pytest.raises(services.EditConflict):
        services.update_sub_record(
            actor=world.township_staff,
            record=record,
            attributes=attributes,
            expected_version=record.version - 1,
        )
    services.delete_sub_record(actor=world.township_staff, record=record)
    assert latest_history(person).action == "delete"
    assert not model.objects.filter(pk=record.pk).exists()
    assert [h.action for h in HistoryEntry.objects.filter(person=person).order_by("id")][-3:] == [
        "add",
        "update",
        "delete",
    ]


def test_sub_record_pages_add_edit_and_delete(world, as_user):
    client = as_user(world.township_staff)
    person = world.person_a1
    assert (
        client.post(f"/people/{person.pk}/relative/add/", {"name": "曾纪泽", "relation": "子"}).status_code
        == 302
    )
    relative = Relative.objects.get(person=person)
    response = client.post(
        f"/people/records/relative/{relative.pk}/edit/",
        {"name": "曾纪泽", "relation": "长子", "version": relative.version},
    )
    assert response.status_code == 302
    relative.refresh_from_db()
    assert relative.relation == "长子"
    stale = client.post(
        f"/people/records/relative/{relative.pk}/edit/",
        {"name": "曾纪泽", "relation": "次子", "version": relative.version - 1},
    )
    assert "保存冲突" in stale.content.decode()
    assert client.post(f"/people/records/relative/{relative.pk}/delete/").status_code == 302
    assert not Relative.objects.filter(pk=relative.pk).exists()
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "曾纪泽" in page  # in the history, though the row is gone


