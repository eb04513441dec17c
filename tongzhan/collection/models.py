"""Public collection (网站征集): what an office opens to the public, and what the public sends in.

A `Collection` is opened by township staff for one category of their township. A `Submission` is what a
member of the public sent through the collection's page: it waits in quarantine, apart from the registry,
until a reviewer accepts it field by field (SECURITY.md H3). `RateLimitBucket` counts the public form's
requests in the database, so the limits hold across server processes (H1).
"""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongzhan.core import crypto
from tongzhan.core.models import Actored, TimeStamped, Versioned

# Fields a collection may ask besides the name, the ID number and the village, which it always asks.
# code -> (label, sensitive under SECURITY.md A2: needs the separate consent)
# Asked fields stored encrypted on the submission, like Person's (SECURITY.md D1).
ENCRYPTED_ASKABLE = ("phone", "address", "ethnicity", "religion")
ASKABLE_FIELDS = {
    "phone": (_("联系电话"), False),
    "address": (_("详细住址"), False),
    "ethnicity": (_("民族"), True),
    "religion": (_("宗教信仰"), True),
    "political_affiliation": (_("政治面貌"), False),
    "education": (_("学历"), False),
    "native_place": (_("籍贯"), False),
    "work_unit": (_("工作单位"), False),
    "job_title": (_("职务"), False),
    "note": (_("补充说明"), False),
}
SENSITIVE_ASKABLE = [code for code, (_label, sensitive) in ASKABLE_FIELDS.items() if sensitive]
# Categories whose very membership reveals a religious belief or an ethnicity (PIPL 28): a submission to
# them always needs the separate consent, whatever fields it fills.
SENSITIVE_CATEGORIES = {"venue_leader", "folk_site_leader", "ethnic_minority"}
# Stored encrypted in a submission (like Person's), each bound to the table, the row's uid and the field.
ENCRYPTED_FIELDS = ("id_number", "phone", "address", "ethnicity", "religion", "guardian")


