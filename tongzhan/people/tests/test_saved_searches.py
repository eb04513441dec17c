"""The office's saved searches on the search page: kept per process, never stale in it, never shared."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import logged_in
from tongzhan.people.models import SavedSearch

pytestmark = pytest.mark.django_db

LIST = "本单位保存的查询"


def search_page(client) -> str:
    response = client.get("/people/", {"q": "曾"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_a_search_saved_after_the_list_was_drawn_shows_on_the_next_page(world):
    client = logged_in(world.township_staff)
    assert LIST not in search_page(client)  # the empty list is now the cached one
    client.post("/people/saved/", {"name": "甲镇曾姓", "query": "q=曾"})
    body = search_page(client)
    assert LIST in body and "甲镇曾姓" in body


def test_one_office_never_sees_the_list_another_office_drew(world):
    township_a, township_b = logged_in(world.township_staff), logged_in(world.township_b_staff)
    township_a.post("/people/saved/", {"name": "甲镇曾姓", "query": "q=曾"})
    assert "甲镇曾姓" in search_page(township_a)
    assert "甲镇曾姓" not in search_page(township_b)
    township_b.post("/people/saved/", {"name": "乙乡单姓", "query": "q=单"})
    assert "乙乡单姓" in search_page(township_b)
    body = search_page(township_a)
    assert "甲镇曾姓" in body and "乙乡单姓" not in body


def test_a_deleted_saved_search_leaves_the_list_at_once(world):
    client = logged_in(world.township_staff)
    client.post("/people/saved/", {"name": "甲镇曾姓", "query": "q=曾"})
    assert "甲镇曾姓" in search_page(client)
    SavedSearch.objects.get(name="甲镇曾姓").delete()  # as the admin site deletes it
    assert LIST not in search_page(client)


def test_the_list_is_drawn_without_a_statement_once_it_is_cached(world):
    client = logged_in(world.township_staff)
    client.post("/people/saved/", {"name": "甲镇曾姓", "query": "q=曾"})
    search_page(client)
    with CaptureQueriesContext(connection) as captured:
        assert "甲镇曾姓" in search_page(client)
    assert not [q for q in captured.captured_queries if "people_savedsearch" in q["sql"]]
