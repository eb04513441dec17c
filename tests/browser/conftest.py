"""Fixtures for the browser tests: one Chromium per session, a fresh context per test, a live server.

The browser is Debian's /usr/bin/chromium driven through Playwright; Playwright never downloads one.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django's ORM refuses to run beside one.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Playwright must never try to fetch a browser.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = Path(os.environ.get("TONGZHAN_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(os.environ.get("TONGZHAN_SHOTS_DIR", "/tmp/tz-shots"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1366, "height": 768}


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the item, so the page fixture can screenshot failures."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser(django_db_setup, django_db_blocker):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; the CI script does this)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django keeps the migrated database's serialized contents (for serialized rollback) on the
    # connection object. Connection objects are thread-local, but once Playwright's event loop runs in
    # this thread asgiref stores them per context instead, so Django then hands out fresh connection
    # objects that lack the contents. They are carried over by hand.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    playwright = sync_playwright().start()
    for alias, contents in serialized.items():
        connections[alias]._test_serialized_contents = contents
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
    """Switch every audit table's append-only triggers on or off (see tests/audit_triggers.py).

    transactional_db empties every table after each test with `flush`, and the triggers rightly refuse
    to let anyone delete audit rows, so the flush would fail. They are off only for that flush.
    """
    from tests import audit_triggers

    audit_triggers.restore() if enable else audit_triggers.lift()


@pytest.fixture(scope="session")
def _audit_triggers_back_at_the_end(django_db_setup, django_db_blocker):
    yield
    with django_db_blocker.unblock():
        _audit_triggers(enable=True)


@pytest.fixture
def _audit_triggers_off_for_the_flush(_audit_triggers_back_at_the_end, transactional_db):
    """Set up after transactional_db, so torn down before its flush, even when a later fixture failed."""
    _audit_triggers(enable=True)
    yield
    _audit_triggers(enable=False)


@pytest.fixture
def live_world(
    django_db_serialized_rollback, transactional_db, _audit_triggers_off_for_the_flush, live_server, world
):
    """The shared fixture world, committed so the live server's thread can see it.

    transactional_db flushes every table after each test, including the code tables the migrations
    load (ethnicities, religions…); serialized rollback puts them back before the next test.
    """
    return world


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


def sign_in(page, live_server, user, next_path: str = "/people/"):
    """Sign in through the real login form and the TOTP page; return the page.

    At level 3 every account needs the second factor: the user gets a confirmed TOTP device, and the
    code typed in is the one an authenticator app would show (conftest.totp_code).
    """
    from django.conf import settings
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import PASSWORD, totp_code

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and settings.SECURITY_LEVEL >= 3:
        device = TOTPDevice.objects.create(user=user, name="browser test", confirmed=True)
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#login-button")
    assert "/accounts/login/" not in page.url, page.locator("#login-error").all_inner_texts()
    if device is not None:
        assert "/accounts/otp/verify/" in page.url, page.url
        page.fill("input[name=token]", totp_code(device))
        with page.expect_navigation():
            page.click("#otp-button")
        assert "/accounts/otp/" not in page.url, page.locator("#otp-error").all_inner_texts()
    return page


@pytest.fixture
def login(page, live_server):
    """`login(user)` signs in through the real login form and the TOTP page, and returns the page."""
    return functools.partial(sign_in, page, live_server)
