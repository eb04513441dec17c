"""The registry's protection: no plaintext at rest, integrity alarms, and an audit row for every write."""

import json
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from conftest import PEOPLE
from tongzhan.audit.models import AuditEvent
from tongzhan.audit.services import verify_chain
from tongzhan.core.actors import SYSTEM
from tongzhan.people import services
from tongzhan.people.models import (
    Category,
    HistoryEntry,
    Person,
    SavedSearch,
)

pytestmark = pytest.mark.django_db

# The helpers live with the registry's other service tests; imported by name, so no test runs twice.
from tongzhan.people.tests.test_services import (  # noqa: E402
    X_ID,
    input_from,
    new_person,
    notable,
    world_id,
)

SECRETS = [world_id(key) for key in PEOPLE] + [X_ID, "13800000000", "13800000001"]


def test_the_person_table_holds_no_plaintext_id_number_or_phone(world):
    new_person(region=world.village_a1)
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "people_person")]
        cursor.execute(
            f"SELECT {', '.join(connection.ops.quote_name(c) for c in columns)} FROM people_person"
        )
        rows = cursor.fetchall()
    assert len(rows) == 4
    for row in rows:
        for value in row:
            if isinstance(value, memoryview | bytes | bytearray):
                text = bytes(value).decode("latin-1")
            else:
                text = str(value)
            for secret in SECRETS:
                assert secret not in text
                assert secret.lower() not in text


def test_no_table_holds_a_plaintext_id_number(world):
    person = world.person_a1
    services.update_person(
        actor=SYSTEM, person=person, expected_version=person.version, data=input_from(person, id_number=X_ID)
    )
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(
                    bytes(v).decode("latin-1") if isinstance(v, memoryview | bytes | bytearray) else str(v)
                    for v in row
                )
                for secret in SECRETS[:4]:
                    assert secret not in text, table


@pytest.fixture
def committed_world(world):
    """The world committed to the database file (the test is transactional). The flush that empties the
    database afterwards must also empty the audit table, whose triggers refuse DELETE: the one trigger
    is lifted to clear it and put back at once. Serialized rollback restores the code tables."""
    yield world
    if connection.vendor == "sqlite":
        from tests.audit_triggers import empty_audit_tables_now

        empty_audit_tables_now()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_the_sqlite_file_holds_no_plaintext_id_number(committed_world):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(FULL)")
    path = Path(connection.settings_dict["NAME"])
    if not path.is_file():
        pytest.skip("the test database is not a file")
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.is_file():
        data += wal.read_bytes()
    assert "曾国藩".encode() in data  # the rows are really in the file
    for secret in SECRETS[:3]:
        assert secret.encode() not in data
        assert secret.encode("utf-16-le") not in data


