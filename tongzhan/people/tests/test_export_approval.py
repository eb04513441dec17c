"""More than 200 people unmasked: a second authorised person approves, the requester downloads once (C7)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, pass_second_factor
from tongzhan.accounts.models import User
from tongzhan.accounts.roles import Role
from tongzhan.audit.models import AuditEvent
from tongzhan.core.actors import SYSTEM
from tongzhan.people.models import ExportRequest, Person
from tongzhan.people.services import PersonInput, create_person
from tongzhan.people.services.exports import APPROVAL_THRESHOLD
from tongzhan.people.tests.test_export import by_header, export, reauthenticate, served, sheet_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_folder(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def crowd(world):
    """205 generated people in township A: with the world's two, 207 rows, over the threshold."""
    call_command("generate_people", count=205, seed=11, region=world.township_a.code, stdout=io.StringIO())
    count = Person.objects.filter(region__path__startswith=world.township_a.path).count()
    assert count == 207 > APPROVAL_THRESHOLD
    return count


@pytest.fixture
def colleague(world):
    return User.objects.create_user(username="township_a2", password=PASSWORD, role=Role.TOWNSHIP_STAFF,
                                    region=world.township_a, first_name="township_a2")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return client


def decide(client, export_request, decision="approve", note=""):
    return client.post(reverse("people:export-decide", args=[export_request.pk]), {"decision": decision, "note": note})


def download(client, export_request):
    return client.post(reverse("people:export-download", args=[export_request.pk]))


def requested(client) -> ExportRequest:
    response = export(client, unmasked="on")
    assert response.status_code == 302, response.status_code
    export_request = ExportRequest.objects.get()
    assert response["Location"] == reverse("people:export-request", args=[export_request.pk])
    return export_request


def test_over_200_unmasked_rows_wait_for_a_second_persons_approval_then_download_once(world, crowd, colleague):
    requester = signed_in(world.township_staff)
    reauthenticate(requester)
    export_request = requested(requester)
    assert (export_request.status, export_request.row_count, export_request.purpose) == ("pending", crowd, "核对侨情普查名单")
    assert AuditEvent.objects.filter(event="person.export_request").count() == 1
    assert not AuditEvent.objects.filter(event="person.export").exists()

    assert decide(requester, export_request).status_code == 403  # not one's own
    response = download(requester, export_request)  # not before approval
    assert response.status_code == 302 and not response.streaming
    export_request.refresh_from_db()
    assert export_request.status == "pending"

    approver = signed_in(colleague)
    page = approver.get(reverse("people:export")).content.decode()
    assert reverse("people:export-request", args=[export_request.pk]) in page  # waiting for them
    assert decide(approver, export_request)["Location"].startswith(reverse("accounts:reauth"))
    reauthenticate(approver)
    assert decide(approver, export_request).status_code == 302
    export_request.refresh_from_db()
    assert (export_request.status, export_request.decided_by) == ("approved", colleague)
    assert AuditEvent.objects.filter(event="person.export_approve", username="township_a2").exists()

    rows = sheet_rows(served(download(requester, export_request)))
    assert len(rows) == 2 + crowd
    assert by_header(rows, "曾国藩")["证件号码"] == world.person_a1.decrypt("id_number")
    event = AuditEvent.objects.get(event="person.export")
    assert event.detail["request"] == export_request.pk and event.detail["masked"] is False
    assert event.detail["rows"] == crowd and event.username == "township_a"
    export_request.refresh_from_db()
    assert export_request.status == "downloaded" and export_request.downloaded_at is not None

    again = download(requester, export_request)
    assert again.status_code == 302 and not again.streaming
    assert AuditEvent.objects.filter(event="person.export").count() == 1


def test_a_masked_export_of_over_200_rows_needs_no_approval(world, crowd):
    client = signed_in(world.township_staff)
    reauthenticate(client)
    rows = sheet_rows(served(export(client)))
    assert len(rows) == 2 + crowd and not ExportRequest.objects.exists()


def test_only_the_requester_downloads_and_only_staff_over_the_region_decide(world, crowd, colleague):
    requester = signed_in(world.township_staff)
    reauthenticate(requester)
    export_request = requested(requester)
    other_township = signed_in(world.township_b_staff)
    reauthenticate(other_township)
    url = reverse("people:export-request", args=[export_request.pk])
    missing = reverse("people:export-request", args=[99999999])
    assert other_township.get(url).status_code == 404
    assert other_township.get(url).content == other_township.get(missing).content
    assert decide(other_township, export_request).status_code == 404
    for role in ("liaison", "reviewer"):
        client = signed_in(getattr(world, role))
        reauthenticate(client)
        assert client.get(url).status_code == 404 and decide(client, export_request).status_code == 404
    district = signed_in(world.district_staff)
    reauthenticate(district)
    assert district.get(url).status_code == 200
    assert download(district, export_request).status_code == 403  # another's approved file is not theirs
    assert decide(district, export_request).status_code == 302
    export_request.refresh_from_db()
    assert export_request.status == "approved" and export_request.decided_by == world.district_staff
    assert download(district, export_request).status_code == 403
    assert not AuditEvent.objects.filter(event="person.export").exists()


def test_a_rejection_needs_a_reason_and_blocks_the_download(world, crowd, colleague):
    requester = signed_in(world.township_staff)
    reauthenticate(requester)
    export_request = requested(requester)
    approver = signed_in(colleague)
    reauthenticate(approver)
    decide(approver, export_request, "reject")
    export_request.refresh_from_db()
    assert export_request.status == "pending"
    decide(approver, export_request, "reject", "用途不明确，请补充说明")
    export_request.refresh_from_db()
    assert export_request.status == "rejected" and export_request.decision_note == "用途不明确，请补充说明"
    response = download(requester, export_request)
    assert response.status_code == 302 and not response.streaming
    assert "已被驳回" in requester.get(response["Location"]).content.decode()


def test_an_approval_lapses_after_a_day_and_when_the_rows_grew(world, crowd, colleague):
    requester = signed_in(world.township_staff)
    reauthenticate(requester)
    export_request = requested(requester)
    approver = signed_in(colleague)
    reauthenticate(approver)
    decide(approver, export_request)
    create_person(actor=SYSTEM, data=PersonInput(name="曾后来", region=world.village_a1))
    response = download(requester, export_request)
    assert not response.streaming
    assert "超过批准的 207 条" in requester.get(response["Location"]).content.decode()
    Person.objects.filter(name="曾后来").delete()
    ExportRequest.objects.filter(pk=export_request.pk).update(
        decided_at=timezone.now() - datetime.timedelta(hours=25))
    response = download(requester, export_request)
    assert not response.streaming
    assert "已经失效" in requester.get(response["Location"]).content.decode()
    export_request.refresh_from_db()
    assert export_request.status == "approved" and not AuditEvent.objects.filter(event="person.export").exists()


def test_the_database_refuses_a_self_approval(world, crowd):
    from django.db import IntegrityError, transaction

    requester = signed_in(world.township_staff)
    reauthenticate(requester)
    export_request = requested(requester)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportRequest.objects.filter(pk=export_request.pk).update(status="approved", decided_by=world.township_staff)
