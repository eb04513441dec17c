"""The public form, as a member of the public meets it: no login, the consents, the minor rule, the bot
defences (SECURITY.md A2, A3, H2, H3, H4)."""

from __future__ import annotations

import pytest
from django.test import Client

from tongzhan.audit.models import AuditEvent
from tongzhan.collection.models import Submission
from tongzhan.collection.services import receipt_hash
from tongzhan.people.models import Person, Religion

from .factories import adult_id, form_data, minor_id, open_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def collection(world):
    return open_collection(world.township_a)


def post(client, collection, data):
    return client.post(f"/collect/{collection.pk}/", data)


def errors_of(response) -> str:
    return response.content.decode()


def test_a_member_of_the_public_submits_without_logging_in_and_gets_a_receipt_code(world, collection):
    client = Client()
    page = client.get(f"/collect/{collection.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert collection.notice in html and "版本 2026-01" in html
    response = post(client, collection, form_data(client, collection, village=world.village_a1))
    assert response.status_code == 200, errors_of(response)
    html = response.content.decode()
    assert "提交成功" in html
    code = html.split('id="receipt-code">')[1].split("<")[0]
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.PENDING
    assert submission.receipt_hash == receipt_hash(code)
    assert submission.notice_version == "2026-01" and submission.consent_general
    assert submission.region == world.village_a1 and submission.name == "欧阳文"


def test_the_receipt_code_is_160_random_bits_shown_once_and_stored_only_as_a_keyed_hash(world, collection):
    client = Client()
    response = post(client, collection, form_data(client, collection, village=world.village_a1))
    code = response.content.decode().split('id="receipt-code">')[1].split("<")[0]
    assert len(code.replace("-", "")) == 32  # base32: 5 bits a character, 160 bits
    submission = Submission.objects.get()
    stored = [str(v) for v in Submission.objects.values_list(*[f.attname for f in Submission._meta.concrete_fields]).get()]
    assert not any(code in value or code.replace("-", "") in value for value in stored)
    assert submission.receipt_hash != code and len(submission.receipt_hash) == 64
    assert code not in response.get("Location", "") and not response.cookies.get("receipt")
    assert "no-store" in response["Cache-Control"]


def test_the_form_needs_no_login_but_the_staff_pages_still_do(world, collection):
    client = Client()
    for url in ("/collect/", f"/collect/{collection.pk}/", "/collect/receipt/"):
        assert client.get(url).status_code == 200, url
    for url in ("/collect/manage/", "/collect/manage/new/", f"/collect/manage/{collection.pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_the_public_page_sends_the_strict_csp_and_no_inline_code(world, collection):
    response = Client().get(f"/collect/{collection.pk}/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    assert "<script>" not in html and " style=" not in html


def test_a_collection_that_is_closed_or_not_yet_open_is_not_found(world):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    closed = open_collection(world.township_a, opens_on=today - datetime.timedelta(days=30),
                             closes_on=today - datetime.timedelta(days=1))
    future = open_collection(world.township_a, opens_on=today + datetime.timedelta(days=1),
                             closes_on=today + datetime.timedelta(days=30))
    for collection in (closed, future):
        assert Client().get(f"/collect/{collection.pk}/").status_code == 404
    assert closed.title not in Client().get("/collect/").content.decode()


def test_the_separate_consent_for_sensitive_fields_is_unticked_by_default_and_distinct(world, collection):
    html = Client().get(f"/collect/{collection.pk}/").content.decode()
    general = html.split('name="consent_general"')[1].split(">")[0]
    sensitive = html.split('name="consent_sensitive"')[1].split(">")[0]
    assert "checked" not in general and "checked" not in sensitive
    assert html.count('name="consent_general"') == 1 and html.count('name="consent_sensitive"') == 1


def test_religion_filled_with_only_the_general_consent_is_refused_with_an_explanation(world, collection):
    client = Client()
    buddhism = Religion.objects.order_by("code").first()
    response = post(client, collection, form_data(client, collection, village=world.village_a1, religion=buddhism.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "宗教信仰，属于敏感个人信息" in html and "单独同意处理敏感个人信息" in html
    assert not Submission.objects.exists()


def test_religion_with_the_separate_consent_is_accepted_and_stored_only_encrypted(world, collection):
    client = Client()
    buddhism = Religion.objects.order_by("code").first()
    response = post(client, collection, form_data(client, collection, village=world.village_a1,
                                                  religion=buddhism.pk, consent_sensitive="on"))
    assert "提交成功" in response.content.decode()
    submission = Submission.objects.get()
    assert submission.consent_sensitive
    assert submission.decrypt("religion") == buddhism.pk
    assert len(bytes(submission.religion_enc)) == 1 + 12 + len(buddhism.pk.encode()) + 16  # SM4-GCM, not clear
    assert "religion" not in submission.answers and "phone" not in submission.answers
    assert submission.decrypt("phone") == "13800001111" and b"13800001111" not in bytes(submission.phone_enc)
    assert submission.decrypt("id_number") == adult_id()


def test_a_ciphertext_copied_to_another_submission_does_not_decrypt(world, collection):
    from tongzhan.collection.tests.factories import submit
    from tongzhan.core.crypto import IntegrityAlarm

    first, _ = submit(collection, village=world.village_a1, id_number=adult_id(1))
    second, _ = submit(collection, village=world.village_a1, id_number=adult_id(2))
    second.id_number_enc = first.id_number_enc
    with pytest.raises(IntegrityAlarm):
        second.decrypt("id_number")


def test_a_category_that_reveals_a_religion_needs_the_separate_consent_even_without_sensitive_fields(world):
    venue = open_collection(world.township_a, category="venue_leader", fields=("phone",), title="场所负责人征集")
    client = Client()
    data = form_data(client, venue, village=world.village_a1, **{"detail-venue_name": "甲镇观音寺", "detail-role": "住持"})
    response = post(client, venue, data)
    assert "本次征集的类别涉及宗教信仰或民族等敏感个人信息" in response.content.decode()
    assert not Submission.objects.exists()
    data = form_data(client, venue, village=world.village_a1, consent_sensitive="on",
                     **{"detail-venue_name": "甲镇观音寺", "detail-role": "住持"})
    assert "提交成功" in post(client, venue, data).content.decode()


def test_a_submitter_under_14_without_a_guardian_is_refused(world, collection):
    client = Client()
    response = post(client, collection, form_data(client, collection, village=world.village_a1, id_number=minor_id()))
    html = response.content.decode()
    for message in ("须填写监护人姓名", "须填写监护人与本人的关系", "须填写监护人联系电话", "须由监护人勾选同意"):
        assert message in html
    assert not Submission.objects.exists()


def test_a_submitter_under_14_with_a_guardian_but_without_the_guardians_consent_is_refused(world, collection):
    client = Client()
    data = form_data(client, collection, village=world.village_a1, id_number=minor_id(), guardian_name="欧阳父",
                     guardian_relation="父亲", guardian_phone="13900002222")
    html = post(client, collection, data).content.decode()
    assert "须由监护人勾选同意" in html and "须填写监护人姓名" not in html
    assert not Submission.objects.exists()


def test_a_submitter_under_14_with_a_guardian_who_consents_is_accepted_and_the_guardian_encrypted(world, collection):
    client = Client()
    data = form_data(client, collection, village=world.village_a1, id_number=minor_id(), guardian_name="欧阳父",
                     guardian_relation="父亲", guardian_phone="139-0000-2222", consent_guardian="on")
    assert "提交成功" in post(client, collection, data).content.decode()
    submission = Submission.objects.get()
    assert submission.consent_guardian
    assert submission.guardian() == {"name": "欧阳父", "relation": "父亲", "phone": "13900002222"}
    assert "欧阳父".encode() not in bytes(submission.guardian_enc)


def test_an_adult_needs_no_guardian(world, collection):
    client = Client()
    assert "提交成功" in post(client, collection, form_data(client, collection, village=world.village_a1)).content.decode()
    assert not Submission.objects.get().consent_guardian


def test_the_honeypot_filled_in_refuses_the_submission(world, collection):
    client = Client()
    response = post(client, collection, form_data(client, collection, village=world.village_a1, website="http://spam.example"))
    assert "隐藏栏目被填写" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_submission_faster_than_the_minimum_fill_time_is_refused(world, collection, settings):
    settings.COLLECTION_MIN_FILL_SECONDS = 5
    client = Client()
    response = post(client, collection, form_data(client, collection, village=world.village_a1, seconds_ago=1))
    assert "提交过快" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_forged_or_stale_start_time_is_refused(world, collection):
    client = Client()
    forged = form_data(client, collection, village=world.village_a1, started="12345:forged")
    assert "表单已失效" in post(client, collection, forged).content.decode()
    stale = form_data(client, collection, village=world.village_a1, seconds_ago=3 * 3600)
    assert "已过期" in post(client, collection, stale).content.decode()
    assert not Submission.objects.exists()


def test_a_wrong_captcha_answer_says_so_and_stores_nothing(world, collection):
    client = Client()
    data = form_data(client, collection, village=world.village_a1)
    data["captcha_1"] = str(int(data["captcha_1"]) + 1)
    html = post(client, collection, data).content.decode()
    assert "验证码不正确或已过期" in html
    assert not Submission.objects.exists()


def test_a_captcha_can_be_tried_only_once(world, collection):
    client = Client()
    data = form_data(client, collection, village=world.village_a1)
    wrong = {**data, "captcha_1": str(int(data["captcha_1"]) + 1)}
    post(client, collection, wrong)
    html = post(client, collection, data).content.decode()  # the right answer, but to a spent challenge
    assert "验证码不正确或已过期" in html
    assert not Submission.objects.exists()


def test_the_captcha_image_is_drawn_on_the_server_as_a_png(world, collection):
    client = Client()
    html = client.get(f"/collect/{collection.pk}/").content.decode()
    src = html.split('class="captcha-image"')[0].rsplit('<img src="', 1)[1].split('"')[0]
    response = client.get(src.replace("&amp;", "&"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert client.get("/collect/captcha/?key=not-a-key").status_code == 404
    fresh = client.get("/collect/captcha/new/").json()
    assert len(fresh["key"]) == 40 and fresh["image"].endswith(fresh["key"])


def test_a_village_of_another_township_is_refused(world, collection):
    client = Client()
    response = post(client, collection, form_data(client, collection, village=world.village_b1))
    assert "所选村（社区）不在本次征集的范围内" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_bad_id_number_and_a_bad_phone_are_reported_by_name(world, collection):
    client = Client()
    data = form_data(client, collection, village=world.village_a1, id_number="330206198001010011", phone="123")
    html = post(client, collection, data).content.decode()
    assert "校验位不符" in html and "电话号码 123 位数不对" in html
    assert not Submission.objects.exists()


def test_a_field_the_collection_does_not_ask_is_ignored(world):
    narrow = open_collection(world.township_a, fields=("phone",), title="只问电话")
    client = Client()
    buddhism = Religion.objects.order_by("code").first()
    response = post(client, narrow, form_data(client, narrow, village=world.village_a1, religion=buddhism.pk))
    assert "提交成功" in response.content.decode()
    submission = Submission.objects.get()
    assert submission.religion_enc is None and submission.address_enc is None


def test_an_oversized_body_is_refused_before_it_is_read(world, collection):
    client = Client()
    data = form_data(client, collection, village=world.village_a1, note="长" * 20000)
    response = post(client, collection, data)
    assert response.status_code == 413
    assert "提交的内容过大" in response.content.decode()
    assert not Submission.objects.exists()


def test_too_many_fields_are_refused(world, collection):
    client = Client()
    data = form_data(client, collection, village=world.village_a1)
    data.update({f"extra{i}": "x" for i in range(100)})
    response = post(client, collection, data)
    assert response.status_code == 400
    assert "提交的项目数量超出表单范围" in response.content.decode()
    assert not Submission.objects.exists()


def test_nothing_of_a_submission_enters_the_registry_until_it_is_accepted(world, collection):
    before = Person.objects.count()
    client = Client()
    post(client, collection, form_data(client, collection, village=world.village_a1, id_number=adult_id(7)))
    assert Submission.objects.count() == 1
    assert Person.objects.count() == before
    assert not Person.objects.filter(name="欧阳文").exists()


def test_receiving_a_submission_is_audited_without_personal_data(world, collection):
    client = Client()
    number = adult_id(8)
    post(client, collection, form_data(client, collection, village=world.village_a1, id_number=number))
    event = AuditEvent.objects.get(event="collection.submission_received")
    assert event.username == "public" and event.role == "public"
    assert event.object_id == str(Submission.objects.get().pk)
    text = str(event.detail) + event.reason
    for personal in ("欧阳文", number, "13800001111", "甲一村8号"):
        assert personal not in text


def test_the_arithmetic_challenge_is_drawn_from_secrets_and_its_answer_is_right():
    from tongzhan.collection.captcha import arithmetic_challenge

    for _ in range(200):
        text, answer = arithmetic_challenge()
        a, op, b = int(text[0]), text[1], int(text[2])
        assert answer == str({"+": a + b, "-": a - b, "x": a * b}[op]) and int(answer) >= 0
