"""SQLite's FTS5 index: it holds exactly what the documents say after every kind of change, documents in
a village carry their category tokens qualified by it, a query in a village reads those and
finds what the documents say, the bulk writer drops the insert trigger and always puts it back, and
migrations 0006 and 0007 bring old databases to this form and back. Skipped on PostgreSQL (test_search_postgres).
"""

import importlib
import types

import pytest
from django.apps import apps
from django.db import DatabaseError, IntegrityError, connection, transaction

from tongzhan.core.actors import SYSTEM
from tongzhan.people import search, services
from tongzhan.people.models import Category, PersonSearchDoc
from tongzhan.people.services.bulk import write_search_documents

from .search_world import GROUP_SETS, check_fts_index, expected_keys, named_regions, place_of, resolve
from .test_search import add_person

if connection.vendor != "sqlite":
    pytest.skip("FTS5 exists on SQLite only", allow_module_level=True)

pytestmark = pytest.mark.django_db


def tokens_of(person) -> set[str]:
    return set(PersonSearchDoc.objects.get(person=person).tokens.split(" "))


def insert_trigger() -> str | None:
    """The FTS5 insert trigger's SQL as SQLite stores it, or None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'people_psd_ai'")
        found = cursor.fetchone()
    return found[0] if found else None


def has_table(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s", [name])
        return cursor.fetchone()[0] == 1


PLAIN_TRIGGER = importlib.import_module("tongzhan.people.migrations.0007_plain_insert_trigger").PLAIN


def test_the_integrity_check_notices_a_document_missing_from_the_index(world, crowd):
    doc = PersonSearchDoc.objects.get(person=crowd[0])
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO people_person_fts(people_person_fts, rowid, tokens) VALUES ('delete', %s, %s)",
                       [doc.pk, doc.tokens])
    with pytest.raises(DatabaseError), transaction.atomic():
        check_fts_index()


def test_a_document_in_a_village_carries_its_category_tokens_qualified_by_the_village(world, crowd):
    v1 = world.village_a1.pk
    order = Category.objects.get(code="entrepreneur").sort_order
    zhang = crowd[0]  # 张三 in 甲一村, an entrepreneur
    assert {"张", "zs", f"0c{order}", f"0c{order}^{v1}"} <= tokens_of(zhang)
    assert [t for t in tokens_of(zhang) if "^" in t] == [f"0c{order}^{v1}"]  # names are not qualified on SQLite
    leader = add_person("张组长", crowd[-1].region)  # in a villagers' group of 甲一村: qualified by the village
    services.join_category(actor=SYSTEM, person=leader, category=Category.objects.get(code="entrepreneur"),
                           attributes={"enterprise_name": "组办厂"})
    assert f"0c{order}^{v1}" in tokens_of(leader)
    assert not any(t.endswith(f"^{leader.region.pk}") for t in tokens_of(leader))


def test_a_document_above_the_village_level_has_no_qualified_tokens(world):
    person = add_person("张镇长", world.township_a)
    services.join_category(actor=SYSTEM, person=person, category=Category.objects.get(code="entrepreneur"),
                           attributes={"enterprise_name": "镇办厂"})
    assert not any("^" in token for token in tokens_of(person))


def test_a_query_in_a_village_reads_the_qualified_category_and_drops_the_implied_village_token(world):
    query = search.TokenQuery()
    query.within(world.village_a1)
    query.require("张")
    query.require(search.filter_token("c", 3))
    v1 = world.village_a1.pk
    assert query.fts5() == f'"张" AND "0c3^{v1}"'
    without_category = search.TokenQuery()
    without_category.within(world.village_a1)
    without_category.require("张")
    assert without_category.fts5() == f'"0r{v1}" AND "张"'
    in_town = search.TokenQuery()
    in_town.within(world.township_a)
    in_town.require("张")
    in_town.require(search.filter_token("c", 3))
    assert in_town.fts5() == f'"0r{world.township_a.pk}" AND "张" AND "0c3"'


@pytest.mark.parametrize("groups", GROUP_SETS, ids=[" & ".join("|".join(g) for g in gs) for gs in GROUP_SETS])
@pytest.mark.parametrize("limit", [1, 2, 50])
def test_every_query_finds_what_the_documents_say_in_and_out_of_a_village(world, crowd, groups, limit):
    regions = named_regions(world)
    within = next((regions[t] for group in groups for t in group if t in regions and t != "0rB"), None)
    groups = resolve(groups, world)
    expected = expected_keys(groups)
    for place in ([None, place_of(within)] if within else [None]):
        ids, count = search.page_of_matches(search.TokenQuery(groups=groups, place=place), search.Extra(),
                                            offset=0, limit=limit)
        assert ids == [key & search.ID_MASK for key in expected[:limit]], place
        assert count == len(expected), place


def test_the_bulk_writer_indexes_its_documents_and_leaves_the_trigger_live(world, crowd):
    documents = [{"id": d.pk, "person_id": d.person_id, "tokens": d.tokens}
                 for d in PersonSearchDoc.objects.filter(person__in=crowd[:6])]
    PersonSearchDoc.objects.filter(pk__in=[d["id"] for d in documents]).delete()
    write_search_documents(documents)
    assert insert_trigger() == PLAIN_TRIGGER
    check_fts_index()
    later = add_person("张后来", world.village_a1)  # indexed by the trigger again
    check_fts_index()
    query = search.TokenQuery()
    query.within(world.village_a1)
    query.require("张")
    ids, _count = search.page_of_matches(query, search.Extra(), offset=0, limit=50)
    assert later.pk in ids and crowd[0].pk in ids


def test_a_failing_bulk_write_leaves_no_documents_and_the_trigger_live(world, crowd):
    doc = PersonSearchDoc.objects.get(person=crowd[0])
    clash = [{"id": doc.pk + 1_000_000_000, "person_id": crowd[0].pk, "tokens": "张"}]  # one document per person
    with pytest.raises(IntegrityError), transaction.atomic():
        write_search_documents(clash)
    assert insert_trigger() == PLAIN_TRIGGER
    assert not PersonSearchDoc.objects.filter(pk=clash[0]["id"]).exists()
    add_person("张后来", world.village_a1)
    check_fts_index()


def test_migration_0006_gives_old_documents_their_qualified_tokens_and_takes_them_back(world, crowd):
    migration = importlib.import_module("tongzhan.people.migrations.0006_village_tokens")
    later = importlib.import_module("tongzhan.people.migrations.0007_plain_insert_trigger")
    editor = types.SimpleNamespace(connection=connection)
    now = {d.pk: d.tokens for d in PersonSearchDoc.objects.all()}
    assert any("^" in tokens for tokens in now.values())
    later.backwards(apps, editor)

    migration.backwards(apps, editor)
    old = {d.pk: d.tokens for d in PersonSearchDoc.objects.all()}
    assert old == {pk: " ".join(t for t in tokens.split(" ") if "^" not in t) for pk, tokens in now.items()}
    check_fts_index()

    migration.forwards(apps, editor)
    assert {d.pk: d.tokens for d in PersonSearchDoc.objects.all()} == now
    check_fts_index()
    add_person("张后来", world.village_a1)
    check_fts_index()
    later.forwards(apps, editor)
    assert insert_trigger() == PLAIN_TRIGGER


def test_migration_0007_puts_back_the_plain_insert_trigger_and_drops_the_pause_switch(world, crowd):
    migration = importlib.import_module("tongzhan.people.migrations.0007_plain_insert_trigger")
    editor = types.SimpleNamespace(connection=connection)
    assert insert_trigger() == PLAIN_TRIGGER and not has_table("people_fts_deferred")
    migration.backwards(apps, editor)
    assert insert_trigger() == migration.PAUSABLE and has_table("people_fts_deferred")
    add_person("张中间", world.village_a1)  # the 0006 trigger indexes while its switch is off
    check_fts_index()
    migration.forwards(apps, editor)
    assert insert_trigger() == PLAIN_TRIGGER and not has_table("people_fts_deferred")
    add_person("张后来", world.village_a1)
    check_fts_index()
