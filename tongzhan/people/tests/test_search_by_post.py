"""ID and phone queries travel by POST so they never reach a URL (SECURITY.md D6)."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_id_search_by_post_finds_the_person_and_keeps_the_number_out_of_the_links(world, as_user):
    number = world.person_a1.decrypt("id_number")
    response = as_user(world.township_staff).post("/people/", {"q": number.lower()}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "曾国藩" in body and "单田芳" not in body
    assert number not in body and number.lower() not in body  # not in the paging or saved-search links
    assert response["HX-Push-Url"] == "false"
    assert "no-store" in response["Cache-Control"]


def test_the_auditor_may_search_by_post_because_it_only_reads(world, as_user):
    number = world.person_a1.decrypt("id_number")
    response = as_user(world.auditor).post("/people/", {"q": number})
    assert response.status_code == 200
    assert "曾国藩" in response.content.decode()


def test_a_post_search_needs_the_csrf_token(world):
    from django.test import Client

    from conftest import pass_second_factor

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.township_staff)
    pass_second_factor(client, world.township_staff)
    assert client.post("/people/", {"q": world.person_a1.decrypt("id_number")}).status_code == 403
