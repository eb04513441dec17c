"""The review queue: beside the registry, accept field by field, return, reject, purge (issue #4, A1, A4, E1)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from tongzhan.audit.models import AuditEvent
from tongzhan.collection import review
from tongzhan.collection.models import Submission
from tongzhan.core.actors import SYSTEM
from tongzhan.people.models import CategoryMembership, HistoryEntry, Person, Religion

from .factories import adult_id, open_collection, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def collection(world):
    return open_collection(world.township_a)


def a1_id(world) -> str:
    return world.person_a1.decrypt("id_number")


def test_accepting_a_new_person_creates_them_with_source_public_consent_and_the_notice_version(world, collection):
    religion = Religion.objects.order_by("code").first()
    submission, _ = submit(collection, village=world.village_a1, name="欧阳文", id_number=adult_id(11),
                           values={"phone": "13800004444", "religion": religion, "work_unit": "甲镇中学"},
                           consent_sensitive=True)
    person = review.accept_submission(actor=world.township_staff, submission=submission,
                                      fields=["phone", "religion", "work_unit"], join=True)
    person.refresh_from_db()
    assert person.name == "欧阳文" and person.region == world.village_a1
    assert (person.source, person.legal_basis, person.notice_version) == ("public", "consent", "2026-01")
    assert person.decrypt("phone") == "13800004444" and person.decrypt("religion") == religion.pk
    assert person.work_unit == "甲镇中学"
    membership = CategoryMembership.objects.get(person=person, category="notable", status="active")
    assert membership.detail.field == "书法"
    assert HistoryEntry.objects.filter(person=person, action="create").exists()
    assert HistoryEntry.objects.filter(person=person, action="join").exists()
    submission.refresh_from_db()
    assert submission.status == "accepted" and submission.person == person and submission.decided_by == world.township_staff
    event = AuditEvent.objects.get(event="collection.submission_accept")
    assert event.detail["created"] is True and event.detail["person"] == person.pk


def test_fields_not_ticked_are_not_taken(world, collection):
    submission, _ = submit(collection, village=world.village_a1, id_number=adult_id(12),
                           values={"phone": "13800005555", "work_unit": "不该写入"})
    person = review.accept_submission(actor=world.township_staff, submission=submission, fields=["phone"], join=False)
    assert person.work_unit == "" and person.decrypt("phone") == "13800005555"
    assert not CategoryMembership.objects.filter(person=person).exists()


def test_accepting_field_by_field_updates_only_the_chosen_fields_of_the_existing_person_with_history(world, collection):
    before = world.person_a1
    submission, _ = submit(collection, village=world.village_a2, name="曾国藩", id_number=a1_id(world),
                           values={"work_unit": "两江总督府", "address": "不采纳的新住址", "phone": "13800006666"})
    person = review.accept_submission(actor=world.township_staff, submission=submission,
                                      fields=["work_unit", "phone"], join=False)
    assert person.pk == before.pk
    person.refresh_from_db()
    assert person.work_unit == "两江总督府" and person.decrypt("phone") == "13800006666"
    assert person.decrypt("address") == "甲一村1号"  # not ticked: unchanged
    assert person.region == world.village_a1  # the village was not ticked either
    assert (person.source, person.legal_basis, person.notice_version) == ("public", "consent", "2026-01")
    change = HistoryEntry.objects.filter(person=person, action="update").latest("id")
    assert change.changes["工作单位"] == ["", "两江总督府"]
    assert change.actor == world.township_staff


def test_the_review_page_shows_the_submission_beside_the_existing_person(world, collection, as_user):
    submission, _ = submit(collection, village=world.village_a1, name="曾国藩", id_number=a1_id(world),
                           values={"work_unit": "两江总督府"})
    html = as_user(world.township_staff).get(f"/collect/manage/submissions/{submission.pk}/").content.decode()
    assert "登记库中已有此人" in html and f"/people/{world.person_a1.pk}/" in html
    assert "两江总督府" in html and world.person_a1.id_number_masked in html
    assert a1_id(world) not in html  # the ID itself stays masked


def test_an_id_registered_in_another_township_is_said_to_be_elsewhere_without_revealing_whom_or_where(world, collection, as_user):
    b1 = world.person_b1
    submission, _ = submit(collection, village=world.village_a1, name="欧阳某", id_number=b1.decrypt("id_number"),
                           values={"work_unit": "越权单位"})
    html = as_user(world.township_staff).get(f"/collect/manage/submissions/{submission.pk}/").content.decode()
    assert "该证件号码已在其他辖区登记" in html
    for secret in ("欧阳修", "乙一村", "乙乡", f"/people/{b1.pk}/"):
        assert secret not in html, secret
    with pytest.raises(ValidationError, match="其他辖区"):
        review.accept_submission(actor=world.township_staff, submission=submission, fields=["work_unit"], join=True)
    b1.refresh_from_db()
    assert b1.work_unit == "" and Submission.objects.get(pk=submission.pk).status == "pending"


def test_a_reviewer_accepts_through_the_page_and_the_person_history_names_the_reviewer(world, collection, as_user):
    submission, _ = submit(collection, village=world.village_a1, name="欧阳文", id_number=adult_id(13),
                           values={"work_unit": "甲镇中学"})
    client = as_user(world.reviewer)
    response = client.post(f"/collect/manage/submissions/{submission.pk}/accept/",
                           {"take_work_unit": "on", "join_category": "on"})
    person = Person.objects.get(name="欧阳文")
    assert response.status_code == 302 and response["Location"] == f"/people/{person.pk}/"
    assert person.work_unit == "甲镇中学"
    assert HistoryEntry.objects.filter(person=person, action="create").get().actor == world.reviewer
    assert AuditEvent.objects.get(event="person.create", object_id=str(person.pk)).username == world.reviewer.username
    # The acceptance grant is for that one write: the reviewer still cannot edit people.
    assert not world.reviewer.may("people.person", "change")
    from tongzhan.people import services as people

    with pytest.raises(PermissionDenied):
        people.verify_person(actor=world.reviewer, person=person)


def test_accepting_nothing_at_all_is_refused_with_a_message(world, collection):
    submission, _ = submit(collection, village=world.village_a1, name="曾国藩", id_number=a1_id(world),
                           values={"work_unit": "x"})
    with pytest.raises(ValidationError, match="请至少勾选一项"):
        review.accept_submission(actor=world.township_staff, submission=submission, fields=[], join=False)


def test_only_the_category_may_be_taken_for_an_existing_person_leaving_the_legal_basis(world, collection):
    person = world.person_a2
    submission, _ = submit(collection, village=world.village_a2, name=person.name,
                           id_number=person.decrypt("id_number"))
    review.accept_submission(actor=world.township_staff, submission=submission, fields=[], join=True)
    person.refresh_from_db()
    assert person.legal_basis == "statutory" and person.source == "staff"
    membership = CategoryMembership.objects.get(person=person, category="notable", status="active")
    assert membership.detail.field == "书法"  # the world's 文史 updated from the submission


def test_returning_needs_a_note_and_the_submitter_reads_it(world, collection, as_user):
    submission, _ = submit(collection, village=world.village_a1, id_number=adult_id(14))
    client = as_user(world.township_staff)
    response = client.post(f"/collect/manage/submissions/{submission.pk}/return/", {"note": ""})
    assert "请填写退回说明" in response.content.decode()
    response = client.post(f"/collect/manage/submissions/{submission.pk}/return/", {"note": "请补充身份证复印件说明"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == "returned" and submission.review_note == "请补充身份证复印件说明"
    assert AuditEvent.objects.filter(event="collection.submission_return", object_id=str(submission.pk)).exists()


def test_a_decided_submission_cannot_be_decided_again(world, collection):
    submission, _ = submit(collection, village=world.village_a1, id_number=adult_id(15))
    review.reject_submission(actor=world.township_staff, submission=submission, reason="测试数据")
    with pytest.raises(ValidationError, match="已处理"):
        review.accept_submission(actor=world.township_staff, submission=submission, fields=["name"], join=True)
    with pytest.raises(ValidationError, match="已处理"):
        review.return_submission(actor=world.township_staff, submission=submission, note="再退回")


def test_a_user_of_another_township_cannot_decide(world, collection):
    submission, _ = submit(collection, village=world.village_a1, id_number=adult_id(16))
    with pytest.raises(PermissionDenied):
        review.reject_submission(actor=world.township_b_staff, submission=submission, reason="越权")
    with pytest.raises(PermissionDenied):
        review.accept_submission(actor=world.auditor, submission=submission, fields=["name"], join=True)
    assert Submission.objects.get(pk=submission.pk).status == "pending"


def test_rejected_submissions_are_purged_after_90_days_and_each_purge_is_audited(world, collection):
    old, _ = submit(collection, village=world.village_a1, id_number=adult_id(17))
    recent, _ = submit(collection, village=world.village_a1, id_number=adult_id(18))
    returned, _ = submit(collection, village=world.village_a1, id_number=adult_id(19))
    pending, _ = submit(collection, village=world.village_a1, id_number=adult_id(20))
    for submission in (old, recent):
        review.reject_submission(actor=world.township_staff, submission=submission, reason="不符合条件")
    review.return_submission(actor=world.township_staff, submission=returned, note="请补正")
    long_ago = timezone.now() - datetime.timedelta(days=91)
    Submission.objects.filter(pk__in=[old.pk, returned.pk]).update(decided_at=long_ago)
    call_command("purge_submissions")
    assert set(Submission.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    events = AuditEvent.objects.filter(event="collection.submission_purge")
    assert sorted(e.detail["submission"] for e in events) == sorted([old.pk, returned.pk])
    assert all(e.username == "purge_submissions" and "欧阳" not in str(e.detail) for e in events)


def test_nothing_is_purged_before_90_days(world, collection):
    submission, _ = submit(collection, village=world.village_a1, id_number=adult_id(21))
    review.reject_submission(actor=world.township_staff, submission=submission, reason="不符合条件")
    Submission.objects.filter(pk=submission.pk).update(decided_at=timezone.now() - datetime.timedelta(days=89))
    from tongzhan.collection.services import purge_decided_submissions

    assert purge_decided_submissions(actor=SYSTEM) == 0
    assert Submission.objects.filter(pk=submission.pk).exists()


def test_the_purge_command_refuses_a_shorter_retention(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不得少于 90"):
        call_command("purge_submissions", "--days", "30")


def test_viewing_a_submission_is_audited(world, collection, as_user):
    submission, _ = submit(collection, village=world.village_a1, id_number=adult_id(22))
    as_user(world.auditor).get(f"/collect/manage/submissions/{submission.pk}/")
    event = AuditEvent.objects.get(event="collection.submission_view")
    assert event.username == world.auditor.username and event.object_id == str(submission.pk)


def test_the_auditor_reads_the_queue_but_cannot_decide(world, collection, as_user):
    submission, _ = submit(collection, village=world.village_a1, id_number=adult_id(23))
    client = as_user(world.auditor)
    html = client.get(f"/collect/manage/submissions/{submission.pk}/").content.decode()
    assert 'id="accept-button"' not in html and 'id="reject-form"' not in html
    assert client.post(f"/collect/manage/submissions/{submission.pk}/reject/", {"reason": "x"}).status_code == 403
    assert Submission.objects.get(pk=submission.pk).status == "pending"


def test_a_village_liaison_does_not_see_the_queue(world, collection, as_user):
    submission, _ = submit(collection, village=world.village_a1, name="欧阳文", id_number=adult_id(24))
    client = as_user(world.liaison)
    assert "欧阳文" not in client.get("/collect/manage/").content.decode()
    assert client.get(f"/collect/manage/submissions/{submission.pk}/").status_code == 404


def test_a_township_b_submission_is_a_404_for_township_a_like_a_missing_one(world, as_user):
    b_collection = open_collection(world.township_b)
    submission, _ = submit(b_collection, village=world.village_b1, id_number=adult_id(25))
    client = as_user(world.township_staff)
    out_of_scope = client.get(f"/collect/manage/submissions/{submission.pk}/")
    missing = client.get("/collect/manage/submissions/99999999/")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.content == missing.content


def test_a_script_in_a_submitted_name_is_shown_as_text_in_the_queue(world, collection, as_user):
    name = "<img src=x onerror=alert(1)>"
    submit(collection, village=world.village_a1, name=name, id_number=adult_id(26))
    html = as_user(world.township_staff).get("/collect/manage/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html


def test_the_queue_lists_pending_submissions_without_decrypting_and_in_few_queries(world, collection, as_user,
                                                                                   django_assert_max_num_queries):
    for n in range(5):
        submit(collection, village=world.village_a1, id_number=adult_id(30 + n))
    client = as_user(world.township_staff)
    client.get("/collect/manage/")
    with django_assert_max_num_queries(12):
        html = client.get("/collect/manage/").content.decode()
    assert html.count('class="submission-name"') == 5