class Collection(TimeStamped, Versioned, Actored):
    """One public collection: a township asks the public for one category's records.

    The notice (告知书) and its version are shown on the public page and copied onto each submission and,
    on acceptance, onto the person (SECURITY.md A1). `fields` lists the ASKABLE_FIELDS asked besides the
    name, ID number and village; the category's own attributes are always asked.
    """

    scope_region_field = "township"

    township = models.ForeignKey("regions.Region", verbose_name=_("乡镇（街道）"), on_delete=models.PROTECT,
                                 related_name="+")
    category = models.ForeignKey("people.Category", verbose_name=_("征集类别"), on_delete=models.PROTECT,
                                 related_name="+")
    title = models.CharField(_("征集标题"), max_length=100)
    notice = models.TextField(_("告知书"), max_length=10000)
    notice_version = models.CharField(_("告知书版本"), max_length=32)
    purpose = models.CharField(_("处理目的"), max_length=128, default="统战工作联系服务")
    fields = models.JSONField(_("征集项目"), default=list, blank=True)
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))

    class Meta:
        verbose_name = verbose_name_plural = _("网站征集")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_on__gte=models.F("opens_on")),
                                   name="collection_closes_after_it_opens"),
        ]

    def __str__(self):
        return self.title

    def is_open(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.opens_on <= today <= self.closes_on

    @property
    def asks_sensitive(self) -> bool:
        return self.category_id in SENSITIVE_CATEGORIES or any(f in SENSITIVE_ASKABLE for f in self.fields)


class Submission(TimeStamped):
    """What one member of the public sent: quarantined until a reviewer decides (SECURITY.md H3).

    Nothing of it is in the registry until accepted. ID number, phone, address, ethnicity, religion and
    the guardian's details are SM4-GCM ciphertext bound to this row's `uid`; the ID has a blind index so
    the reviewer sees any existing person with the same ID. The receipt code the submitter holds is
    stored only as a keyed hash. `answers` holds the plain fields (code-table values by code), `detail`
    the category's attributes as the form cleaned them.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACCEPTED = "accepted", _("已采纳")
        RETURNED = "returned", _("已退回")
        REJECTED = "rejected", _("不予采纳")

    scope_region_field = "region"

    uid = models.UUIDField(_("内部标识"), default=uuid.uuid4, unique=True, editable=False)
    collection = models.ForeignKey(Collection, verbose_name=_("网站征集"), on_delete=models.PROTECT,
                                   related_name="submissions")
    region = models.ForeignKey("regions.Region", verbose_name=_("所在村（社区）"), on_delete=models.PROTECT,
                               related_name="+")
    name = models.CharField(_("姓名"), max_length=64)
    id_kind = models.CharField(_("证件类型"), max_length=16, default="resident")
    id_number_enc = models.BinaryField(_("证件号码（密文）"), editable=False)
    id_number_bidx = models.CharField(_("证件号码索引"), max_length=64, db_index=True, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=32, editable=False)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    phone_enc = models.BinaryField(_("联系电话（密文）"), null=True, blank=True, editable=False)
    address_enc = models.BinaryField(_("详细住址（密文）"), null=True, blank=True, editable=False)
    ethnicity_enc = models.BinaryField(_("民族（密文）"), null=True, blank=True, editable=False)
    religion_enc = models.BinaryField(_("宗教信仰（密文）"), null=True, blank=True, editable=False)
    guardian_enc = models.BinaryField(_("监护人信息（密文）"), null=True, blank=True, editable=False)
    answers = models.JSONField(_("其他填报内容"), default=dict, blank=True)
    detail = models.JSONField(_("类别信息"), default=dict, blank=True)

    consent_general = models.BooleanField(_("同意告知书"))
    consent_sensitive = models.BooleanField(_("单独同意处理敏感个人信息"), default=False)
    consent_guardian = models.BooleanField(_("监护人同意"), default=False)
    notice_version = models.CharField(_("告知书版本"), max_length=32)

    receipt_hash = models.CharField(_("回执码摘要"), max_length=64, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    review_note = models.TextField(_("审核意见"), blank=True, max_length=500)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True, db_index=True)
    accepted_fields = models.JSONField(_("采纳的项目"), default=list, blank=True)
    person = models.ForeignKey("people.Person", verbose_name=_("采纳为"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = _("征集提交")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "decided_at"], name="submission_status_decided")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["pending", "accepted", "returned", "rejected"]),
                                   name="submission_status_known"),
            models.CheckConstraint(condition=models.Q(consent_general=True), name="submission_has_consent"),
            models.CheckConstraint(condition=models.Q(status="pending") | models.Q(decided_at__isnull=False),
                                   name="submission_decided_has_time"),
        ]

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}"

    def encrypt(self, field: str, value: str) -> None:
        blob = (crypto.encrypt(value, table="collection_submission", row=str(self.uid), field=field)
                if value else None)
        setattr(self, f"{field}_enc", blob)

    def decrypt(self, field: str) -> str:
        blob = getattr(self, f"{field}_enc")
        if not blob:
            return ""
        return crypto.decrypt(blob, table="collection_submission", row=str(self.uid), field=field)

    def guardian(self) -> dict:
        text = self.decrypt("guardian")
        return json.loads(text) if text else {}


class RateLimitBucket(models.Model):
    """The recent hits of one rate-limit key, shared by every server process through the database (H1).

    `key` is a keyed hash (of a client address or an ID number), never the value itself. `hits` are epoch
    seconds within the longest window, oldest first; the row is locked while it is read and extended.
    """

    scope = models.CharField(_("限流类别"), max_length=32)
    key = models.CharField(_("限流键"), max_length=64)
    hits = models.JSONField(_("请求时间"), default=list)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = _("限流计数")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="ratelimit_one_bucket_per_key")]

    def __str__(self):
        return f"{self.scope}:{self.key[:8]}"
