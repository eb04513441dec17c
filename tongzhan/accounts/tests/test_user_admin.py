"""Account management by the security administrator, and re-authentication (SECURITY.md B5, C4, C6)."""

import pytest
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.urls import reverse

from conftest import PASSWORD, logged_in
from tongzhan.accounts.models import User
from tongzhan.accounts.roles import Role
from tongzhan.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-Harbour-73"


def reauthenticate(client, password=PASSWORD):
    return client.post(reverse("accounts:reauth"), {"password": password, "next": "/users/"})


def last_event(name):
    return AuditEvent.objects.filter(event=name).order_by("-id").first()


def test_the_security_admin_creates_a_user_who_must_change_the_password_and_it_is_audited(world, as_user):
    client = as_user(world.security_admin)
    reauthenticate(client)
    response = client.post(
        reverse("users:user-create"),
        {
            "username": "zhangsan",
            "first_name": "张三",
            "role": Role.VILLAGE_LIAISON,
            "region": world.village_a2.pk,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    user = User.objects.get(username="zhangsan")
    assert response.status_code == 302 and response["Location"] == reverse(
        "users:user-detail", args=[user.pk]
    )
    assert user.role == Role.VILLAGE_LIAISON and user.region == world.village_a2 and user.must_change_password
    event = last_event("user.create")
    assert event.username == "secadmin" and event.object_id == str(user.pk)
    assert event.detail["region"] == world.village_a2.code


def test_a_region_change_applies_on_the_users_next_request(world, as_user):
    staff = logged_in(world.township_staff)
    html = staff.get(reverse("people:person-list")).content.decode()
    assert "曾国藩" in html and "欧阳修" not in html

    admin = as_user(world.security_admin)
    reauthenticate(admin)
    response = admin.post(
        reverse("users:user-role", args=[world.township_staff.pk]),
        {"role": Role.TOWNSHIP_STAFF, "region": world.township_b.pk},
    )
    assert response.status_code == 302

    html = staff.get(reverse("people:person-list")).content.decode()  # same session, next request
    assert "欧阳修" in html and "曾国藩" not in html
    assert staff.get(reverse("people:person-detail", args=[world.person_a1.pk])).status_code == 404
    event = last_event("user.role_change")
    assert event.detail == {
        "before": {"role": "township_staff", "region": world.township_a.code},
        "after": {"role": "township_staff", "region": world.township_b.code},
    }


@pytest.mark.parametrize("name", ["users:user-list", "users:user-create"])
def test_a_township_user_cannot_reach_the_user_screens(world, as_user, name):
    client = as_user(world.township_staff)
    assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("users:user-detail", args=[world.liaison.pk])).status_code == 403
    reauthenticate(client)
    response = client.post(
        reverse("users:user-role", args=[world.liaison.pk]),
        {"role": Role.DISTRICT_STAFF, "region": world.district.pk},
    )
    assert response.status_code == 403
    world.liaison.refresh_from_db()
    assert world.liaison.role == Role.VILLAGE_LIAISON


def test_the_system_admin_sees_the_users_but_cannot_change_a_role(world, as_user):
    client = as_user(world.system_admin)
    html = client.get(reverse("users:user-list")).content.decode()
    assert "liaison_a1" in html and "新建账号" not in html
    reauthenticate(client)
    response = client.post(
        reverse("users:user-role", args=[world.liaison.pk]),
        {"role": Role.DISTRICT_STAFF, "region": world.district.pk},
    )
    assert response.status_code == 403
    assert client.post(reverse("users:user-activation", args=[world.liaison.pk])).status_code == 403
    world.liaison.refresh_from_db()
    assert world.liaison.role == Role.VILLAGE_LIAISON and world.liaison.is_active


def test_changing_a_role_without_a_recent_password_asks_for_it_and_changes_nothing(world, as_user):
    client = as_user(world.security_admin)
    url = reverse("users:user-role", args=[world.liaison.pk])
    response = client.post(url, {"role": Role.DISTRICT_STAFF, "region": world.district.pk})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:reauth"))
    world.liaison.refresh_from_db()
    assert world.liaison.role == Role.VILLAGE_LIAISON

    page = client.get(response["Location"])
    assert "请再次输入密码" in page.content.decode()
    back = client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": url})
    assert back.status_code == 302 and back["Location"] == url
    assert last_event("auth.reauth").result == "success"


def test_reauthentication_returns_only_to_a_path_on_this_site(world, as_user):
    client = as_user(world.security_admin)
    for target in ["https://evil.example/", "//evil.example/x", "/\\evil.example"]:
        response = client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": target})
        assert response["Location"] == "/"


def test_a_wrong_password_at_reauthentication_is_refused_and_audited(world, as_user):
    client = as_user(world.security_admin)
    response = client.post(reverse("accounts:reauth"), {"password": "wrong-password", "next": "/users/"})
    assert response.status_code == 200 and "密码不正确" in response.content.decode()
    assert last_event("auth.reauth").result == "failure"
    response = client.post(
        reverse("users:user-role", args=[world.liaison.pk]),
        {"role": Role.DISTRICT_STAFF, "region": world.district.pk},
    )
    assert response["Location"].startswith(reverse("accounts:reauth"))


def test_five_wrong_passwords_at_reauthentication_end_the_session(world, as_user):
    client = as_user(world.security_admin)
    for _ in range(5):
        response = client.post(reverse("accounts:reauth"), {"password": "wrong-password"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert client.get(reverse("users:user-list")).status_code == 302  # logged out


def test_ending_a_users_sessions_deletes_their_session_rows(world, as_user):
    victim = logged_in(world.liaison)
    other = logged_in(world.township_staff)
    admin = as_user(world.security_admin)
    reauthenticate(admin)
    response = admin.post(reverse("users:user-sessions-end", args=[world.liaison.pk]))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=victim.session.session_key).exists()
    assert Session.objects.filter(session_key=other.session.session_key).exists()
    assert victim.get(reverse("people:person-list")).status_code == 302  # back to the login page
    assert last_event("user.sessions_end").detail == {"sessions": 1}


def test_disabling_a_user_logs_them_out_and_enabling_restores_the_account(world, as_user):
    victim = logged_in(world.liaison)
    admin = as_user(world.security_admin)
    reauthenticate(admin)
    admin.post(reverse("users:user-activation", args=[world.liaison.pk]))
    world.liaison.refresh_from_db()
    assert not world.liaison.is_active
    assert victim.get(reverse("people:person-list")).status_code == 302
    assert last_event("user.disable").object_id == str(world.liaison.pk)
    admin.post(reverse("users:user-activation", args=[world.liaison.pk]))
    world.liaison.refresh_from_db()
    assert world.liaison.is_active and last_event("user.enable") is not None


def test_a_password_reset_forces_a_change_at_next_login_and_is_audited(world, as_user):
    admin = as_user(world.security_admin)
    reauthenticate(admin)
    response = admin.post(
        reverse("users:user-password", args=[world.liaison.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    world.liaison.refresh_from_db()
    assert world.liaison.check_password(NEW_PASSWORD) and world.liaison.must_change_password
    event = last_event("user.password_reset")
    assert event.username == "secadmin" and NEW_PASSWORD not in str(event.detail)


def test_the_security_admin_cannot_change_their_own_role(world, as_user):
    admin = as_user(world.security_admin)
    reauthenticate(admin)
    response = admin.post(
        reverse("users:user-role", args=[world.security_admin.pk]), {"role": Role.AUDIT_ADMIN, "region": ""}
    )
    assert response.status_code == 200 and "不能修改自己的角色" in response.content.decode()
    world.security_admin.refresh_from_db()
    assert world.security_admin.role == Role.SECURITY_ADMIN


def test_an_administrator_with_a_region_is_refused_by_the_form_and_by_the_database(world, as_user):
    admin = as_user(world.security_admin)
    reauthenticate(admin)
    response = admin.post(
        reverse("users:user-role", args=[world.system_admin.pk]),
        {"role": Role.AUDIT_ADMIN, "region": world.township_a.pk},
    )
    assert "管理员账号不设所属区划" in response.content.decode()
    world.system_admin.refresh_from_db()
    assert world.system_admin.role == Role.SYSTEM_ADMIN
    # One role per account makes holding two administrator roles impossible; the region rule is a constraint.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=world.audit_admin.pk).update(region=world.township_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=world.liaison.pk).update(region=None)
