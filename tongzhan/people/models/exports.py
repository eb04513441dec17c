"""A request to export more than 200 people unmasked, and a second person's decision on it (SECURITY.md C7)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core.models import TimeStamped


class ExportRequest(TimeStamped):
    """An unmasked export too large to take alone: another authorised user approves it, then the
    requester downloads it once, within a day of the approval.

    `query` is the search page's query string (never an ID or phone query: those are not stored);
    `region` is the requester's scope when asking, so the request is seen by approvers over that region
    and by no one else. The file itself is never stored: it is written at download time, from the same
    criteria, in the requester's scope at that moment.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准，待下载")
        REJECTED = "rejected", _("已驳回")
        DOWNLOADED = "downloaded", _("已下载")

    class Layout(models.TextChoices):
        MIXED = "mixed", _("通用表（含“类别”列）")
        CATEGORY = "category", _("类别专表（含该类别属性）")

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel 工作簿（.xlsx）")
        CSV = "csv", _("CSV（UTF-8，Excel/WPS 可直接打开）")
        CSV_GB18030 = "csv-gb18030", _("CSV（GBK/GB18030，旧版软件）")

    scope_region_field = "region"

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT,
                                  related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("申请人管辖区划"), on_delete=models.PROTECT,
                               related_name="+")
    query = models.CharField(_("查询条件"), max_length=1000, blank=True)
    description = models.JSONField(_("条件说明"), default=dict, blank=True)
    layout = models.CharField(_("表格样式"), max_length=16, choices=Layout.choices, default=Layout.MIXED)
    category = models.ForeignKey("people.Category", verbose_name=_("类别"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    file_format = models.CharField(_("文件格式"), max_length=16, choices=Format.choices, default=Format.XLSX)
    purpose = models.CharField(_("用途"), max_length=200)
    row_count = models.PositiveIntegerField(_("申请条数"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    downloaded_at = models.DateTimeField(_("下载时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("导出审批")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["pending", "approved", "rejected", "downloaded"]),
                                   name="export_request_status_known"),
            # The second person must be a second person (C7).
            models.CheckConstraint(condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("requester")),
                                   name="export_request_not_self_approved"),
            models.CheckConstraint(condition=models.Q(status="pending") | models.Q(decided_by__isnull=False),
                                   name="export_request_decided_by_someone"),
            models.CheckConstraint(condition=~models.Q(status="downloaded") | models.Q(downloaded_at__isnull=False),
                                   name="export_request_downloaded_when"),
            models.CheckConstraint(condition=~models.Q(layout="category") | models.Q(category__isnull=False),
                                   name="export_request_category_layout_has_category"),
        ]

    def __str__(self):
        return f"{self.requester_id} {self.created_at:%Y-%m-%d %H:%M} {self.row_count}"
