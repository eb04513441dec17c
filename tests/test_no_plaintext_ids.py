"""No ID number in the database's files (SECURITY.md D1, D6; issue #3 "Done when").

After the demo township loads (about seventy people with valid ID numbers, all written through the
services), the SQLite file and its WAL, or a `pg_dump` of the PostgreSQL test database, are searched
byte by byte for anything shaped like an 18-digit mainland ID number.

Ciphertexts, blind indexes and audit MACs are random bytes or hex, and a dump prints big integers
(search-document keys) in decimal: by pure chance they can hold 18 digits that fit the pattern. Such a
string is not an ID number unless its check digit and birth date are valid too, which a leaked
plaintext (validated on entry) always has. So a match counts when it is a valid ID number, and in the
dump, where every value stands between tabs, when it is not part of a longer run of digits. Every match
is shown with its surroundings when the test fails.
"""

from __future__ import annotations

import glob
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tongzhan.core import identity

ID_PATTERN = rb"[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])\d{2}\d{3}[\dXx]"
ANYWHERE = re.compile(ID_PATTERN)
# In a dump's text, a value is delimited: an ID number is never the middle of a longer number.
DELIMITED = re.compile(rb"(?<!\d)" + ID_PATTERN + rb"(?![\dXx])")


def id_numbers_in(data: bytes, pattern: re.Pattern = ANYWHERE) -> tuple[list[str], list[str]]:
    """(valid ID numbers found, every pattern match with 12 bytes of context either side)."""
    found, shown = [], []
    for match in pattern.finditer(data):
        text = match.group().decode("ascii")
        shown.append(repr(data[max(0, match.start() - 12) : match.end() + 12]))
        if identity.is_valid_id_number(text):
            found.append(text)
    return found, shown


def audit_tables_with_triggers(cursor) -> list[tuple[str, str, str]]:
    """(table, trigger, SQL) for every trigger on an audit_* table, on either database."""
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname, t.tgname, '' FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relname LIKE 'audit\\_%'"
        )
    else:
        cursor.execute(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit\\_%' ESCAPE '\\'"
        )
    return cursor.fetchall()


@pytest.fixture(scope="module")
def _audit_triggers_back_after_the_flush(django_db_blocker):
    """PostgreSQL: the flush after the last test here runs with the audit triggers off; on again after it.

    Module scope, so this finalizer runs after that test's flush, before any other module's test.
    """
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in sorted({table for table, _, _ in audit_tables_with_triggers(cursor)}):
                cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} ENABLE TRIGGER USER")


@pytest.fixture
def demo_committed(_audit_triggers_back_after_the_flush):
    """The demo loaded and committed (the test is transactional, so the rows reach the files).

    Afterwards pytest-django empties every table (a flush), and the audit tables' triggers rightly refuse
    DELETE and TRUNCATE. SQLite: each trigger is dropped, its table emptied and the trigger recreated from
    its own stored SQL, at once (as committed_world in tongzhan/people/tests/test_services.py does).
    PostgreSQL refuses even a TRUNCATE of an empty table, so the triggers stay off for the flush and
    _audit_triggers_back_after_the_flush turns them on again. Serialized rollback restores the code tables.
    """
    call_command("load_demo", stdout=io.StringIO())
    from tongzhan.people.models import Person

    people = list(Person.objects.exclude(id_number_enc=None).order_by("pk")[:5])
    assert people, "the demo loaded no one with an ID number"
    yield people
    with connection.cursor() as cursor:
        triggers = audit_tables_with_triggers(cursor)
        if connection.vendor == "postgresql":
            for table in sorted({table for table, _, _ in triggers}):
                cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} DISABLE TRIGGER USER")
            return
        for _, name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
        for table in sorted({table for table, _, _ in triggers}):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
        for _, _, sql in triggers:
            cursor.execute(sql)


def the_pattern_catches_the_demo_ids(people) -> None:
    """The search would find a leak: the real plaintexts match the pattern and are valid."""
    for person in people:
        number = person.decrypt("id_number")
        if len(number) == 18:
            for pattern in (ANYWHERE, DELIMITED):
                found, _ = id_numbers_in(b"\t" + number.encode() + b"\t", pattern)
                assert found == [number]
            return
    pytest.fail("no 18-digit ID number among the demo people")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sqlite_file_and_its_wal_hold_no_id_number_after_the_demo_loads(demo_committed):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file exists only on SQLite; PostgreSQL is checked through pg_dump")
    path = Path(connection.settings_dict["NAME"])
    if not path.is_file():
        pytest.skip("the test database is in memory, not a file")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.is_file():
        data += wal.read_bytes()
    assert demo_committed[0].name.encode() in data  # the rows really are in the file
    the_pattern_catches_the_demo_ids(demo_committed)
    found, shown = id_numbers_in(data)
    assert found == [], shown


def pg_dump_binary() -> str | None:
    """pg_dump next to the server: pg_config's bindir, else Debian's versioned folders, newest first."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout
        candidates.append(Path(bindir.strip()) / "pg_dump")
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), key=lambda p: int(Path(p).parts[-3]), reverse=True
    )
    candidates += [Path(p) for p in versions]
    if shutil.which("pg_dump"):
        candidates.append(Path(shutil.which("pg_dump")))
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pg_dump_of_the_database_holds_no_id_number_after_the_demo_loads(demo_committed):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL; SQLite is checked through its file")
    binary = pg_dump_binary()
    assert binary, "pg_dump not found (pg_config --bindir, /usr/lib/postgresql/*/bin)"
    db = connection.settings_dict
    command = [binary, "--no-owner", "--no-privileges", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    env = {"PATH": "/usr/bin:/bin", "PGPASSWORD": db.get("PASSWORD") or "", "PGCONNECT_TIMEOUT": "10"}
    done = subprocess.run(command, capture_output=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    data = done.stdout
    assert demo_committed[0].name.encode() in data  # the rows really are in the dump
    the_pattern_catches_the_demo_ids(demo_committed)
    found, shown = id_numbers_in(data, DELIMITED)
    assert found == [], shown
