"""The public pages on a host name of their own: there, nothing but them (TONGZHAN_PUBLIC_HOST)."""

from __future__ import annotations

import pytest
from django.test import Client

from .factories import open_collection

pytestmark = pytest.mark.django_db

PUBLIC = "zhengji.example"


@pytest.fixture
def public_host(settings):
    settings.PUBLIC_HOST = PUBLIC
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, PUBLIC]
    return Client(HTTP_HOST=PUBLIC)


def test_the_public_host_serves_the_public_pages(world, public_host):
    collection = open_collection(world.township_a)
    for url in ("/collect/", f"/collect/{collection.pk}/", "/collect/receipt/"):
        assert public_host.get(url).status_code == 200, url
    root = public_host.get("/")
    assert root.status_code == 302 and root["Location"] == "/collect/"


def test_the_public_host_serves_no_staff_page_login_or_admin(world, public_host, as_user):
    not_found = public_host.get("/no-such-page/").content
    for url in ("/accounts/login/", "/people/", f"/people/{world.person_a1.pk}/", "/collect/manage/",
                "/collect/manage/new/", "/admin/", "/audit/", "/users/", "/healthz"):
        response = public_host.get(url)
        assert response.status_code == 404, url
        assert response.content == not_found, url
    # Even a signed-in staff member's session gets nothing there.
    staff = as_user(world.township_staff)
    assert staff.get("/people/", HTTP_HOST=PUBLIC).status_code == 404
    assert staff.post("/accounts/login/", {"username": "x", "password": "y"}, HTTP_HOST=PUBLIC).status_code == 404


def test_the_public_host_serves_static_files(world, public_host):
    response = public_host.get("/static/tongzhan/collection.css")
    assert response.status_code == 200


def test_the_staff_host_is_unchanged_when_a_public_host_is_set(world, public_host, as_user):
    assert Client().get("/accounts/login/").status_code == 200
    assert as_user(world.township_staff).get("/collect/manage/").status_code == 200


def test_without_the_setting_every_host_serves_everything(world, settings):
    settings.PUBLIC_HOST = ""
    assert Client().get("/accounts/login/").status_code == 200
