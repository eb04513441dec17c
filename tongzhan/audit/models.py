"""The audit log: append-only, each row chained to the previous by HMAC-SM3 (SECURITY.md E1, E2)."""

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One security-relevant event. Database triggers refuse UPDATE and DELETE on this table."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")
        DENIED = "denied", _("拒绝")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    role = models.CharField(_("角色"), max_length=32, blank=True)
    ip = models.CharField(_("IP 地址"), max_length=64, blank=True)
    event = models.CharField(_("事件"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    result = models.CharField(_("结果"), max_length=16, choices=Result.choices, default=Result.SUCCESS)
    reason = models.CharField(_("事由"), max_length=500, blank=True)
    # Structured detail, never a plaintext ID number or phone: callers pass masked values.
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    mac = models.CharField(_("链校验值"), max_length=64)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.event}"

    def chain_payload(self) -> bytes:
        """The fields the chain protects, in a canonical form."""
        return json.dumps(
            [
                self.id,
                self.at.isoformat(),
                self.user_id,
                self.username,
                self.role,
                self.ip,
                self.event,
                self.object_type,
                self.object_id,
                self.result,
                self.reason,
                self.detail,
            ],
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        ).encode("utf-8")


class AuditArchive(models.Model):
    """One pruning of the audit log's head (SECURITY.md E3): the rows went to `path` first.

    `anchor_mac` is the MAC of the last pruned row: the kept chain restarts from it, so verify_audit still
    proves every kept row. The same values are in the chained "audit.prune" event, which verify_audit
    compares with this marker. Triggers make this table append-only too.
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True)
    before = models.DateField(_("清理截止日期"))
    through_id = models.BigIntegerField(_("清理至记录号"))
    anchor_mac = models.CharField(_("链锚点"), max_length=64)
    rows = models.PositiveIntegerField(_("归档条数"))
    path = models.CharField(_("归档文件"), max_length=500)
    sm3 = models.CharField(_("归档文件 SM3"), max_length=64)

    class Meta:
        verbose_name = _("审计归档")
        verbose_name_plural = _("审计归档")
        ordering = ["-through_id"]

    def __str__(self):
        return f"{self.before} #{self.through_id}"
