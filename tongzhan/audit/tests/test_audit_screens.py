"""The audit screens, the auditor's read-only role, and retention (SECURITY.md C5, E1, E3)."""

import csv
import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from tongzhan.audit import retention
from tongzhan.audit.models import AuditArchive, AuditEvent
from tongzhan.audit.services import record, verify_chain
from tongzhan.core.actors import SYSTEM
from tongzhan.people.models import Person
from tongzhan.regions.models import Region

pytestmark = pytest.mark.django_db
LIST = reverse("audit:event-list")
EXPORT = reverse("audit:event-export")


def reauthenticate(client):
    client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": "/"})


def snapshot():
    return (
        list(Person.objects.order_by("pk").values_list("pk", "version", "job_title", "last_verified_on")),
        list(Region.objects.order_by("pk").values_list("pk", "name", "path")),
        AuditEvent.objects.exclude(event__startswith="auth.").count(),
    )


# --- the auditor is read-only ------------------------------------------------------------------------


def test_the_auditor_posts_anything_and_gets_403_with_nothing_changed(world, as_user):
    client = as_user(world.auditor)
    person = world.person_a1
    before = snapshot()
    attempts = {
        reverse("people:person-edit", args=[person.pk]): {
            "name": "改名",
            "id_kind": "resident",
            "region": person.region_id,
            "legal_basis": "statutory",
            "version": person.version,
        },
        reverse("people:person-verify", args=[person.pk]): {},
        reverse("people:person-delete", args=[person.pk]): {"reason": "审计员删除"},
        reverse("people:person-create"): {"name": "新人", "region": world.village_a1.pk},
        reverse("people:saved-search-save"): {"name": "x", "query": "q=zgf"},
        reverse("regions:region-rename", args=[world.village_a1.pk]): {"name": "改名村"},
        reverse("users:user-activation", args=[world.liaison.pk]): {},
        LIST: {},
    }
    for url, data in attempts.items():
        for method in ("post", "put", "patch", "delete"):
            response = (
                getattr(client, method)(url, data) if method == "post" else getattr(client, method)(url)
            )
            assert response.status_code == 403, (method, url)
    assert snapshot() == before
    world.liaison.refresh_from_db()
    assert world.liaison.is_active


def test_the_auditor_can_still_reauthenticate_and_log_out(world, as_user):
    client = as_user(world.auditor)
    assert client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": LIST}).status_code == 302
    assert client.get(LIST).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(LIST).status_code == 302  # logged out: the login page


# --- the screens -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["district_staff", "township_staff", "liaison", "reviewer", "system_admin", "security_admin"]
)
def test_only_the_audit_administrator_and_auditors_reach_the_audit_screens(world, as_user, role):
    client = as_user(getattr(world, role))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_the_audit_screen_shows_the_unmask_event_with_its_reason(world, as_user):
    staff = as_user(world.township_staff)
    reauthenticate(staff)
    staff.post(reverse("people:person-unmask", args=[world.person_a1.pk]), {"reason": "核对走访登记信息"})
    admin = as_user(world.audit_admin)
    html = admin.get(LIST, {"event": "person.unmask"}).content.decode()
    assert "person.unmask" in html and "核对走访登记信息" in html and "township_a" in html
    assert world.person_a1.decrypt("id_number") not in html


def test_an_auditor_sees_the_events_of_users_in_their_region_only(world, as_user):
    record(actor=world.township_staff, event="test.a_side")
    record(actor=world.township_b_staff, event="test.b_side")
    record(actor=world.security_admin, event="test.admin_side")
    html = as_user(world.auditor).get(LIST, {"event": "test."}).content.decode()
    assert "test.a_side" in html and "test.b_side" not in html and "test.admin_side" not in html
    html = as_user(world.audit_admin).get(LIST, {"event": "test."}).content.decode()
    assert "test.a_side" in html and "test.b_side" in html and "test.admin_side" in html


def test_the_filters_narrow_the_list(world, as_user):
    record(actor=world.liaison, event="test.ok")
    record(actor=world.liaison, event="test.denied", result="denied")
    record(actor=world.township_staff, event="test.other")
    client = as_user(world.audit_admin)
    html = client.get(LIST, {"username": "liaison_a1", "result": "denied"}).content.decode()
    assert "test.denied" in html and "test.ok" not in html and "test.other" not in html
    today = timezone.localdate()
    html = client.get(LIST, {"event": "test.", "since": today + datetime.timedelta(days=1)}).content.decode()
    assert "没有符合条件的审计事件" in html
    html = client.get(LIST, {"event": "test.", "since": today, "until": today}).content.decode()
    assert "test.ok" in html and "test.other" in html


def test_the_list_is_paginated_and_its_query_count_does_not_grow_with_rows(world, as_user):
    client = as_user(world.audit_admin)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(120):
        record(actor=world.liaison, event="test.bulk", detail={"n": n})
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST, {"event": "test.bulk"})
    assert len(many.captured_queries) <= len(few.captured_queries) + 1
    assert response.content.decode().count("test.bulk</code>") == 50
    assert (
        client.get(LIST, {"event": "test.bulk", "page": 3}).content.decode().count("test.bulk</code>") == 20
    )


