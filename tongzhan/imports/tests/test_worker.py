"""J4: the real worker subprocess (`manage.py run_import`) SIGKILLed in the middle of its commit.

The rows are committed first (a transactional test), so the worker — another process — sees the batch.
After the kill: no person from the file, the database's integrity check passes, the batch is marked failed
from its dead pid, and importing the same file again succeeds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests import audit_triggers
from tongzhan.imports import services
from tongzhan.imports.models import ImportBatch
from tongzhan.people.models import HistoryEntry, Person

from .sheets import valid_id, xlsx

ROWS = 3000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = "建国华明伟强平林军志文德荣海金福根生祥宝兴发忠勇光庆春永峰民"


@pytest.fixture
def _triggers_back_after_the_flush(django_db_blocker):
    """Set up before transactional_db, so torn down after its flush: the audit triggers come back."""
    yield
    with django_db_blocker.unblock():
        audit_triggers.restore()


@pytest.fixture
def committed_world(_triggers_back_after_the_flush, django_db_serialized_rollback, transactional_db, world):
    yield world
    audit_triggers.lift()  # the flush after this test must empty the audit tables


def worker_env() -> dict:
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env["TONGZHAN_KEY_FILE"] = str(settings.FIELD_KEY_FILE)
    env["TONGZHAN_DATA_DIR"] = str(settings.DATA_DIR)
    return env


def big_sheet() -> bytes:
    rows = []
    for i in range(ROWS):
        first17 = f"3302061970{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        name = SURNAMES[i % 20] + GIVEN[(i // 20) % 30] + GIVEN[i % 30]
        rows.append([name, valid_id(first17), "甲一村" if i % 2 else "甲二村", f"企业{i}"])
    return xlsx({"企业家": (["姓名", "身份证号码", "村（社区）", "企业名称"], rows)})


def staged(actor, data: bytes) -> ImportBatch:
    batch = services.start_import(actor=actor, data=data, filename="大名单.xlsx")
    services.save_mapping(actor=actor, batch=batch, mapping=dict(batch.mapping))
    services.run_check(actor=actor, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "checked" and batch.created == ROWS
    return batch


def wait_for_commit_progress(batch, process, timeout=90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = services.read_progress(batch)
        if progress.get("phase") == "commit" and progress.get("done", 0) > 0:
            return progress
        if process.poll() is not None:
            pytest.fail(f"the worker ended before it was killed (exit {process.returncode})")
        time.sleep(0.05)
    pytest.fail("the worker never reported commit progress")


def test_a_worker_killed_mid_commit_leaves_no_rows_a_failed_batch_and_a_rerun_succeeds(committed_world):
    world = committed_world
    people, history = Person.objects.count(), HistoryEntry.objects.count()
    data = big_sheet()
    batch = staged(world.township_staff, data)
    process = subprocess.Popen(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_import", str(batch.pk), "commit",
         "--user", str(world.township_staff.pk)],
        cwd=str(settings.BASE_DIR), env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        progress = wait_for_commit_progress(batch, process)
        assert 0 < progress["done"] < progress["total"] == ROWS  # really in the middle
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    assert Person.objects.count() == people
    assert HistoryEntry.objects.count() == history
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchone()[0] == "ok"
    batch.refresh_from_db()
    assert batch.status == "committing" and batch.worker_pid == process.pid
    assert services.reap_if_dead(batch)
    batch.refresh_from_db()
    assert batch.status == "failed" and "意外中止" in batch.error
    assert not services.upload_path(batch).exists()  # F7, also on failure

    again = staged(world.township_staff, data)
    services.run_commit(actor=world.township_staff, batch=again)
    again.refresh_from_db()
    assert again.status == "done" and again.created == ROWS
    assert Person.objects.count() == people + ROWS


def test_the_database_file_holds_no_id_number_after_an_import(committed_world):
    from tests.test_no_plaintext_ids import id_numbers_in

    world = committed_world
    batch = staged(world.township_staff, big_sheet())
    services.run_commit(actor=world.township_staff, batch=batch)
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file exists only on SQLite")
    path = Path(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.is_file():
        data += wal.read_bytes()
    assert "李建国".encode() in data  # the imported rows really are in the file
    found, shown = id_numbers_in(data)
    assert found == [], shown[:5]


def test_the_screens_start_the_dry_run_in_a_worker_process_and_poll_it_to_the_end(committed_world, settings,
                                                                                   monkeypatch):
    """services.launch as the views call it outside tests: `manage.py run_import` in its own process."""
    world = committed_world
    for name, value in worker_env().items():
        monkeypatch.setenv(name, value)
    settings.IMPORT_WORKER = "subprocess"
    batch = services.start_import(actor=world.township_staff, data=big_sheet(), filename="大名单.xlsx")
    services.save_mapping(actor=world.township_staff, batch=batch, mapping=dict(batch.mapping))
    services.launch(actor=world.township_staff, batch=batch, phase="check")
    batch.refresh_from_db()
    assert batch.status == "checking" and batch.worker_pid and batch.worker_pid != os.getpid()
    deadline = time.monotonic() + 120
    while batch.status == "checking" and time.monotonic() < deadline:
        time.sleep(0.2)
        batch.refresh_from_db()
    assert batch.status == "checked", batch.error
    assert batch.created == ROWS and Person.objects.filter(source="import").count() == 0
    os.waitpid(batch.worker_pid, 0)  # reap the child (a web server's subprocess module does this itself)
