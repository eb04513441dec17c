"""Fixtures for the browser tests: one Chromium per session, a fresh context per test, a live server.

The browser is Debian's /usr/bin/chromium driven through Playwright; Playwright never downloads one.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django's ORM refuses to run inside one.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Playwright must never try to fetch a browser.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = Path(os.environ.get("TONGZHAN_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(os.environ.get("TONGZHAN_SHOTS_DIR", "/tmp/tz-shots"))
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1366, "height": 768}


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the item, so the page fixture can screenshot failures."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser(_serialized_db_contents):
    # _serialized_db_contents must be taken before Playwright starts: see that fixture.
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; the CI script does this)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in requirements-dev.txt
        pytest.skip("playwright is not installed in this environment")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def shots_dir() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def _audit_triggers(enable: bool) -> None:
    """Switch the audit table's append-only triggers (audit migration 0002) on or off.

    transactional_db empties every table after each test with `flush`, and the triggers rightly refuse
    to let anyone delete audit rows, so the flush would fail. They are switched off only for that
    flush and switched back on before the next test and at the end of the session.
    """
    from importlib import import_module

    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_auditevent {'ENABLE' if enable else 'DISABLE'} TRIGGER USER")
        elif connection.vendor == "sqlite":
            if enable:
                cursor.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_auditevent'")
                if not cursor.fetchall():
                    for sql in import_module("tongzhan.audit.migrations.0002_append_only_triggers").SQLITE:
                        cursor.execute(sql)
            else:
                cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
                cursor.execute("DROP TRIGGER IF EXISTS audit_no_update")


@pytest.fixture(scope="session")
def _audit_triggers_back_at_the_end(django_db_setup, django_db_blocker):
    yield
    with django_db_blocker.unblock():
        _audit_triggers(enable=True)


@pytest.fixture(scope="session")
def _serialized_db_contents(django_db_setup):
    """The test database's contents right after migrating, as Django serialized them.

    Django keeps them on the connection object, and connection objects live in a context variable.
    Playwright's sync API runs the tests in a greenlet with a context of its own, where the connection
    is a fresh object without them, so they are taken here, before the browser starts.
    """
    from django.db import connections

    return {alias: connections[alias]._test_serialized_contents for alias in connections
            if hasattr(connections[alias], "_test_serialized_contents")}


@pytest.fixture
def _serialized_contents_reattached(_serialized_db_contents):
    from django.db import connections

    for alias, contents in _serialized_db_contents.items():
        connections[alias]._test_serialized_contents = contents


@pytest.fixture
def live_world(_audit_triggers_back_at_the_end, _serialized_contents_reattached, django_db_serialized_rollback,
               transactional_db, live_server, world):
    """The shared fixture world, committed so the live server's thread can see it.

    transactional_db flushes every table after each test, including the code tables the migrations
    load (ethnicities, religions…); serialized rollback puts them back before the next test. The
    audit table's append-only triggers would stop that flush, so they are off for its duration only.
    """
    _audit_triggers(enable=True)
    yield world
    _audit_triggers(enable=False)


@pytest.fixture
def page(browser, request, shots_dir):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        with contextlib.suppress(Exception):  # the page may be gone; the failure itself is what matters
            page.screenshot(path=str(shots_dir / f"FAILED-{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def login(page, live_server):
    """`login(user)` signs in through the real login form and returns the page."""
    from conftest import PASSWORD

    def sign_in(user, next_path: str = "/people/"):
        page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("#login-button")
        assert "/accounts/login/" not in page.url, page.locator("#login-error").all_inner_texts()
        return page

    return sign_in
