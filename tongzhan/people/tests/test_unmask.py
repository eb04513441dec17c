"""The full ID number and phone: to a holder of the grant, with a reason, after re-authentication (D3, E1)."""

import pytest
from django.urls import reverse

from conftest import PASSWORD
from tongzhan.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def reauthenticate(client):
    client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": "/"})


def unmask_url(person):
    return reverse("people:person-unmask", args=[person.pk])


def test_unmasking_shows_the_full_values_once_after_a_reason_and_is_audited(world, as_user):
    client = as_user(world.township_staff)
    person = world.person_a1
    full_id, full_phone = person.decrypt("id_number"), person.decrypt("phone")
    detail = client.get(reverse("people:person-detail", args=[person.pk])).content.decode()
    assert "查看完整信息" in detail and full_id not in detail and full_phone not in detail

    response = client.get(unmask_url(person))  # no recent password: asked for it first
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:reauth"))
    reauthenticate(client)
    form = client.get(unmask_url(person)).content.decode()
    assert 'id="unmask-form"' in form and full_id not in form

    response = client.post(unmask_url(person), {"reason": "核对走访登记信息"})
    html = response.content.decode()
    assert response.status_code == 200 and full_id in html and full_phone in html
    assert "no-store" in response["Cache-Control"]
    assert full_id not in str(dict(client.session)) and full_id not in response.request["PATH_INFO"]
    event = AuditEvent.objects.filter(event="person.unmask").get()
    assert event.reason == "核对走访登记信息" and event.object_id == str(person.pk)
    assert full_id not in str(event.detail)
    # The next page is masked again.
    assert full_id not in client.get(reverse("people:person-detail", args=[person.pk])).content.decode()


@pytest.mark.parametrize("reason", ["", "   ", "看看"])
def test_unmasking_without_a_real_reason_is_refused(world, as_user, reason):
    client = as_user(world.township_staff)
    reauthenticate(client)
    response = client.post(unmask_url(world.person_a1), {"reason": reason})
    html = response.content.decode()
    assert response.status_code == 200 and world.person_a1.decrypt("id_number") not in html
    assert "查看事由" in html
    assert not AuditEvent.objects.filter(event="person.unmask").exists()


@pytest.mark.parametrize("role", ["liaison", "reviewer"])
def test_a_liaison_or_reviewer_may_not_unmask(world, as_user, role):
    client = as_user(getattr(world, role))
    reauthenticate(client)
    assert client.get(unmask_url(world.person_a1)).status_code == 403
    response = client.post(unmask_url(world.person_a1), {"reason": "核对走访登记信息"})
    assert response.status_code == 403
    assert world.person_a1.decrypt("id_number") not in response.content.decode()
    assert (
        "查看完整信息"
        not in client.get(reverse("people:person-detail", args=[world.person_a1.pk])).content.decode()
    )


def test_the_auditor_may_not_unmask(world, as_user):
    client = as_user(world.auditor)
    reauthenticate(client)
    assert client.post(unmask_url(world.person_a1), {"reason": "核对走访登记信息"}).status_code == 403
    assert not AuditEvent.objects.filter(event="person.unmask").exists()


def test_unmasking_a_person_of_another_township_answers_404_like_a_missing_one(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    other = client.post(unmask_url(world.person_b1), {"reason": "核对走访登记信息"})
    missing = client.post(reverse("people:person-unmask", args=[99999999]), {"reason": "核对走访登记信息"})
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    assert not AuditEvent.objects.filter(event="person.unmask").exists()


def test_viewing_a_person_is_audited(world, as_user):
    client = as_user(world.liaison)
    client.get(reverse("people:person-detail", args=[world.person_a1.pk]))
    event = AuditEvent.objects.filter(event="person.view").get()
    assert event.username == "liaison_a1" and event.object_id == str(world.person_a1.pk)


def test_searching_by_id_is_audited_without_the_number(world, as_user):
    client = as_user(world.township_staff)
    number = world.person_a1.decrypt("id_number")
    client.get(reverse("people:person-list"), {"q": number})
    event = AuditEvent.objects.filter(event="person.search_id").get()
    assert event.detail == {"results": 1}
    assert number not in str(event.detail) and number not in event.reason
    client.get(reverse("people:person-list"), {"q": "zgf"})
    assert AuditEvent.objects.filter(event="person.search_id").count() == 1
