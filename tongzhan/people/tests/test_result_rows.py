"""A result row's `<tr>` is written in Python (ResultRow.tr) for speed; it must be exactly what the
template wrote before, escaping included."""

import pytest
from django.template import engines

from tongzhan.people.selectors import ResultRow

TEMPLATE = """<tr>
        <td><a href="{{ p.url }}">{{ p.name }}</a></td>
        <td>{{ p.sex }}</td>
        <td>{{ p.birth_date }}</td>
        <td class="masked">{{ p.id_number_masked }}</td>
        <td class="masked">{{ p.phone_masked }}</td>
        <td>{{ p.village }}</td>
        <td>{% for c in p.categories %}<span class="badge badge-cat">{{ c }}</span>{% endfor %}</td>
        <td>{{ p.last_verified_on }}</td>
      </tr>"""

ROWS = [
    ResultRow(pk=1, url="/people/1/", name="曾国藩", name_sort="zeng guo fan 曾国藩", sex="男", birth_date="1965-03-12",
              id_number_masked="330206********1234", phone_masked="138****5678", village="梅山乡 · 梅东村",
              last_verified_on="2026-11-01", categories=["企业家", "宗教"]),
    ResultRow(pk=2, url="/people/2/?a=1&b=2", name='<img src=x onerror="alert(1)">', name_sort="x", sex="",
              birth_date="", id_number_masked="", phone_masked="", village="A & B 'c'", last_verified_on="—",
              categories=["<b>x</b>"]),
    ResultRow(pk=3, url="/people/3/", name="阿依·买买提", name_sort="a", sex="女", birth_date="2001-01-01",
              id_number_masked="—", phone_masked="—", village="村", last_verified_on="—", categories=[]),
]


@pytest.mark.parametrize("row", ROWS, ids=["plain", "hostile", "no-categories"])
def test_a_result_row_is_written_exactly_as_the_template_wrote_it(row):
    expected = engines["django"].from_string(TEMPLATE).render({"p": row})
    assert str(row.tr()) == expected
    assert "<img" not in str(row.tr())


@pytest.mark.django_db
def test_rows_by_id_are_the_listing_rows_of_the_people_the_scope_lets_the_user_read(world):
    from tongzhan.core.actors import SYSTEM
    from tongzhan.people.models import Person
    from tongzhan.people.selectors import listing_rows, people_visible_to, rows_for_ids
    from tongzhan.people.services import verify_person

    verify_person(actor=SYSTEM, person=world.person_a1)  # a date in one row, "—" in the others
    everyone = list(Person.objects.values_list("pk", flat=True))
    for user, expected in ((world.township_staff, {"A1", "A2"}), (world.liaison, {"A1"}),
                           (world.township_b_staff, {"B1"}), (world.district_staff, {"A1", "A2", "B1"}),
                           (world.system_admin, set()),  # an administrator reads no personal data
                           (world.township_staff, {"A1", "A2"})):  # again: the cached statement is the scope's
        rows = rows_for_ids(user, everyone)
        assert {row.pk for row in rows} == {world.people[key].pk for key in expected}
        listed = {row.pk: row for row in listing_rows(people_visible_to(user))}
        assert {row.pk: row for row in rows} == listed
    assert listed[world.person_a1.pk].last_verified_on != "—" and listed[world.person_a1.pk].categories
    assert rows_for_ids(world.township_staff, []) == []


@pytest.mark.django_db
def test_a_page_of_rows_with_their_categories_is_one_statement_whether_listed_or_found_by_id(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tongzhan.people.models import Category, Person
    from tongzhan.people.selectors import listing_rows, people_visible_to, rows_for_ids

    scoped = people_visible_to(world.district_staff).filter(memberships__category_id="notable").distinct()
    everyone = list(Person.objects.values_list("pk", flat=True))
    rows_for_ids(world.district_staff, everyone)  # the code tables and the statement are cached per process
    with CaptureQueriesContext(connection) as listed:
        rows = listing_rows(scoped.order_by("name_sort", "id"), limit=50)
    with CaptureQueriesContext(connection) as by_id:
        found = rows_for_ids(world.district_staff, everyone)
    notable = Category.objects.get(code="notable").short_name
    assert rows and all(notable in row.categories for row in rows)
    assert len(listed) == 1 and len(by_id) == 1
    assert {row.pk: row.categories for row in found if row.pk in {r.pk for r in rows}} == {
        row.pk: row.categories for row in rows}
