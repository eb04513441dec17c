import pytest

pytestmark = pytest.mark.django_db


def test_the_fixture_world_has_one_person_per_village(world):
    assert {p.region.name for p in world.people.values()} == {"甲一村", "甲二村", "乙一村"}


def test_township_staff_finds_zeng_guofan_by_initials(world, as_user):
    response = as_user(world.township_staff).get("/people/", {"q": "zgf"})
    assert response.status_code == 200
    assert "曾国藩" in response.content.decode()
