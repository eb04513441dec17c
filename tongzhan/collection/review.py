"""The reviewer's decisions on a submission: accept field by field, return with a note, or reject.

A workflow in the house style (DESIGN.md §3): one transition table and one `_transition` that checks the
move and the actor, locks the row, and audits. Accepting writes to the registry only through
`tongzhan.people.services`, with source "public", legal basis "consent" and the notice version the
submitter saw (SECURITY.md A1); the person's history records every field taken.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.core.crypto import IntegrityAlarm
from tongzhan.people import services as people
from tongzhan.people.forms import detail_form_class
from tongzhan.people.models import Category, CategoryMembership, Person
from tongzhan.people.services.bulk import input_from_person
from tongzhan.people.services.common import audit, require

from . import selectors
from .models import Submission

S = Submission.Status
TRANSITIONS = {
    # action -> (grant needed, from, to)
    "accept": ("accept", {S.PENDING}, S.ACCEPTED),
    "return": ("return", {S.PENDING}, S.RETURNED),
    "reject": ("reject", {S.PENDING}, S.REJECTED),
}
ACCEPTABLE = ["name", "region", "phone", "address", "ethnicity", "religion", "political_affiliation",
              "education", "native_place", "work_unit", "job_title", "note"]
PERSON_GRANTS = {("people.person", "change"), ("people.categorymembership", "change")}


def _transition(*, actor, submission: Submission, action: str) -> Submission:
    grant, sources, _target = TRANSITIONS[action]
    require(actor, "collection.submission", grant, submission.region)
    current = Submission.objects.select_for_update().select_related("collection", "region").get(pk=submission.pk)
    if current.status not in sources:
        raise ValidationError(_("该提交已处理（%(status)s），不能再次处理") % {"status": current.get_status_display()})
    return current


def _close(current: Submission, *, actor, action: str, note: str = "", detail: dict | None = None) -> Submission:
    current.status = TRANSITIONS[action][2]
    current.review_note = note
    current.decided_by = actor if getattr(actor, "pk", None) else None
    current.decided_at = timezone.now()
    current.save(update_fields=["status", "review_note", "decided_by", "decided_at", "accepted_fields",
                                "person", "updated_at"])
    audit(actor=actor, event=f"collection.submission_{action}", obj=current, detail=detail or {},
          reason=note if action != "accept" else "")
    return current


@transaction.atomic
def return_submission(*, actor, submission: Submission, note: str) -> Submission:
    """Back to the submitter with a note they read through their receipt code; they submit anew."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": [_("请填写退回说明，告诉提交人需要补正什么")]})
    current = _transition(actor=actor, submission=submission, action="return")
    return _close(current, actor=actor, action="return", note=note)


@transaction.atomic
def reject_submission(*, actor, submission: Submission, reason: str) -> Submission:
    """Not taken. The reason stays internal; the row is purged 90 days later (A4)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写不予采纳的原因")]})
    current = _transition(actor=actor, submission=submission, action="reject")
    return _close(current, actor=actor, action="reject", note=reason)


def _acting_with_person_grants(actor):
    """The actor, for this one acceptance also allowed to write the person it creates or updates.

    A reviewer reads the registry and may not edit it, but the `accept` grant on submissions is the
    authority to put the accepted values in: the people services still check the region scope, and the
    history and audit name the reviewer.
    """
    if all(actor.may(label, action) for label, action in PERSON_GRANTS):
        return actor
    delegate = copy.copy(actor)
    granted = actor.may
    delegate.may = lambda label, action: (label, action) in PERSON_GRANTS or granted(label, action)
    return delegate


def _category_attributes(submission: Submission) -> dict:
    """The category's attributes, validated again by the registry's own form for that category."""
    form_class = detail_form_class(submission.collection.category_id)
    data = {}
    for name, value in submission.detail.items():
        if value is True:
            data[f"detail-{name}"] = "on"
        elif value not in (None, False, ""):
            data[f"detail-{name}"] = str(value)
    form = form_class(data, prefix="detail")
    if not form.is_valid():
        problems = "；".join(f"{form.fields[n].label}：{' '.join(e)}" for n, e in form.errors.items() if n in form.fields)
        raise ValidationError(_("类别信息不符合要求，不能加入该类别：%(problems)s") % {"problems": problems})
    return form.cleaned_data


@transaction.atomic
def accept_submission(*, actor, submission: Submission, fields: list[str], join: bool) -> Person:
    """Create or update the person from the chosen fields; join (or update) the category when asked.

    A person with the same ID outside the reviewer's scope cannot be touched: the reviewer is told the ID
    is registered elsewhere, and may return or reject the submission instead.
    """
    current = _transition(actor=actor, submission=submission, action="accept")
    match = selectors.match_for(actor, current)
    if match.state == "elsewhere":
        raise ValidationError(_("该证件号码已在其他辖区登记，不能在此采纳；请退回或不予采纳，并线下联系上级统战部门核实"))
    try:
        values = selectors.submitted_values(current)
        data = (input_from_person(match.person) if match.person is not None
                else people.PersonInput(name=current.name, region=current.region, id_number=current.decrypt("id_number")))
    except IntegrityAlarm:
        raise ValidationError(_("完整性告警：加密数据校验失败，不能采纳。请联系系统管理员")) from None
    chosen = [code for code in ACCEPTABLE if code in values and (code in fields or
                                                                   (match.person is None and code in ("name", "region")))]
    if not chosen and not join:
        raise ValidationError(_("请至少勾选一项要采纳的内容；如果一项都不采纳，请选择“不予采纳”"))
    for code in chosen:
        setattr(data, code, values[code])
    data.legal_basis, data.source = Person.LegalBasis.CONSENT, Person.Source.PUBLIC
    data.notice_version, data.purpose = current.notice_version, current.collection.purpose
    writer = _acting_with_person_grants(actor)
    try:
        if match.person is None:
            person = people.create_person(actor=writer, data=data)
        elif chosen:
            person = people.update_person(actor=writer, person=match.person, data=data,
                                          expected_version=match.person.version)
        else:  # only the category is taken: the person's own fields and legal basis stay as they are
            person = match.person
    except people.DuplicateIdentity:  # registered meanwhile, in another transaction
        raise ValidationError(_("该证件号码刚刚已被登记，请刷新页面后重新审核")) from None
    except people.EditConflict:
        raise ValidationError(_("现有记录刚刚被他人修改，请刷新页面后重新审核")) from None
    joined = ""
    if join:
        category = Category.objects.get(pk=current.collection.category_id)
        attributes = _category_attributes(current)
        active = CategoryMembership.objects.filter(person=person, category=category,
                                                   status=CategoryMembership.Status.ACTIVE).first()
        if active is None:
            people.join_category(actor=writer, person=person, category=category, attributes=attributes)
            joined = "joined"
        else:
            people.update_category_detail(actor=writer, membership=active, attributes=attributes,
                                          expected_version=active.version)
            joined = "updated"
    current.accepted_fields = chosen + (["category"] if join else [])
    current.person = person
    _close(current, actor=actor, action="accept", detail={
        "person": person.pk, "created": match.person is None, "fields": chosen, "category": joined})
    return person
