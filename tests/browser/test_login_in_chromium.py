"""Login safety as an office worker meets it in Chromium: lockout with one message, TOTP enrolment.

Run with: pytest tests/browser -m browser
"""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, totp_code

pytestmark = pytest.mark.browser

GENERIC = "用户名或密码不正确，或账号已被锁定。"


def _try(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("#login-button")


def test_a_sixth_wrong_password_locks_the_account_and_the_cool_off_lets_it_back_in(
    live_world, live_server, page, login, shots_dir
):
    from axes.models import AccessAttempt
    from django.utils import timezone

    from tongzhan.audit.models import AuditEvent

    user = live_world.township_staff
    for _ in range(6):
        _try(page, live_server, user.username, "wrong-password")
        expect(page.locator("#login-error")).to_have_text(GENERIC)
    # Locked: even the right password gets the same message.
    _try(page, live_server, user.username, PASSWORD)
    expect(page.locator("#login-error")).to_have_text(GENERIC)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.screenshot(path=str(shots_dir / "login-locked.png"))
    assert AuditEvent.objects.filter(event="auth.lockout", username=user.username).count() == 1

    # Thirty minutes later (the attempt's time moved back), the right password works.
    AccessAttempt.objects.filter(username=user.username).update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=31)
    )
    login(user)
    expect(page).to_have_url(re.compile(r"/people/$"))
    expect(page.locator("#result-table tbody")).to_contain_text("曾国藩")


def test_first_login_enrols_totp_with_an_offline_qr_code(live_world, live_server, page, shots_dir):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    user = live_world.liaison
    _try(page, live_server, user.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/otp/setup/"))
    qr = page.locator("#otp-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 150 and box["height"] >= 150
    expect(page.locator("#otp-secret")).to_have_text(re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$"))
    page.screenshot(path=str(shots_dir / "otp-setup.png"))

    # Nothing else is reachable before the code.
    page.goto(f"{live_server.url}/people/")
    expect(page).to_have_url(re.compile(r"/accounts/otp/setup/"))

    page.fill("input[name=token]", "000000")
    with page.expect_navigation():
        page.click("#otp-button")
    expect(page.locator(".errorlist")).to_contain_text("验证码不正确")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # The failure throttled the device for a second (django-otp); that second is moved into the past.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )

    page.fill("input[name=token]", totp_code(device))
    with page.expect_navigation():
        page.click("#otp-button")
    expect(page).to_have_url(re.compile(r"/people/$"))
    expect(page.locator("#result-table tbody")).to_contain_text("曾国藩")
    assert TOTPDevice.objects.get(user=user).confirmed
    here = live_server.url
    assert all(url.startswith((here, "data:")) for url in requests), requests
