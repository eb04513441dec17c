"""PostgreSQL's two ways of answering a token query (search_postgres): the ordered walk over the posting
table and the GIN bitmap. Both must find the same people in the same order, the posting table must hold
exactly the tokens of the documents whatever the services do, and the cost model must walk dense
queries and leave sparse ones to GIN. Skipped on SQLite, which has neither (FTS5 answers there).
"""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongzhan.core import names
from tongzhan.people import search, search_postgres, selectors
from tongzhan.people.models import PersonSearchDoc
from tongzhan.people.selectors import Criteria

from .search_world import (
    GROUP_SETS,
    document_postings,
    expected_keys,
    named_regions,
    place_of,
    postings,
    resolve,
)

if connection.vendor != "postgresql":
    pytest.skip("the posting table and GIN exist on PostgreSQL only", allow_module_level=True)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_stats():
    search_postgres.forget_stats()
    yield
    search_postgres.forget_stats()


def test_the_posting_table_holds_exactly_the_tokens_of_every_document(world, crowd):
    assert postings() == document_postings()
    assert len(postings()) > 100


@pytest.mark.parametrize("groups", GROUP_SETS, ids=[" & ".join("|".join(g) for g in gs) for gs in GROUP_SETS])
@pytest.mark.parametrize("limit", [1, 2, 50])
def test_every_strategy_finds_the_same_keys_in_the_same_order(world, crowd, groups, limit):
    regions = named_regions(world)
    within = next((regions[t] for group in groups for t in group if t in regions and t != "0rB"), None)
    groups = resolve(groups, world)
    query = search.TokenQuery(groups=groups)
    expected = expected_keys(groups)
    places = [None, place_of(within)] if within else [None]
    for strategy, place in itertools.product(("walk", "merge", "gin"), places):
        keys = search_postgres.matching_keys(groups, query.tsquery(), "", [], limit, id_mask=search.ID_MASK,
                                             place=place, strategy=strategy)
        assert keys == expected[:limit], (strategy, place)


def test_a_merge_reads_the_other_lists_only_between_the_first_lists_ends_and_loses_no_match_there():
    # The first list's smallest and largest keys are matches; the other lists hold keys beyond both ends.
    lists = {"~a": [10, 20, 30], "~b": [5, 10, 25, 30, 40], "~c": [1, 10, 30, 99], "~none": []}
    with connection.cursor() as cursor:
        for token, keys in lists.items():
            for key in keys:
                cursor.execute("INSERT INTO people_searchposting (token, key) VALUES (%s, %s)", [token, key])

    def merged(*tokens, limit=50):
        return search_postgres.matching_keys([[t] for t in tokens], "", "", [], limit, id_mask=search.ID_MASK,
                                             strategy="merge")

    assert merged("~a", "~b") == merged("~b", "~a") == [10, 30]
    assert merged("~b", "~c") == [10, 30]  # bounded by 5…40: 1 and 99 lie outside, and match nothing
    assert merged("~a", "~b", "~c") == merged("~c", "~b", "~a") == [10, 30]
    assert merged("~a", "~b", limit=1) == [10]
    assert merged("~none", "~b") == merged("~b", "~none") == []
    sql, _ = search_postgres._merge_sql([["~a"], ["~b"]], 50)
    assert "min(key)" in sql and "max(key)" in sql


def test_the_walk_and_gin_apply_conditions_the_index_cannot_see(world, crowd):
    groups = resolve([["0rA"]], world)
    born_from = datetime.date(1960, 1, 1)
    extra = search.Extra(birth_after=born_from)
    expected = [key & search.ID_MASK for key in expected_keys(groups, born_from=born_from)]
    assert expected  # the world's people have birth dates on both sides of 1960
    assert len(expected) < len(expected_keys(groups))
    for strategy in ("walk", "gin"):
        ids, count = search.page_of_matches(search.TokenQuery(groups=groups), extra, offset=0, limit=50,
                                            strategy=strategy)
        assert (ids, count) == (expected, len(expected)), strategy


# --- the cost model, with the statistics of a million-person registry (docs/benchmarks.md) ------------


@pytest.fixture
def million():
    """pg_stats as ANALYZE reported them on the benchmark registry: documents per token."""
    search_postgres._stats.update(at=float("inf"), floor=2566.0, rows=35e6, freq={
        "0a": 1_000_000, "0r2": 307_227, "0r3": 76_796, "0c3": 212_810, "0sm": 500_000, "0sf": 500_000,
        "张": 74_841, "李": 77_886, "zs": 8_519, "z": 213_216})


