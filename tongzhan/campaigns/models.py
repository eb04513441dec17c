"""Supplementation campaigns (数据补报): a township asks its villages to check, correct and add records.

A `Campaign` is opened by township staff for some categories, some villages and some fields. Each village
gets one `VillageReturn`, the liaison's work for that village. What the liaison does is recorded as
`Entry` rows — proposed changes, never writes to the registry: staff review them and only an accepted
entry goes through tongzhan.people.services (SECURITY.md E4). Proposed values may be sensitive (a phone,
an ID number), so an entry keeps them only as SM4-GCM ciphertext bound to its uid (D1).
"""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core import crypto
from tongzhan.core.models import Actored, TimeStamped, Versioned


class Campaign(TimeStamped, Actored):
    """One campaign of a township: title, notice, categories, villages, fields to check and a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已关闭")

    scope_region_field = "township"

    township = models.ForeignKey("regions.Region", verbose_name=_("乡镇（街道）"), on_delete=models.PROTECT,
                                 related_name="+")
    title = models.CharField(_("补报标题"), max_length=100)
    notice = models.TextField(_("补报通知"), max_length=10000)
    categories = models.ManyToManyField("people.Category", verbose_name=_("补报类别"), related_name="+")
    fields = models.JSONField(_("核对字段"), default=list)
    deadline = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("数据补报")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(status__in=["open", "closed"]),
                                              name="campaign_status_known")]

    def __str__(self):
        return self.title


class VillageReturn(TimeStamped, Versioned):
    """One village's part of a campaign: its liaison's work, returned (报送) to the township for review."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("填报中")
        RETURNED = "returned", _("已报送")
        ACCEPTED = "accepted", _("已采纳")
        SENT_BACK = "sent_back", _("已退回")

    scope_region_field = "village"

    campaign = models.ForeignKey(Campaign, verbose_name=_("数据补报"), on_delete=models.CASCADE,
                                 related_name="returns")
    village = models.ForeignKey("regions.Region", verbose_name=_("村（社区）"), on_delete=models.PROTECT,
                                related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("报送人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    review_note = models.CharField(_("退回说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("村级报送")
        ordering = ["village__code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "village"], name="return_one_per_village")]

    def __str__(self):
        return f"{self.campaign_id}:{self.village_id}"


class Entry(TimeStamped):
    """One proposed change of a return: a record confirmed, a record corrected, or a new person.

    `values` (column key → the text the liaison wrote) is stored only encrypted (`values_enc`);
    `changed` names the changed columns in clear for the counts, `seen` their values as the liaison saw
    them (masked as shown, so the review shows old → new even after the record changed). `base_version` is the person's version
    the liaison saw: if the registry moved on since, review shows a conflict instead of overwriting (J1).
    """

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("已核对，无变化")
        CHANGE = "change", _("已核对，有变化")
        CREATE = "create", _("新增人员")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACCEPTED = "accepted", _("已采纳")
        SENT_BACK = "sent_back", _("已退回")
        CONFLICT = "conflict", _("有冲突")

    scope_region_field = "village_return__village"

    uid = models.UUIDField(_("内部标识"), default=uuid.uuid4, unique=True, editable=False)
    village_return = models.ForeignKey(VillageReturn, verbose_name=_("村级报送"), on_delete=models.CASCADE,
                                       related_name="entries")
    person = models.ForeignKey("people.Person", verbose_name=_("统战对象"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("people.Category", verbose_name=_("新增人员类别"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    values_enc = models.BinaryField(_("填报内容（密文）"), null=True, blank=True, editable=False)
    changed = models.JSONField(_("变化的字段"), default=list)
    seen = models.JSONField(_("填报时的原值（遮盖）"), default=dict)
    base_version = models.PositiveIntegerField(_("填报时记录版本"), null=True, blank=True)
    base_versions = models.JSONField(_("填报时类别信息版本"), default=dict)
    status = models.CharField(_("审核状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(_("审核说明"), max_length=500, blank=True)
    source = models.CharField(_("填报方式"), max_length=8, default="online")

    class Meta:
        verbose_name = verbose_name_plural = _("补报条目")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["village_return", "person"], condition=models.Q(person__isnull=False),
                                    name="entry_one_per_person"),
            # A new person has no record until accepted; every other entry is about one.
            models.CheckConstraint(condition=models.Q(kind="create") | models.Q(person__isnull=False),
                                   name="entry_person_unless_create"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.person_id or '-'}"

    @property
    def values(self) -> dict:
        if not self.values_enc:
            return {}
        return json.loads(crypto.decrypt(bytes(self.values_enc), table="campaigns_entry", row=str(self.uid),
                                         field="values"))

    def set_values(self, values: dict) -> None:
        self.values_enc = crypto.encrypt(json.dumps(values, ensure_ascii=False), table="campaigns_entry",
                                         row=str(self.uid), field="values")
