"""The search index on both databases: it holds exactly what the documents say after every kind of
change (FTS5's integrity check on SQLite, the posting table against the documents on PostgreSQL), and
which tokens a query reads in a township or village (search.qualified)."""

import pytest

from tongzhan.core.actors import SYSTEM
from tongzhan.people import search, services
from tongzhan.people.models import CategoryMembership
from tongzhan.regions.services import move_region

from .search_world import check_index, place_of
from .test_search import input_from

pytestmark = pytest.mark.django_db


def found(*tokens) -> list[int]:
    ids, _count = search.page_of_matches(search.TokenQuery(groups=[[t] for t in tokens]), search.Extra(),
                                         offset=0, limit=50)
    return ids


def test_the_index_holds_exactly_the_documents_after_renames_category_changes_moves_and_deletions(world, crowd):
    check_index()
    person = crowd[0]
    services.update_person(actor=SYSTEM, person=person, data=input_from(person, name="艾国藩"),
                           expected_version=person.version)
    membership = CategoryMembership.objects.get(person=crowd[3], category="entrepreneur")
    services.leave_category(actor=SYSTEM, membership=membership, reason="迁出本地")
    services.delete_person(actor=SYSTEM, person=crowd[1], reason="重复录入")
    move_region(actor=SYSTEM, region=world.village_a2, new_parent=world.township_b)
    check_index()
    assert person.pk in found("agf") and crowd[1].pk not in found("zs")
    assert crowd[3].pk in found("zw", search.filter_token("r", world.township_b.pk))  # 章伟 moved with 甲二村


def test_in_a_township_or_village_tokens_are_read_qualified_and_the_region_token_is_implied(world):
    town, village = search.filter_token("r", world.township_a.pk), search.filter_token("r", world.village_a1.pk)
    t, v = world.township_a.pk, world.village_a1.pk
    in_town, in_village = place_of(world.township_a), place_of(world.village_a1)
    assert search.qualified([[town], ["张"], ["zs"]], in_town) == [[f"张^{t}"], [f"zs^{t}"]]
    assert search.qualified([[town], ["张"], ["0c3"]], in_town) == [[f"张^{t}"], ["0c3"]]
    assert search.qualified([[village], ["张"], ["0c3"]], in_village) == [[f"张^{v}"], [f"0c3^{v}"]]
    assert search.qualified([[village], ["0c3"]], in_village) == [[f"0c3^{v}"]]
    assert search.qualified([[town], ["0c3"]], in_town) == [[town], ["0c3"]]  # nothing to qualify
    assert search.qualified([[town], ["张"]], None) == [[town], ["张"]]


def test_a_group_filter_is_read_qualified_by_its_village_and_still_probed(world, crowd):
    group = crowd[-1].region
    token = search.filter_token("r", group.pk)
    assert search.qualified([[token], ["张"]], place_of(group)) == [[token], [f"张^{world.village_a1.pk}"]]



def test_sqlite_reads_only_category_tokens_qualified_and_only_in_a_village(world):
    """SQLite's FTS5 holds category tokens qualified by the village and nothing else (search.place_tokens)."""
    town = search.filter_token("r", world.township_a.pk)
    v = world.village_a1.pk
    village = search.filter_token("r", v)
    in_town, in_village = place_of(world.township_a), place_of(world.village_a1)
    assert search.qualified([[town], ["张"], ["0c3"]], in_town, township=False, names=False) == [[town], ["张"], ["0c3"]]
    assert search.qualified([[village], ["张"], ["0c3"]], in_village, township=False, names=False) == [
        ["张"], [f"0c3^{v}"]]
    assert search.qualified([[village], ["张"]], in_village, township=False, names=False) == [[village], ["张"]]
