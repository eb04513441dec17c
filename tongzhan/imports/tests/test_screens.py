"""The import screens through Django's full request path: upload, mapping, report, commit, undo, scope."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tongzhan.imports.models import ImportBatch
from tongzhan.people.models import Person

from .test_pipeline import entrepreneurs, standard_rows

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name="企业家名单.xlsx", **extra):
    return client.post(reverse("imports:batch-list"),
                       {"file": SimpleUploadedFile(name, data), "category": "", "region": "", **extra})


def mapping_post(batch) -> dict:
    return {f"s{sheet}_c{i}": key for sheet, keys in batch.mapping.items() for i, key in enumerate(keys)}


def test_staff_upload_map_check_commit_and_undo_through_the_screens(world, as_user):
    client = as_user(world.township_staff)
    page = client.get(reverse("imports:batch-list"))
    assert page.status_code == 200 and "10 MB" in page.content.decode()  # the size cap is shown
    response = upload(client, entrepreneurs(standard_rows()))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:batch-mapping", args=[batch.pk])
    html = client.get(response["Location"]).content.decode()
    assert "企业名称" in html and "序号" in html and "未识别，不导入" in html
    response = client.post(reverse("imports:batch-mapping", args=[batch.pk]), mapping_post(batch))
    assert response["Location"] == reverse("imports:batch-detail", args=[batch.pk])
    html = client.get(response["Location"]).content.decode()
    batch.refresh_from_db()
    assert batch.status == "checked"
    assert 'id="count-created">2<' in html and 'id="count-rejected">1<' in html
    assert "校验位" in html and "330206********0018" in html
    rejected_only = client.get(response["Location"], {"status": "rejected"}).content.decode()
    assert "张三" in rejected_only and "李明" not in rejected_only
    before = Person.objects.count()
    client.post(reverse("imports:batch-commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "done" and Person.objects.count() == before + 2
    response = client.post(reverse("imports:batch-undo", args=[batch.pk]), follow=True)
    assert "已撤销批次" in response.content.decode()
    assert Person.objects.count() == before


def test_a_refused_upload_shows_the_readers_message_and_keeps_nothing(world, as_user):
    client = as_user(world.township_staff)
    response = upload(client, b"MZ" + b"\x00" * 64, name="名单.xlsx")
    assert response.status_code == 200
    assert "可执行程序" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_conflicts_are_offered_keep_or_take_on_the_report(world, as_user):
    client = as_user(world.township_staff)
    upload(client, entrepreneurs([["1", "曾国藩", "330206196503120016", "", "13912345678", "甲一村", "被服厂", "", ""]]))
    batch = ImportBatch.objects.get()
    client.post(reverse("imports:batch-mapping", args=[batch.pk]), mapping_post(batch))
    html = client.get(reverse("imports:batch-detail", args=[batch.pk])).content.decode()
    assert 'id="conflict-table"' in html and "138****0000" in html and 'value="take"' in html
    key = "0:5:phone"
    client.post(reverse("imports:batch-commit", args=[batch.pk]), {f"conflict:{key}": "take"})
    assert Person.objects.get(pk=world.person_a1.pk).decrypt("phone") == "13912345678"


def test_batches_are_seen_only_inside_their_office(world, as_user):
    client = as_user(world.township_b_staff)
    upload(client, entrepreneurs([["1", "李明", "330206198001010019", "", "", "乙一村", "某厂", "", ""]]),
           name="乙乡名单.xlsx")
    batch = ImportBatch.objects.get()
    a = as_user(world.township_staff)
    assert "乙乡名单" not in a.get(reverse("imports:batch-list")).content.decode()
    missing = a.get(reverse("imports:batch-detail", args=[99999999]))
    other = a.get(reverse("imports:batch-detail", args=[batch.pk]))
    assert other.status_code == missing.status_code == 404 and other.content == missing.content
    district = as_user(world.district_staff)
    assert district.get(reverse("imports:batch-detail", args=[batch.pk])).status_code == 200


def test_reviewers_and_auditors_have_no_import_screens_and_the_nav_shows_it(world, as_user):
    for user in (world.reviewer, world.auditor):
        client = as_user(user)
        assert client.get(reverse("imports:batch-list")).status_code == 403
        assert 'id="nav-imports"' not in client.get(reverse("people:person-list")).content.decode()
    html = as_user(world.liaison).get(reverse("people:person-list")).content.decode()
    assert 'id="nav-imports"' in html and 'id="import-link"' in html


def test_a_running_batch_polls_its_progress_and_a_dead_worker_marks_it_failed(world, as_user):
    from tongzhan.imports import services

    client = as_user(world.township_staff)
    upload(client, entrepreneurs(standard_rows()))
    batch = ImportBatch.objects.get()
    services.mark_running(batch=batch, status="committing", pid=os.getpid())  # alive: this process
    services.write_progress(batch, "commit", 10, 40)
    fragment = client.get(reverse("imports:batch-progress", args=[batch.pk])).content.decode()
    assert "10 / 40" in fragment and 'hx-trigger="every 1s"' in fragment
    assert 'id="progress"' in client.get(reverse("imports:batch-detail", args=[batch.pk])).content.decode()

    services.mark_running(batch=batch, status="committing", pid=2**22 + 12345)  # no such process
    services.write_progress(batch, "commit", 10, 40)
    fragment = client.get(reverse("imports:batch-progress", args=[batch.pk]))
    batch.refresh_from_db()
    # the worker's pid is dead: the batch is failed at once and the page is told to reload
    assert batch.status == "failed" and fragment["HX-Refresh"] == "true"
    assert not services.upload_path(batch).exists()
    html = client.get(reverse("imports:batch-detail", args=[batch.pk])).content.decode()
    assert "处理进程意外中止" in html
