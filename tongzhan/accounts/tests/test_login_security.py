"""Login safety (SECURITY.md B1–B5, E1): lockout, password profiles, the first administrator, TOTP, sessions.

Every test goes through the real login form with the real middleware; nothing is mocked. Times are
moved by editing the rows that hold them (axes' attempts, the session's `login_at`).
"""

from __future__ import annotations

import datetime
import io
import re
import time
from base64 import b32encode

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, pass_second_factor, totp_code
from tongzhan.accounts import passwords, services
from tongzhan.accounts.models import PasswordHistory, User
from tongzhan.accounts.roles import Role
from tongzhan.audit.models import AuditEvent
from tongzhan.core.actors import SYSTEM

LOGIN = "/accounts/login/"
GENERIC = "用户名或密码不正确，或账号已被锁定。"
GOOD_NEW_PASSWORD = "Hz-7qL2m-Tx9"


def post_login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def events(name: str):
    return AuditEvent.objects.filter(event=name)


def without_tokens(html: str) -> str:
    """The page minus the per-response CSRF tokens, so two responses can be compared byte for byte."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def enrol(client, user) -> TOTPDevice:
    """Walk the enrolment page: the QR code's device, confirmed with the app's first code."""
    client.get(reverse("accounts:otp-setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("accounts:otp-setup"), {"token": totp_code(device)})
    assert response.status_code == 302
    return TOTPDevice.objects.get(user=user, confirmed=True)


# -- lockout (B3) -----------------------------------------------------------------------------------


def test_a_sixth_wrong_password_locks_the_account_with_a_generic_message(world, client):
    user = world.township_staff
    for _ in range(5):
        response = post_login(client, user.username, "wrong-password")
        assert response.status_code == 200
        assert GENERIC in response.content.decode()
    response = post_login(client, user.username, PASSWORD)  # the right one, too late
    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert not logged_in(client)
    assert events("auth.login_failed").filter(username=user.username).count() == 6
    lockout = events("auth.lockout").get()
    assert lockout.username == user.username and lockout.detail == {"scope": "username"}
    assert events("auth.login_failed").filter(reason="locked").count() == 2  # the fifth and the sixth
    assert not events("auth.login").exists()


def test_an_unknown_user_a_wrong_password_and_a_locked_account_get_the_same_page(world, client):
    unknown = without_tokens(post_login(client, "nobody_here", "wrong-password").content.decode())
    wrong = without_tokens(post_login(client, world.liaison.username, "wrong-password").content.decode())
    for _ in range(4):
        post_login(client, world.liaison.username, "wrong-password")
    locked = post_login(client, world.liaison.username, PASSWORD)
    assert locked.status_code == 200
    assert unknown.replace("nobody_here", "X") == wrong.replace(world.liaison.username, "X")
    assert without_tokens(locked.content.decode()) == wrong
    assert GENERIC in unknown


def test_the_lock_lifts_after_thirty_minutes(world, client):
    user = world.reviewer
    for _ in range(6):
        post_login(client, user.username, "wrong-password")
    assert not logged_in(client)
    AccessAttempt.objects.filter(username=user.username).update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=29)
    )
    post_login(client, user.username, PASSWORD)
    assert not logged_in(client), "still locked within the 30 minutes"
    AccessAttempt.objects.filter(username=user.username).update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=31)
    )
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)
    assert events("auth.login").filter(user=user).exists()


def test_four_failures_do_not_lock_and_a_success_clears_them(world, client):
    user = world.district_staff
    for _ in range(4):
        post_login(client, user.username, "wrong-password")
    assert post_login(client, user.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    assert not events("auth.lockout").exists()


def test_twenty_failures_from_one_address_lock_the_address_for_every_username(
    world, client, django_user_model
):
    for i in range(20):  # twenty usernames, one failure each: no username reaches its own limit
        post_login(client, f"guess{i}", "wrong-password", ip="203.0.113.7")
    assert events("auth.lockout").filter(detail__scope="ip").count() == 1

    other_process = Client()  # a separate client: the count lives in the database, not in memory
    response = post_login(other_process, world.township_staff.username, PASSWORD, ip="203.0.113.7")
    assert GENERIC in response.content.decode()
    assert not logged_in(other_process)
    assert events("auth.login_failed").filter(reason="ip_locked").count() == 1
    # The username itself was not charged: another address logs in at once.
    assert post_login(Client(), world.township_staff.username, PASSWORD, ip="198.51.100.1").status_code == 302

    AccessFailureLog.objects.filter(ip_address="203.0.113.7").update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=11)
    )
    assert post_login(Client(), world.township_staff.username, PASSWORD, ip="203.0.113.7").status_code == 302


def test_behind_the_proxy_the_forwarded_address_is_the_one_locked(world, settings):
    settings.AXES_BEHIND_PROXY = True
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for i in range(20):
        Client().post(
            LOGIN, {"username": f"guess{i}", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy
        )
    data = {"username": world.liaison.username, "password": PASSWORD}
    assert Client().post(LOGIN, data, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy).status_code == 200
    assert Client().post(LOGIN, data, HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy).status_code == 302


def test_client_login_needs_a_request_and_force_login_still_works(world, client):
    with pytest.raises(ValueError):  # axes: AxesBackendRequestParameterRequired
        client.login(username=world.liaison.username, password=PASSWORD)
    assert client.login(request=HttpRequest(), username=world.liaison.username, password=PASSWORD)
    client.force_login(world.reviewer)
    assert logged_in(client)


def test_a_successful_login_is_audited_with_the_address(world, client):
    post_login(client, world.liaison.username, PASSWORD, ip="192.0.2.9")
    event = events("auth.login").get()
    assert event.user == world.liaison and event.ip == "192.0.2.9"


# -- password profiles (B2) ----------------------------------------------------------------------------


def refusal(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


def test_the_mlps_profile_is_the_default(settings):
    assert settings.PASSWORD_PROFILES["mlps"] == settings.AUTH_PASSWORD_VALIDATORS
    assert settings.PASSWORD_PROFILE == "mlps"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!Ab1!x", "至少需要 10 个字符"),
        ("abcdefghijkl", "至少 3 类"),
        ("abcdefgh1234", "至少 3 类"),
        ("Admin@12345", "太常见"),
        ("P@ssw0rd123", "太常见"),
        ("Woaini1314", "太常见"),
    ],
)
def test_the_mlps_profile_refuses_weak_passwords_in_chinese(db, password, message):
    assert any(message in text for text in refusal(password)), refusal(password)


def test_the_mlps_profile_refuses_a_password_like_the_username(world):
    user = world.township_staff  # township_a
    assert any("用户名" in m for m in refusal("Township_A-2024", user))
    assert any("用户名" in m for m in refusal("2024!a_pihsnwot", user))  # reversed
    assert refusal(GOOD_NEW_PASSWORD, user) == []


def test_the_shipped_common_list_holds_chinese_context_passwords():
    validator = passwords.CommonPasswordValidator()
    for password in ("123456qwe", "woaini1314", "Aa123456!", "P@ssw0rd", "password"):
        with pytest.raises(ValidationError):
            validator.validate(password)


def test_the_last_five_passwords_cannot_be_reused(world):
    user = world.township_staff
    history = ["Hz-7qL2m-Tx1", "Hz-7qL2m-Tx2", "Hz-7qL2m-Tx3", "Hz-7qL2m-Tx4", "Hz-7qL2m-Tx5"]
    for password in history:
        services.change_own_password(user=user, new_password=password)
    for password in history:
        assert any("最近 5 次" in m for m in refusal(password, user)), password
    services.change_own_password(user=user, new_password="Hz-7qL2m-Tx6")
    assert refusal(history[0], user) == []  # the sixth-last is allowed again
    assert PasswordHistory.objects.filter(user=user).count() == 5
    assert events("auth.password_changed").filter(user=user).count() == 6


def test_the_asvs_profile_asks_only_for_twelve_characters(world, settings):
    settings.AUTH_PASSWORD_VALIDATORS = settings.PASSWORD_PROFILES["asvs"]
    assert refusal("abcdefghijkl", world.township_staff) == []
    assert refusal("township_a12", world.township_staff) == []  # no similarity rule
    assert any("至少需要 12 个字符" in m for m in refusal("Ab1!Ab1!Ab1"))


def test_a_password_past_the_rotation_period_must_be_changed_at_login(world, client, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user = world.liaison
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - datetime.timedelta(days=91))
    post_login(client, user.username, PASSWORD)
    pass_second_factor(client, user)
    user.refresh_from_db()
    assert user.must_change_password
    assert client.get("/people/")["Location"].startswith(reverse("accounts:password-change"))
    assert events("auth.password_expired").filter(user=user).exists()


def test_rotation_off_leaves_old_passwords_alone(world, client, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 0
    user = world.liaison
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - datetime.timedelta(days=900))
    post_login(client, user.username, PASSWORD)
    user.refresh_from_db()
    assert not user.must_change_password


def test_a_reset_by_the_security_administrator_forces_a_change(world):
    services.reset_password(actor=world.security_admin, user=world.liaison, new_password=GOOD_NEW_PASSWORD)
    world.liaison.refresh_from_db()
    assert world.liaison.must_change_password and world.liaison.check_password(GOOD_NEW_PASSWORD)
    assert events("auth.password_reset").filter(object_id=str(world.liaison.pk)).exists()
    with pytest.raises(PermissionDenied):
        services.reset_password(actor=world.system_admin, user=world.liaison, new_password="Qz-8wK3n-Ry5")


# -- the first administrator (B1) ------------------------------------------------------------------


def test_migrations_create_no_user(db):
    assert User.objects.count() == 0


def create_admin(username, role, password):
    out = io.StringIO()
    call_command(
        "create_admin",
        username,
        role=role,
        password_stdin=True,
        stdin=io.StringIO(password + "\n"),
        stdout=out,
    )
    return out.getvalue()


def test_create_admin_makes_an_administrator_who_must_change_the_password(db):
    output = create_admin("root_sys", "system_admin", GOOD_NEW_PASSWORD)
    user = User.objects.get(username="root_sys")
    assert user.role == Role.SYSTEM_ADMIN and user.must_change_password and user.region is None
    assert user.check_password(GOOD_NEW_PASSWORD)
    assert "首次登录须修改密码" in output
    event = events("accounts.user_created").get()
    assert event.username == "create_admin" and event.object_id == str(user.pk)


def test_create_admin_refuses_an_existing_username_a_weak_password_and_a_staff_role(world):
    with pytest.raises(CommandError, match="已存在"):
        create_admin(world.system_admin.username, "system_admin", GOOD_NEW_PASSWORD)
    with pytest.raises(CommandError, match="太常见|至少"):
        create_admin("root_weak", "security_admin", "Admin@12345")
    with pytest.raises(CommandError):
        create_admin("root_staff", "township_staff", GOOD_NEW_PASSWORD)
    assert not User.objects.filter(username__startswith="root_").exists()


def test_the_first_administrator_passes_totp_then_must_change_the_password_before_anything_else(db, client):
    create_admin("root_sec", "security_admin", GOOD_NEW_PASSWORD)
    user = User.objects.get(username="root_sec")
    assert post_login(client, "root_sec", GOOD_NEW_PASSWORD).status_code == 302
    assert client.get("/regions/")["Location"].startswith(reverse("accounts:otp-setup"))
    assert client.get(reverse("accounts:password-change"))["Location"].startswith(
        reverse("accounts:otp-setup")
    )
    enrol(client, user)
    for path in ("/people/", "/regions/", "/admin/", "/healthz"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:password-change")
        ), path
    page = client.get(reverse("accounts:password-change"))
    assert "请先设置新密码" in page.content.decode()
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": GOOD_NEW_PASSWORD,
            "new_password1": GOOD_NEW_PASSWORD,
            "new_password2": GOOD_NEW_PASSWORD,
        },
    )
    assert response.status_code == 200  # the same password is one of the last five
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": GOOD_NEW_PASSWORD,
            "new_password1": "Qz-8wK3n-Ry5",
            "new_password2": "Qz-8wK3n-Ry5",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/regions/").status_code == 200  # the session survived its own password change


# -- second factor (B4) ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        "district_staff",
        "township_staff",
        "liaison",
        "reviewer",
        "auditor",
        "system_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_at_level_three_every_role_must_pass_totp_before_any_page(world, client, role):
    user = getattr(world, role)
    post_login(client, user.username, PASSWORD)
    for path in ("/people/", f"/people/{world.person_a1.pk}/", "/regions/", "/admin/", "/", "/healthz"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("accounts:otp-setup")), path
    assert "曾国藩" not in client.get(reverse("accounts:otp-setup")).content.decode()
    htmx = client.get("/people/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == reverse("accounts:otp-setup")


def test_the_enrolment_page_shows_an_offline_qr_code_and_the_secret_and_accepts_a_valid_code(world, client):
    user = world.township_staff
    post_login(client, user.username, PASSWORD)
    page = client.get(reverse("accounts:otp-setup")).content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "<svg" in page and "<path" in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None  # no inline script
    assert " style=" not in page.split("<main", 1)[1]
    assert "http://" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert b32encode(device.bin_key).decode()[:4] in page
    response = client.post(reverse("accounts:otp-setup"), {"token": "000000"})
    assert "验证码不正确" in response.content.decode()
    assert events("auth.otp_failed").filter(user=user).count() == 1
    # A failure throttles the device for a second (django-otp); move that second into the past.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=5)
    )
    response = client.post(
        reverse("accounts:otp-setup") + "?next=/regions/", {"token": totp_code(device), "next": "/regions/"}
    )
    assert response.status_code == 302 and response["Location"] == "/regions/"
    assert client.get("/people/").status_code == 200
    assert events("auth.otp_enrolled").filter(user=user).exists()


def test_an_enrolled_user_gets_the_verify_page_and_cannot_enrol_a_second_device(world, client):
    user = world.liaison
    post_login(client, user.username, PASSWORD)
    device = enrol(client, user)
    client.post(reverse("accounts:logout"))
    post_login(client, user.username, PASSWORD)
    assert client.get("/people/")["Location"].startswith(reverse("accounts:otp-verify"))
    assert client.get(reverse("accounts:otp-setup"))["Location"].startswith(reverse("accounts:otp-verify"))
    assert TOTPDevice.objects.filter(user=user).count() == 1
    response = client.post(reverse("accounts:otp-verify"), {"token": totp_code(device)})
    assert response.status_code == 302
    assert client.get("/people/").status_code == 200


def test_a_used_totp_code_cannot_be_replayed(world, client):
    user = world.township_staff
    device = pass_second_factor(Client(), user)
    code = totp_code(device)
    post_login(client, user.username, PASSWORD)
    assert client.post(reverse("accounts:otp-verify"), {"token": code}).status_code == 302

    thief = Client()
    post_login(thief, user.username, PASSWORD, ip="10.9.9.9")
    response = thief.post(reverse("accounts:otp-verify"), {"token": code})
    assert response.status_code == 200
    assert "已使用过" in response.content.decode()
    assert thief.get("/people/")["Location"].startswith(reverse("accounts:otp-verify"))
    failed = events("auth.otp_failed").get()
    assert failed.user == user and failed.result == "failure"


def test_a_wrong_code_is_refused_and_audited(world, client):
    user = world.auditor
    pass_second_factor(Client(), user)
    post_login(client, user.username, PASSWORD)
    response = client.post(reverse("accounts:otp-verify"), {"token": "12345x"})
    assert "6 位数字" in response.content.decode()
    response = client.post(reverse("accounts:otp-verify"), {"token": "000000"})
    assert response.status_code == 200
    assert events("auth.otp_failed").filter(user=user).count() == 1
    assert client.get(f"/people/{world.person_a1.pk}/").status_code == 302


def test_at_level_two_totp_is_optional_but_binding_once_enrolled(world, client, settings):
    settings.SECURITY_LEVEL = 2
    user = world.township_staff
    post_login(client, user.username, PASSWORD)
    assert client.get("/people/").status_code == 200  # no device, no second factor
    device = enrol(client, user)  # the user chooses to enrol
    assert client.get("/people/").status_code == 200
    client.post(reverse("accounts:logout"))
    post_login(client, user.username, PASSWORD)
    assert client.get("/people/")["Location"].startswith(reverse("accounts:otp-verify"))
    client.post(reverse("accounts:otp-verify"), {"token": totp_code(device)})
    assert client.get("/people/").status_code == 200


def test_as_user_gives_a_client_past_the_second_factor(world, as_user):
    assert as_user(world.liaison).get("/people/").status_code == 200


# -- sessions (B5) -------------------------------------------------------------------------------


def test_login_gives_a_new_session_key_and_starts_the_absolute_clock(world, client):
    client.get(LOGIN)
    session = client.session
    session["before_login"] = True
    session.save()
    before = session.session_key
    post_login(client, world.liaison.username, PASSWORD)
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert 0 <= time.time() - client.session["login_at"] < 3600


def test_logout_deletes_the_session(world, as_user):
    client = as_user(world.liaison)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert events("auth.logout").filter(user=world.liaison).exists()
    assert client.get("/people/")["Location"].startswith(LOGIN)


def test_a_session_older_than_ten_hours_ends(world, as_user, settings):
    client = as_user(world.liaison)
    assert client.get("/people/").status_code == 200
    session = client.session
    key = session.session_key
    session["login_at"] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not Session.objects.filter(session_key=key).exists()


def test_an_idle_session_expires_after_thirty_minutes(world, as_user, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = as_user(world.liaison)
    client.get("/people/")
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get("/people/")["Location"].startswith(LOGIN)


def test_activity_renews_the_idle_deadline_writing_the_session_at_most_once_a_minute(world, as_user, settings):
    client = as_user(world.liaison)
    client.get("/people/")
    key = client.session.session_key
    soon = timezone.now() + datetime.timedelta(minutes=5)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    client.get("/people/")  # renewed less than a minute ago: no write
    assert Session.objects.get(session_key=key).expire_date == soon
    session = client.session
    session["seen_at"] = int(time.time()) - settings.SESSION_TOUCH_SECONDS
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=soon)
    assert client.get("/people/").status_code == 200
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed > timezone.now() + datetime.timedelta(minutes=29)


def test_command_line_actor_is_recorded_for_created_administrators(db):
    services.create_administrator(
        actor=SYSTEM, username="root_audit", role="audit_admin", password=GOOD_NEW_PASSWORD
    )
    assert events("accounts.user_created").get().username == "system"
