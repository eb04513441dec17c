"""The one fixture world every test shares (DESIGN.md house rule 9).

A district with two townships; township A has villages A1 and A2, township B has village B1; one
person in each village; one user per role. Names are chosen to exercise pinyin: 曾 (zeng), 单 (shan),
欧阳 (ouyang).
"""

import datetime
from types import SimpleNamespace

import pytest

from tongzhan.core.actors import SYSTEM

PASSWORD = "Correct-Horse-42"

# (id number, name) per village; the IDs are valid GB 11643 numbers.
PEOPLE = {
    "A1": ("330206196503120016", "曾国藩"),
    "A2": ("330206197811230027", "单田芳"),
    "B1": ("330206198802150038", "欧阳修"),
}


@pytest.fixture(autouse=True)
def _fresh_code_table_cache():
    """A test's rolled-back code-table rows must not be drawn by the next test (core.codecache)."""
    from tongzhan.core import codecache

    codecache.clear()
    yield
    codecache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The world creates nine users; the production hasher would spend seconds per test on them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    from tongzhan.accounts.models import User
    from tongzhan.accounts.roles import Role
    from tongzhan.core import identity
    from tongzhan.people.models import Category, Ethnicity
    from tongzhan.people.services import PersonInput, create_person, join_category
    from tongzhan.regions.services import create_region

    def region(name, code, level, parent=None):
        return create_region(actor=SYSTEM, name=name, code=code, level=level, parent=parent)

    w = SimpleNamespace()
    w.district = region("测试区", "330206000000", "district")
    w.township_a = region("甲镇", "330206101000", "township", w.district)
    w.township_b = region("乙乡", "330206102000", "township", w.district)
    w.village_a1 = region("甲一村", "330206101201", "village", w.township_a)
    w.village_a2 = region("甲二村", "330206101202", "village", w.township_a)
    w.village_b1 = region("乙一村", "330206102201", "village", w.township_b)

    def valid(number):
        return identity.parse_id_number(number[:17] + identity.check_digit(number[:17])).number

    han = Ethnicity.objects.get(code="01")
    w.people = {}
    for key, village in (("A1", w.village_a1), ("A2", w.village_a2), ("B1", w.village_b1)):
        number, name = PEOPLE[key]
        person = create_person(actor=SYSTEM, data=PersonInput(
            name=name, region=village, id_number=valid(number), phone=f"1380000000{len(w.people)}",
            ethnicity=han, address=f"{village.name}1号"))
        join_category(actor=SYSTEM, person=person, category=Category.objects.get(code="notable"),
                      attributes={"field": "文史", "reputation": ""}, since=datetime.date(2020, 1, 1))
        w.people[key] = person
    w.person_a1, w.person_a2, w.person_b1 = w.people["A1"], w.people["A2"], w.people["B1"]

    def user(username, role, region=None):
        u = User.objects.create_user(username=username, password=PASSWORD, role=role, region=region,
                                     first_name=username)
        return u

    w.district_staff = user("district", Role.DISTRICT_STAFF, w.district)
    w.township_staff = user("township_a", Role.TOWNSHIP_STAFF, w.township_a)
    w.township_b_staff = user("township_b", Role.TOWNSHIP_STAFF, w.township_b)
    w.liaison = user("liaison_a1", Role.VILLAGE_LIAISON, w.village_a1)
    w.reviewer = user("reviewer_a", Role.REVIEWER, w.township_a)
    w.auditor = user("auditor_a", Role.AUDITOR, w.township_a)
    w.system_admin = user("sysadmin", Role.SYSTEM_ADMIN)
    w.security_admin = user("secadmin", Role.SECURITY_ADMIN)
    w.audit_admin = user("auditadmin", Role.AUDIT_ADMIN)
    w.users = [w.district_staff, w.township_staff, w.township_b_staff, w.liaison, w.reviewer, w.auditor,
               w.system_admin, w.security_admin, w.audit_admin]
    return w


def pass_second_factor(client, user):
    """Mark the client's session as past TOTP, as django_otp.login() does: the level-3 gate lets it through.

    The user gets a confirmed TOTP device if they have none; the tests of the gate itself log in
    without this (tongzhan/accounts/tests/test_login_security.py).
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def logged_in(user):
    """A separate browser (test Client) for `user`, past the second factor: for tests with two users."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return client


@pytest.fixture
def as_user(client):
    """`as_user(u)` returns the test client logged in as u, past the second factor."""

    def login(user):
        client.force_login(user)
        pass_second_factor(client, user)
        return client

    return login


def totp_code(device) -> str:
    """The code the user's authenticator app would show now, as django_otp.oath.totp computes it.

    A code is accepted once (the device keeps `last_t`), so when the current time step is already used
    this gives the next one, which the device's tolerance of one step still accepts.
    """
    import time

    from django_otp.oath import hotp

    device.refresh_from_db()
    now_t = int((time.time() - device.t0) // device.step) + device.drift
    step = max(now_t, device.last_t + 1)
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"