@pytest.mark.parametrize("groups, expected", [
    ([["张"]], "walk"),                                  # nothing to probe
    ([["0r2"], ["张"]], "walk"),                         # 张 in a township: dense, ~3,000 postings walked
    ([["0r2"], ["zs"]], "walk"),
    ([["0r2"], ["zhangwenying"]], "walk"),               # a rare token: its few postings, walked
    ([["0r3"], ["张"], ["0c3"]], "gin"),                 # 张 + village + category: 1,200 matches in big lists
    ([["0r2"], ["0c3"], ["0sm"]], "walk"),               # filters only, dense
    ([["0sm", "0sf"], ["0r2"]], "walk"),                 # an OR group is probed, never walked
    ([["0sm", "0sf"]], "gin"),                           # nothing single to walk
])
def test_the_cost_model_walks_dense_queries_and_leaves_sparse_ones_to_gin(million, groups, expected):
    how, driver = search_postgres.choose(groups, extra=False, limit=1001)
    assert how == expected
    if how == "walk":
        assert len(groups[driver]) == 1


def test_short_qualified_lists_are_merged(million):
    search_postgres._stats["freq"].update({"张^5": 5_806, "0c3^5": 16_000, "0r5": 77_000})
    assert search_postgres.choose([["张^5"], ["0c3^5"]], extra=False, limit=1001,
                                  gin_groups=[["张"], ["0r5"], ["0c3"]]) == ("merge", -1)


def test_the_walk_is_driven_by_the_rarest_token(million):
    assert search_postgres.choose([["0sm"], ["zs"]], extra=False, limit=1001) == ("walk", 1)
    assert search_postgres.choose([["0sm"], ["0r2"], ["张"]], extra=False, limit=1001) == ("walk", 2)


def test_without_statistics_a_query_with_filters_goes_to_gin(world):
    search_postgres._stats.update(at=float("inf"), freq={}, rows=0.0, floor=0.0)
    assert search_postgres.choose([["0r2"], ["张"]], extra=False, limit=1001) == ("gin", -1)
    assert search_postgres.choose([["张"]], extra=False, limit=1001) == ("walk", 0)


def test_statistics_are_read_from_postgresql_after_analyze(world, crowd):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_searchposting")
    stats = search_postgres._token_stats()
    assert stats["freq"].get("0a") == pytest.approx(PersonSearchDoc.objects.count(), rel=0.01)


def _region_reads(cursor) -> int:
    cursor.execute("SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables"
                   " WHERE relname = 'regions_region'")
    return cursor.fetchone()[0]


def test_an_update_computes_the_old_postings_once_per_document_even_after_a_plan_made_on_an_empty_table(
        world, crowd):
    """Migration 0008: PL/pgSQL keeps a static statement's first plan for the connection's life; the
    DELETE planned while the posting table was empty evaluated the postings function once per posting row
    (9 s to update three demo documents). Each function call reads regions_region a few times at most."""
    with connection.cursor() as cursor:
        # As on a new installation: the table is empty, on disk and in its statistics.
        cursor.execute("TRUNCATE people_searchposting")
        cursor.execute("ANALYZE people_searchposting")
        cursor.execute("UPDATE people_personsearchdoc SET tokens = tokens")  # the first plan; refills it
        assert postings() == document_postings()
        assert len(postings()) > 100
        changed = [person.pk for person in crowd[:3]]
        before = _region_reads(cursor)
        cursor.execute("UPDATE people_personsearchdoc SET tokens = tokens WHERE person_id = ANY(%s)", [changed])
        reads = _region_reads(cursor) - before
    # One call for each old and each new document, each reading regions_region at most four times.
    assert 0 < reads <= 4 * 2 * len(changed)
    assert postings() == document_postings()


def test_the_search_page_reads_its_matches_and_their_rows_in_one_statement(world, crowd):
    with CaptureQueriesContext(connection) as captured:
        page = selectors.search_people(world.township_staff, Criteria(q="张"))
    assert {person.name for person in page.people} >= {"张三", "张伟", "张无忌"}
    reading = [q["sql"] for q in captured.captured_queries if "people_person" in q["sql"]]
    assert len(reading) == 1
    assert "people_searchposting" in reading[0] or "people_personsearchdoc" in reading[0]


def test_a_page_past_the_last_match_still_counts_the_matches(world, crowd):
    first = selectors.search_people(world.township_staff, Criteria(q="张", per_page=2))
    assert first.count > 4 and len(first.people) == 2
    beyond = selectors.search_people(world.township_staff, Criteria(q="张", per_page=2, page=50))
    assert beyond.people == [] and beyond.count == first.count


def test_every_page_holds_the_people_the_two_statements_held(world, crowd):
    user = world.township_staff
    listing = selectors._listing_statement(user)
    for q in ("张", "zhang", "zw", "伟"):
        query = search.TokenQuery()
        query.within(user.scope_region())
        for token in names.query_tokens(q):
            query.require(token)
        count = None
        for offset in range(0, 14, 3):
            ids, count_now, values = search.page_with_rows(query, search.Extra(), offset=offset, limit=3, cap=1000,
                                                           listing=listing)
            expected_ids, expected_count = search.page_of_matches(query, search.Extra(), offset=offset, limit=3,
                                                                  cap=1000)
            assert (ids, count_now) == (expected_ids, expected_count), (q, offset)
            assert sorted(v["id"] for v in values) == sorted(r.pk for r in selectors.rows_for_ids(user, ids))
            count = count if count is not None else count_now
            assert count_now == count
