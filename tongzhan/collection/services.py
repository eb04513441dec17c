"""Every write of the public collection: opening collections, receiving submissions, receipts, purging.

The reviewer's decisions (accept, return, reject) are in `review.py`. Each write takes an `actor`, checks
it, runs in one transaction and leaves an audit row (house rule 2, SECURITY.md E1).
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.core import crypto, identity
from tongzhan.people.services.common import audit, require

from . import ratelimit
from .models import (
    ASKABLE_FIELDS,
    ENCRYPTED_ASKABLE,
    SENSITIVE_ASKABLE,
    SENSITIVE_CATEGORIES,
    Collection,
    Submission,
)

RECEIPT_BYTES = 20  # 160 bits from `secrets`: unguessable, shown once, stored only as a keyed hash
PURGE_AFTER_DAYS = 90  # SECURITY.md A4
PURGED_STATUSES = (Submission.Status.REJECTED, Submission.Status.RETURNED)


class PublicSubmitter:
    """The actor of a submission from the public form: nobody signed in, granted nothing."""

    is_authenticated = False
    is_active = False
    pk = None
    role = "public"

    def get_username(self) -> str:
        return "public"

    def may(self, label: str, action: str) -> bool:
        return False

    def scope_region(self):
        return None


PUBLIC = PublicSubmitter()


# --- collections -----------------------------------------------------------------------------------


COLLECTION_FIELDS = ["township", "category", "title", "notice", "notice_version", "purpose", "fields",
                     "opens_on", "closes_on"]


def _check_township(township) -> None:
    if township is None or township.level != "township":
        raise ValidationError({"township": [_("网站征集按乡镇（街道）开设，请选择一个乡镇")]})


@transaction.atomic
def open_collection(*, actor, data: dict) -> Collection:
    """Township staff open a collection for one category of their township."""
    _check_township(data.get("township"))
    require(actor, "collection.collection", "change", data["township"])
    collection = Collection(created_by=actor if getattr(actor, "pk", None) else None,
                            **{name: data[name] for name in COLLECTION_FIELDS})
    collection.fields = [code for code in ASKABLE_FIELDS if code in set(collection.fields)]
    collection.full_clean()
    collection.save()
    audit(actor=actor, event="collection.open", obj=collection,
          detail={"category": collection.category_id, "notice_version": collection.notice_version})
    return collection


@transaction.atomic
def update_collection(*, actor, collection: Collection, data: dict, expected_version: int) -> Collection:
    require(actor, "collection.collection", "change", collection.township)
    _check_township(data.get("township"))
    require(actor, "collection.collection", "change", data["township"])
    current = Collection.objects.select_for_update().get(pk=collection.pk)
    if current.version != expected_version:
        raise ValidationError(_("该征集已被他人修改，请刷新页面后重新编辑"))
    changed = []
    for name in COLLECTION_FIELDS:
        value = data[name]
        if name == "fields":
            value = [code for code in ASKABLE_FIELDS if code in set(value)]
        if getattr(current, name) != value:
            setattr(current, name, value)
            changed.append(name)
    if not changed:
        return current
    current.version += 1
    current.full_clean()
    current.save()
    audit(actor=actor, event="collection.update", obj=current, detail={"fields": changed})
    return current


# --- submissions from the public ---------------------------------------------------------------------


@dataclass
class SubmissionInput:
    """What the public form cleaned. `values` maps ASKABLE_FIELDS codes to text or code-table rows."""

    region: object
    name: str
    id: identity.ParsedId
    values: dict = field(default_factory=dict)
    detail: dict = field(default_factory=dict)
    consent_general: bool = False
    consent_sensitive: bool = False
    guardian: dict = field(default_factory=dict)
    consent_guardian: bool = False


def new_receipt_code() -> str:
    """32 characters of base32 in groups of four: easy to copy from the screen, 160 random bits."""
    raw = base64.b32encode(secrets.token_bytes(RECEIPT_BYTES)).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def receipt_hash(code: str) -> str:
    normal = crypto.normalize_for_index(code).replace("-", "")
    return crypto.blind_index(normal, purpose="collection-receipt")


def _check_rules(collection: Collection, data: SubmissionInput) -> None:
    """The form's rules again, at the one place that writes: no caller can skip them (A2, A3)."""
    if not collection.is_open():
        raise ValidationError(_("本次征集不在开放时间内，不能提交"))
    if data.region.parent_id != collection.township_id or data.region.level != "village" or data.region.is_retired:
        raise ValidationError({"region": [_("所选村（社区）不在本次征集的范围内")]})
    if not data.consent_general:
        raise ValidationError({"consent_general": [_("请先阅读告知书，并勾选“同意告知书”后再提交")]})
    sensitive = collection.category_id in SENSITIVE_CATEGORIES or any(data.values.get(f) for f in SENSITIVE_ASKABLE)
    if sensitive and not data.consent_sensitive:
        raise ValidationError({"consent_sensitive": [_("敏感个人信息须另外勾选单独同意")]})
    unknown = set(data.values) - set(collection.fields)
    if unknown:
        raise ValidationError(_("提交了本次征集未要求的项目"))
    minor = identity.age_on(data.id.birth_date, timezone.localdate()) < 14
    if minor and not (data.consent_guardian and all(data.guardian.get(k) for k in ("name", "relation", "phone"))):
        raise ValidationError({"consent_guardian": [_("未满十四周岁，须填写监护人信息并由监护人同意")]})


