"""PostgreSQL's two ways of answering a token query (search_postgres): the ordered walk over the posting
table and the GIN bitmap. Both must find the same people in the same order, the posting table must hold
exactly the tokens of the documents whatever the services do, and the cost model must walk dense
queries and leave sparse ones to GIN. Skipped on SQLite, which has neither (FTS5 answers there).
"""

import datetime
import itertools

import pytest
from django.db import connection

from tongzhan.core.actors import SYSTEM
from tongzhan.people import search, search_postgres, services
from tongzhan.people.models import Category, CategoryMembership, PersonSearchDoc
from tongzhan.regions.services import create_region

from .test_search import add_person, input_from

if connection.vendor != "postgresql":
    pytest.skip("the posting table and GIN exist on PostgreSQL only", allow_module_level=True)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_stats():
    search_postgres.forget_stats()
    yield
    search_postgres.forget_stats()


def postings() -> set[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT token, key FROM people_searchposting")
        return set(cursor.fetchall())


def document_postings() -> set[tuple[str, int]]:
    """What the posting table must hold: every token; name tokens also qualified by the township and the
    village, category tokens by the village (migration 0005)."""
    out = set()
    for doc in PersonSearchDoc.objects.select_related("person__region"):
        ancestors = doc.person.region.ancestor_ids()
        township, village = ancestors[1], (ancestors[2] if len(ancestors) > 2 else None)
        for token in filter(None, doc.tokens.split(" ")):
            out.add((token, doc.pk))
            if not token.startswith("0"):
                out.update((f"{token}^{home}", doc.pk) for home in (township, village) if home)
            elif token.startswith("0c") and village:
                out.add((f"{token}^{village}", doc.pk))
    return out


def expected_keys(groups, *, born_from=None) -> list[int]:
    """What any correct answer is: the keys of the documents holding a token of every group, in order."""
    keys = []
    for doc in PersonSearchDoc.objects.select_related("person"):
        tokens = set(doc.tokens.split(" "))
        born_in_range = born_from is None or (doc.person.birth_date and doc.person.birth_date >= born_from)
        if born_in_range and all(tokens & set(group) for group in groups):
            keys.append(doc.pk)
    return sorted(keys)


@pytest.fixture
def crowd(world):
    """Twelve more people in township A's villages, sharing surnames, some in a second category."""
    entrepreneur = Category.objects.get(code="entrepreneur")
    people = []
    for i, (name, village) in enumerate(zip(
            ["张三", "张三丰", "张伟", "章伟", "李伟", "李四", "张小凡", "王伟", "张无忌", "欧阳伟", "张伟华", "李张"],
            itertools.cycle([world.village_a1, world.village_a2]), strict=False)):
        person = add_person(name, village)
        if i % 3 == 0:
            services.join_category(actor=SYSTEM, person=person, category=entrepreneur,
                                   attributes={"enterprise_name": f"第{i}号公司"})
        people.append(person)
    group = create_region(actor=SYSTEM, name="甲一村一组", code="330206101201001", level="group",
                          parent=world.village_a1)
    people.append(add_person("张组长", group))
    return people


def test_the_posting_table_holds_exactly_the_tokens_of_every_document(world, crowd):
    assert postings() == document_postings()
    assert len(postings()) > 100


def test_postings_follow_renames_category_changes_and_deletions(world, crowd):
    person = crowd[0]
    services.update_person(actor=SYSTEM, person=person, data=input_from(person, name="艾国藩"),
                           expected_version=person.version)
    membership = CategoryMembership.objects.get(person=crowd[3], category="entrepreneur")
    services.leave_category(actor=SYSTEM, membership=membership, reason="迁出本地")
    services.delete_person(actor=SYSTEM, person=crowd[1], reason="重复录入")
    assert postings() == document_postings()
    assert not any(token == "zs" and key & search.ID_MASK == crowd[1].pk for token, key in postings())
    assert any(token == "agf" for token, _ in postings())


GROUP_SETS = [
    [["张"]],
    [["伟"]],
    [["zh"]],
    [["0a"]],
    [["伟"], ["0rA"]],
    [["张"], ["0rA1"]],
    [["伟"], ["0rA"], ["0centrepreneur"]],
    [["0rA"], ["0centrepreneur"]],
    [["zw"], ["0rA2"], ["0sm", "0sf"]],
    [["张"], ["三"]],
    [["nobody"], ["0rA"]],
    [["0rA"], ["0rB"]],
    [["张"], ["0rG"]],
    [["0rG"]],
]


def named_regions(world) -> dict:
    """The regions GROUP_SETS name by letter (G: the villagers' group the crowd adds under A1)."""
    return {"0rA": world.township_a, "0rA1": world.village_a1, "0rA2": world.village_a2,
            "0rB": world.township_b, "0rG": world.village_a1.children.get()}


def resolve(groups, world):
    """GROUP_SETS name regions and categories by letter; the tokens hold their ids and orders."""
    regions = named_regions(world)
    order = Category.objects.get(code="entrepreneur").sort_order
    out = []
    for group in groups:
        out.append([search.filter_token("r", regions[t].pk) if t in regions else
                    search.filter_token("c", order) if t == "0centrepreneur" else t for t in group])
    return out


def place_of(region) -> tuple:
    ids = region.ancestor_ids()
    return (region.pk, ids[1] if len(ids) > 1 else None, ids[2] if len(ids) > 2 else None)


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


def test_in_a_township_or_village_tokens_are_read_qualified_and_the_region_token_is_implied(world):
    town, village = search.filter_token("r", world.township_a.pk), search.filter_token("r", world.village_a1.pk)
    t, v = world.township_a.pk, world.village_a1.pk
    in_town, in_village = place_of(world.township_a), place_of(world.village_a1)
    assert search_postgres.qualified([[town], ["张"], ["zs"]], in_town) == [[f"张^{t}"], [f"zs^{t}"]]
    assert search_postgres.qualified([[town], ["张"], ["0c3"]], in_town) == [[f"张^{t}"], ["0c3"]]
    assert search_postgres.qualified([[village], ["张"], ["0c3"]], in_village) == [[f"张^{v}"], [f"0c3^{v}"]]
    assert search_postgres.qualified([[village], ["0c3"]], in_village) == [[f"0c3^{v}"]]
    assert search_postgres.qualified([[town], ["0c3"]], in_town) == [[town], ["0c3"]]  # nothing to qualify
    assert search_postgres.qualified([[town], ["张"]], None) == [[town], ["张"]]


def test_a_group_filter_is_read_qualified_by_its_village_and_still_probed(world, crowd):
    group = crowd[-1].region
    token = search.filter_token("r", group.pk)
    assert search_postgres.qualified([[token], ["张"]], place_of(group)) == [[token], [f"张^{world.village_a1.pk}"]]


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