def test_the_csv_export_needs_the_password_neutralises_formulas_and_is_audited(world, as_user):
    record(actor=world.liaison, event="test.formula", reason='=HYPERLINK("http://x")')
    record(actor=world.liaison, event="test.formula", reason="＋86 13800000000")
    record(actor=world.liaison, event="test.formula", reason="@SUM(1)")
    client = as_user(world.audit_admin)
    response = client.get(EXPORT, {"event": "test.formula"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:reauth"))
    reauthenticate(client)
    response = client.get(EXPORT, {"event": "test.formula"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and len(rows) == 4
    reasons = sorted(row[9] for row in rows[1:])
    assert reasons == sorted(['\'=HYPERLINK("http://x")', "'＋86 13800000000", "'@SUM(1)"])
    event = AuditEvent.objects.filter(event="audit.export").get()
    assert event.detail["rows"] == 3 and event.detail["filter"] == {"event": "test.formula"}
    assert len(event.detail["sm3"]) == 64


# --- retention ---------------------------------------------------------------------------------------


def test_pruning_refuses_a_date_within_the_retention_periods(world, tmp_path):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="180"):
        retention.prune(
            actor=world.audit_admin, before=today - datetime.timedelta(days=10), archive=tmp_path / "a.jsonl"
        )
    # A year from now the person events of today are one year old: three years are required.
    with pytest.raises(ValidationError, match="3 年"):
        retention.prune(
            actor=world.audit_admin,
            before=today + datetime.timedelta(days=1),
            archive=tmp_path / "a.jsonl",
            today=today + datetime.timedelta(days=366),
        )
    assert not (tmp_path / "a.jsonl").exists()
    with pytest.raises(Exception, match="审计管理员"):
        retention.prune(
            actor=world.auditor, before=today - datetime.timedelta(days=400), archive=tmp_path / "a.jsonl"
        )


def test_the_prune_command_needs_the_audit_administrator_an_old_enough_date_and_the_flag(world, tmp_path):
    archive = str(tmp_path / "a.jsonl")
    old = (timezone.localdate() - datetime.timedelta(days=4 * 365)).isoformat()
    with pytest.raises(CommandError, match="审计管理员"):
        call_command("prune_audit", before=old, archive=archive, by="auditor_a", confirm=True)
    with pytest.raises(CommandError, match="180"):
        call_command(
            "prune_audit",
            before=timezone.localdate().isoformat(),
            archive=archive,
            by="auditadmin",
            confirm=True,
        )
    with pytest.raises(CommandError, match="--confirm"):
        call_command("prune_audit", before=old, archive=archive, by="auditadmin")
    assert AuditEvent.objects.filter(event="audit.prune").count() == 0


def test_pruning_archives_then_deletes_and_the_chain_still_verifies(world, tmp_path):
    record(actor=world.liaison, event="test.kept_before_prune")
    count = AuditEvent.objects.count()
    last_mac = AuditEvent.objects.order_by("-id").first().mac
    future = timezone.localdate() + datetime.timedelta(days=4 * 366)  # every row now counts as old enough
    archive = tmp_path / "audit-archive.jsonl"
    result = retention.prune(
        actor=world.audit_admin,
        before=timezone.localdate() + datetime.timedelta(days=1),
        archive=archive,
        today=future,
    )
    assert result.rows == count and result.anchor == last_mac
    lines = archive.read_text(encoding="utf-8").splitlines()
    header, rows = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header["chain_starts_from"] == "0" * 64 and len(rows) == count
    assert list(rows[0])[:2] == ["mac", "previous_mac"] and rows[-1]["mac"] == last_mac
    assert list(AuditEvent.objects.values_list("event", flat=True)) == ["audit.prune"]
    assert AuditArchive.objects.get().anchor_mac == last_mac
    record(actor=world.liaison, event="test.after_prune")
    assert verify_chain() == (True, None, 2)
    call_command("verify_audit")


def test_a_forged_archive_marker_breaks_verification(world, tmp_path):
    future = timezone.localdate() + datetime.timedelta(days=4 * 366)
    retention.prune(
        actor=world.audit_admin,
        before=timezone.localdate() + datetime.timedelta(days=1),
        archive=tmp_path / "a.jsonl",
        today=future,
    )
    AuditArchive.objects.create(
        before=timezone.localdate(), through_id=10**9, anchor_mac="f" * 64, rows=1, path="x", sm3="0" * 64
    )
    record(actor=SYSTEM, event="test.after_forgery")
    assert verify_chain()[0] is False


def test_verify_audit_names_a_forged_archive_marker_when_no_row_follows_it(world, tmp_path):
    future = timezone.localdate() + datetime.timedelta(days=4 * 366)
    retention.prune(actor=world.audit_admin, before=timezone.localdate() + datetime.timedelta(days=1),
                    archive=tmp_path / "a.jsonl", today=future)
    AuditArchive.objects.create(
        before=timezone.localdate(), through_id=10**9, anchor_mac="f" * 64, rows=1, path="x", sm3="0" * 64
    )
    assert verify_chain() == (False, None, 0)
    with pytest.raises(CommandError, match="归档标记"):
        call_command("verify_audit")


def test_the_audit_table_still_refuses_delete_outside_a_prune(world):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = (SELECT MIN(id) FROM audit_auditevent)")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditArchive.objects.create(
            before=timezone.localdate(), through_id=1, anchor_mac="a", rows=1, path="x", sm3="0"
        )
        AuditArchive.objects.all().delete()