@transaction.atomic
def submit_publicly(*, collection: Collection, data: SubmissionInput, ip: str) -> tuple[Submission, str]:
    """Store a submission in quarantine and return it with its receipt code (shown once, never stored).

    The per-address, per-ID and global limits are taken here, in the same transaction: a submission
    refused by one limit leaves no hit in the others (H1). Raises ratelimit.RateLimited.
    """
    _check_rules(collection, data)
    id_bidx = crypto.blind_index(data.id.number, purpose="id")  # Person's purpose: the reviewer can match
    ratelimit.take("submit-ip", ratelimit.address_key(ip))
    ratelimit.take("submit-id", ratelimit.id_key(id_bidx))
    ratelimit.take("submit-all", ratelimit.GLOBAL_KEY)
    code = new_receipt_code()
    submission = Submission(
        collection=collection, region=data.region, name=data.name, id_kind=data.id.kind,
        id_number_bidx=id_bidx, id_number_masked=identity.mask_id_number(data.id.number),
        birth_date=data.id.birth_date, sex=data.id.sex, detail=data.detail,
        consent_general=True, consent_sensitive=data.consent_sensitive,
        consent_guardian=bool(data.guardian) and data.consent_guardian,
        notice_version=collection.notice_version, receipt_hash=receipt_hash(code),
    )
    submission.encrypt("id_number", data.id.number)
    answers = {}
    for name, value in data.values.items():
        if not value:
            continue
        plain = value.pk if hasattr(value, "pk") else str(value).strip()
        if name in ENCRYPTED_ASKABLE:
            submission.encrypt(name, plain)
        else:
            answers[name] = plain
    submission.answers = answers
    if data.guardian:
        submission.encrypt("guardian", json.dumps(data.guardian, ensure_ascii=False))
    submission.full_clean(exclude=["id_number_enc", "receipt_hash", "id_number_bidx", "id_number_masked"])
    submission.save()
    # No personal data in the audit detail (E1): the collection, and whether the minor rule applied.
    audit(actor=PUBLIC, event="collection.submission_received", obj=submission,
          detail={"collection": collection.pk, "guardian": bool(data.guardian)})
    return submission, code


def record_submission_view(*, actor, submission: Submission) -> None:
    """Opening a submission shows sensitive personal data: audited like viewing a person (E1)."""
    with transaction.atomic():
        audit(actor=actor, event="collection.submission_view", obj=submission)


# --- retention -----------------------------------------------------------------------------------


@transaction.atomic
def purge_decided_submissions(*, actor, days: int = PURGE_AFTER_DAYS,
                              now: datetime.datetime | None = None) -> int:
    """Delete rejected and returned submissions decided more than `days` ago, each deletion audited (A4).

    Returned ones go too: the submitter was told what to correct and submits anew, so the old copy has no
    further purpose. Accepted ones stay, as the record of the consent the person gave.
    """
    require(actor, "collection.submission", "purge")
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    doomed = list(Submission.objects.select_for_update()
                  .filter(status__in=PURGED_STATUSES, decided_at__lt=cutoff)
                  .values("pk", "status", "decided_at", "collection_id"))
    for row in doomed:
        audit(actor=actor, event="collection.submission_purge", obj=Submission(pk=row["pk"]), detail={
            "submission": row["pk"], "status": row["status"], "collection": row["collection_id"],
            "decided_at": row["decided_at"].isoformat()})
    Submission.objects.filter(pk__in=[row["pk"] for row in doomed]).delete()
    return len(doomed)