def test_a_tampered_ciphertext_raises_the_integrity_alarm_on_the_detail_page(world, as_user):
    person = world.person_a1
    blob = bytearray(bytes(person.ethnicity_enc))
    blob[20] ^= 0x01
    Person.objects.filter(pk=person.pk).update(ethnicity_enc=bytes(blob))
    response = as_user(world.township_staff).get(f"/people/{person.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "完整性告警" in html
    assert "汉族" not in html and "甲一村1号" not in html
    edit = as_user(world.township_staff).get(f"/people/{person.pk}/edit/", follow=True)
    assert edit.status_code == 200
    assert "加密数据校验失败" in edit.content.decode()


def test_a_ciphertext_copied_from_another_row_raises_the_alarm(world, as_user):
    Person.objects.filter(pk=world.person_a1.pk).update(address_enc=world.person_a2.address_enc)
    response = as_user(world.township_staff).get(f"/people/{world.person_a1.pk}/")
    assert response.status_code == 200
    assert "完整性告警" in response.content.decode()
    assert "甲二村1号" not in response.content.decode()


# --- audit -----------------------------------------------------------------------------------------


def test_every_service_call_writes_one_audit_event_and_the_chain_stays_intact(world):
    actor = world.township_staff
    person = world.person_a1
    notable_membership = notable(person)
    state = {}

    def create():
        state["person"] = new_person(region=world.village_a2, actor=actor)
        return state["person"]

    def add():
        state["record"] = services.add_sub_record(
            actor=actor, person=person, kind="honour", attributes={"title": "太子太保"}
        )
        return state["record"]

    def join():
        state["membership"] = services.join_category(
            actor=actor,
            person=person,
            category=Category.objects.get(code="entrepreneur"),
            attributes={"enterprise_name": "江南制造局"},
        )
        return state["membership"]

    calls = [
        ("person.create", create),
        (
            "person.update",
            lambda: services.update_person(
                actor=actor,
                person=person,
                data=input_from(person, job_title="总督"),
                expected_version=person.version,
            ),
        ),
        ("person.verify", lambda: services.verify_person(actor=actor, person=person)),
        ("membership.create", join),
        (
            "membership.update",
            lambda: services.update_category_detail(
                actor=actor,
                membership=state["membership"],
                attributes={"enterprise_name": "金陵机器局"},
                expected_version=state["membership"].version,
            ),
        ),
        (
            "membership.archive",
            lambda: services.leave_category(actor=actor, membership=notable_membership, reason="迁出"),
        ),
        ("honour.create", add),
        (
            "honour.update",
            lambda: services.update_sub_record(
                actor=actor,
                record=state["record"],
                attributes={"year": 1864},
                expected_version=state["record"].version,
            ),
        ),
        ("honour.delete", lambda: services.delete_sub_record(actor=actor, record=state["record"])),
        (
            "savedsearch.save",
            lambda: services.save_saved_search(actor=actor, name="知名人士", query="category=notable"),
        ),
        (
            "person.delete",
            lambda: services.delete_person(actor=actor, person=state["person"], reason="重复录入"),
        ),
    ]
    for event, call in calls:
        before = AuditEvent.objects.count()
        call()
        assert AuditEvent.objects.count() == before + 1, event
        latest = AuditEvent.objects.order_by("-id").first()
        assert (latest.event, latest.username, latest.role) == (event, "township_a", "township_staff")
        assert latest.object_id
    intact, broken, checked = verify_chain()
    assert (intact, broken) == (True, None)
    assert checked == AuditEvent.objects.count()
    assert SavedSearch.objects.get(name="知名人士").region == world.township_a


def test_a_refused_service_call_writes_nothing(world):
    before = (AuditEvent.objects.count(), HistoryEntry.objects.count(), Person.objects.count())
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        new_person(region=world.village_b1, actor=world.township_staff)
    with pytest.raises(PermissionDenied):
        services.verify_person(actor=world.reviewer, person=world.person_a1)
    with pytest.raises(PermissionDenied):
        services.delete_person(actor=world.liaison, person=world.person_a1, reason="x")
    assert (AuditEvent.objects.count(), HistoryEntry.objects.count(), Person.objects.count()) == before


def test_audit_events_carry_no_plaintext_personal_data(world):
    services.update_person(
        actor=SYSTEM,
        person=world.person_a1,
        expected_version=world.person_a1.version,
        data=input_from(world.person_a1, phone="13912345678"),
    )
    dumped = json.dumps(list(AuditEvent.objects.values()), ensure_ascii=False, default=str)
    for secret in [*SECRETS[:3], "13912345678"]:
        assert secret not in dumped


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET event = 'person.read'",
        "UPDATE audit_auditevent SET mac = 'pending'",
        "UPDATE audit_auditevent SET reason = 'x' WHERE id = (SELECT MAX(id) FROM audit_auditevent)",
        "DELETE FROM audit_auditevent",
        "DELETE FROM audit_auditevent WHERE id = (SELECT MIN(id) FROM audit_auditevent)",
    ],
)
def test_the_audit_table_refuses_update_and_delete_even_through_raw_sql(world, sql):
    count = AuditEvent.objects.count()
    assert count > 0
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == count
    assert verify_chain()[0] is True


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_audit_table_refuses_truncate_on_postgresql(world):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.exists()
