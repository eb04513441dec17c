"""Township staff open and edit collections for their own township (issue #4 item 5, SECURITY.md A1, E1)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tongzhan.audit.models import AuditEvent
from tongzhan.collection.models import Collection

from .factories import NOTICE, open_collection

pytestmark = pytest.mark.django_db


def form(world, **changes) -> dict:
    today = timezone.localdate()
    data = {"township": world.township_a.pk, "category": "notable", "title": "知名人士征集",
            "notice_version": "2026-02", "purpose": "统战工作联系服务", "opens_on": today.isoformat(),
            "closes_on": (today + datetime.timedelta(days=10)).isoformat(), "notice": NOTICE,
            "asked": ["phone", "religion"]}
    data.update(changes)
    return data


def test_township_staff_open_a_collection_for_their_township_and_it_is_audited(world, as_user):
    response = as_user(world.township_staff).post("/collect/manage/new/", form(world))
    assert response.status_code == 302
    collection = Collection.objects.get()
    assert collection.township == world.township_a and collection.fields == ["phone", "religion"]
    assert collection.notice_version == "2026-02" and collection.created_by == world.township_staff
    assert AuditEvent.objects.filter(event="collection.open", object_id=str(collection.pk)).exists()
    assert collection.asks_sensitive


def test_the_township_list_holds_only_the_users_own_township(world, as_user):
    html = as_user(world.township_staff).get("/collect/manage/new/").content.decode()
    assert "甲镇" in html and "乙乡" not in html
    response = as_user(world.township_staff).post("/collect/manage/new/", form(world, township=world.township_b.pk))
    assert "所选乡镇不存在或不在您的管辖范围内" in response.content.decode()
    assert not Collection.objects.exists()


def test_a_closing_date_before_the_opening_date_is_refused_by_name(world, as_user):
    today = timezone.localdate()
    response = as_user(world.township_staff).post("/collect/manage/new/", form(
        world, closes_on=(today - datetime.timedelta(days=1)).isoformat()))
    assert "早于开始日期" in response.content.decode()
    assert not Collection.objects.exists()


def test_reviewers_auditors_and_liaisons_cannot_open_collections(world, as_user):
    for user in (world.reviewer, world.auditor, world.liaison, world.system_admin):
        assert as_user(user).post("/collect/manage/new/", form(world)).status_code == 403
    assert not Collection.objects.exists()
    with pytest.raises(PermissionDenied):
        open_collection(world.township_b, actor=world.township_staff)


def test_editing_a_collection_changes_the_notice_version_and_is_audited(world, as_user):
    collection = open_collection(world.township_a)
    client = as_user(world.township_staff)
    assert "2026-01" in client.get(f"/collect/manage/{collection.pk}/edit/").content.decode()
    data = form(world, notice_version="2026-03", version=collection.version)
    assert client.post(f"/collect/manage/{collection.pk}/edit/", data).status_code == 302
    collection.refresh_from_db()
    assert collection.notice_version == "2026-03" and collection.version == 2
    assert AuditEvent.objects.get(event="collection.update").detail["fields"]


def test_a_stale_edit_is_refused_instead_of_overwriting(world, as_user):
    collection = open_collection(world.township_a)
    client = as_user(world.township_staff)
    client.post(f"/collect/manage/{collection.pk}/edit/", form(world, title="第一次", version=1))
    response = client.post(f"/collect/manage/{collection.pk}/edit/", form(world, title="第二次", version=1))
    assert "已被他人修改" in response.content.decode()
    assert Collection.objects.get().title == "第一次"


def test_the_manage_page_lists_the_collections_with_their_pending_counts(world, as_user):
    from .factories import submit

    collection = open_collection(world.township_a, title="甲镇征集一")
    submit(collection, village=world.village_a1)
    html = as_user(world.reviewer).get("/collect/manage/").content.decode()
    assert "甲镇征集一" in html and "<td>1</td>" in html
    assert 'id="open-collection"' not in html  # a reviewer decides; staff open collections
