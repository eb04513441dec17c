"""An import: the batch, its per-row report, what it changed (for undo), and remembered column mappings."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core.models import TimeStamped


class ImportBatch(TimeStamped):
    """One uploaded file on its way into the registry: mapping, dry run, commit, perhaps undo.

    `region` is the importing office (the user's scope root): a batch is seen only inside it. The file
    itself is never kept here, only its name, size and SM3 hash (SECURITY.md F7, E1); between upload and
    commit the bytes wait SM4-encrypted in TONGZHAN_DATA_DIR/imports/ and are deleted after the commit.
    """

    class Status(models.TextChoices):
        MAPPING = "mapping", _("待确认列对应")
        CHECKING = "checking", _("预检中")
        CHECKED = "checked", _("预检完成，待导入")
        COMMITTING = "committing", _("导入中")
        DONE = "done", _("已导入")
        FAILED = "failed", _("失败")
        UNDONE = "undone", _("已撤销")

    scope_region_field = "region"

    uid = models.UUIDField(_("内部标识"), default=uuid.uuid4, unique=True, editable=False)
    region = models.ForeignKey("regions.Region", verbose_name=_("导入单位"), on_delete=models.PROTECT,
                               related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("导入人姓名"), max_length=150, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.PositiveIntegerField(_("文件大小（字节）"), default=0)
    file_sm3 = models.CharField(_("文件 SM3 摘要"), max_length=64)
    category = models.CharField(_("指定类别"), max_length=32, blank=True)
    target_region = models.ForeignKey("regions.Region", verbose_name=_("指定村（社区）"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    sheets = models.JSONField(_("工作表与表头"), default=list)
    mapping = models.JSONField(_("列对应"), default=dict)
    decisions = models.JSONField(_("冲突处理决定"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.MAPPING)
    error = models.CharField(_("失败原因"), max_length=500, blank=True)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    warnings = models.PositiveIntegerField(_("提示"), default=0)
    conflicts = models.PositiveIntegerField(_("待决定冲突"), default=0)
    worker_pid = models.PositiveIntegerField(_("处理进程号"), null=True, blank=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    history_high = models.BigIntegerField(_("导入后最大变更记录号"), null=True, blank=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=[
                "mapping", "checking", "checked", "committing", "done", "failed", "undone"]),
                name="import_batch_status_known"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.file_name}"

    @property
    def data_rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.COMMITTING)


class ImportRow(models.Model):
    """One data row of the dry run's report: its status, problems, warnings and conflicts.

    Values in problems are as written in the sheet, except ID numbers and phones, which are masked (D3).
    """

    class Status(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("更新")
        UNCHANGED = "unchanged", _("无变化")
        REJECTED = "rejected", _("拒绝")

    scope_region_field = "batch__region"

    batch = models.ForeignKey(ImportBatch, verbose_name=_("导入批次"), on_delete=models.CASCADE,
                              related_name="rows")
    sheet = models.CharField(_("工作表"), max_length=64, blank=True)
    row = models.PositiveIntegerField(_("行号"))
    status = models.CharField(_("结果"), max_length=16, choices=Status.choices)
    label = models.CharField(_("姓名"), max_length=64, blank=True)
    problems = models.JSONField(_("问题"), default=list)
    warnings = models.JSONField(_("提示"), default=list)
    conflicts = models.JSONField(_("冲突"), default=list)

    class Meta:
        verbose_name = verbose_name_plural = _("预检结果行")
        ordering = ["id"]
        indexes = [models.Index(fields=["batch", "status"], name="import_row_batch_status")]

    def __str__(self):
        return f"{self.batch_id}:{self.sheet}:{self.row}"


class ImportChange(models.Model):
    """What a committed batch did to one person, so that the batch can be undone.

    `before` holds the previous values of the fields the import changed; sensitive ones as the stored
    ciphertext (bound to the person's row), never in clear.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("新增人员")
        UPDATED = "updated", _("修改信息")
        JOINED = "joined", _("加入类别")
        DETAIL = "detail", _("修改类别信息")

    batch = models.ForeignKey(ImportBatch, verbose_name=_("导入批次"), on_delete=models.CASCADE,
                              related_name="changes")
    person = models.ForeignKey("people.Person", verbose_name=_("统战对象"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    membership = models.ForeignKey("people.CategoryMembership", verbose_name=_("类别归属"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    before = models.JSONField(_("原值"), default=dict)

    class Meta:
        verbose_name = verbose_name_plural = _("导入变更")
        ordering = ["id"]

    def __str__(self):
        return f"{self.batch_id}:{self.kind}:{self.person_id}"


class HeaderMapping(models.Model):
    """A column mapping an office confirmed once, remembered for the next file with the same headers.

    `signature` is the SM3 of the file's normalised header list; `mapping` maps each normalised header
    to a column key, or "" for a column the office chose to ignore.
    """

    scope_region_field = "region"

    region = models.ForeignKey("regions.Region", verbose_name=_("所属单位"), on_delete=models.CASCADE,
                               related_name="+")
    signature = models.CharField(_("表头特征"), max_length=64)
    mapping = models.JSONField(_("列对应"), default=dict)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("保存的列对应")
        constraints = [models.UniqueConstraint(fields=["region", "signature"], name="header_mapping_unique")]

    def __str__(self):
        return f"{self.region_id}:{self.signature[:8]}"
