"""The region tree: 区 → 乡镇 → 行政村/社区 → 自然村/村民小组."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core.models import TimeStamped


class Region(TimeStamped):
    """A node of the administrative tree with its GB/T 2260-style code.

    `path` is the materialised chain of ancestor ids ("/1/5/42/"): a user's scope is one indexed prefix
    test on it. Codes: districts, townships and villages have 12 digits (6 + 3 + 3, zero-filled below
    their level); a villagers' group adds 3 more to its village's 12.
    """

    class Level(models.TextChoices):
        DISTRICT = "district", _("区（县）")
        TOWNSHIP = "township", _("乡镇（街道）")
        VILLAGE = "village", _("行政村（社区）")
        GROUP = "group", _("自然村（村民小组）")

    scope_region_field = ""  # a region is scoped by its own path

    name = models.CharField(_("名称"), max_length=64)
    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False)
    is_retired = models.BooleanField(_("已撤销"), default=False)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=["district", "township", "village", "group"]),
                name="region_level_known",
            ),
            models.CheckConstraint(
                condition=models.Q(level="district") | models.Q(parent__isnull=False),
                name="region_only_district_is_root",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]


LEVEL_ORDER = ["district", "township", "village", "group"]
PARENT_LEVEL = {"township": "district", "village": "township", "group": "village"}


def validate_code(code: str, level: str, parent_code: str | None) -> None:
    """Check a code's shape for its level and that it sits under its parent's code."""
    if level == "group":
        if not re.fullmatch(r"\d{15}", code):
            raise ValidationError(_("村民小组代码应为 15 位数字（所属行政村的 12 位代码加 3 位），收到 “%(code)s”"),
                                  params={"code": code}, code="code_shape")
    elif not re.fullmatch(r"\d{12}", code):
        raise ValidationError(_("区划代码应为 12 位数字，收到 “%(code)s”"), params={"code": code}, code="code_shape")
    significant = {"district": 6, "township": 9, "village": 12, "group": 15}[level]
    if level != "group" and set(code[significant:]) - {"0"}:
        raise ValidationError(_("%(level)s代码第 %(n)s 位之后应全为 0，收到 “%(code)s”"),
                              params={"level": Region.Level(level).label, "n": significant, "code": code},
                              code="code_level")
    if parent_code:
        parent_significant = {"township": 6, "village": 9, "group": 12}.get(level, 0)
        if code[:parent_significant] != parent_code[:parent_significant]:
            raise ValidationError(_("代码 “%(code)s” 不在上级代码 “%(parent)s” 之下"),
                                  params={"code": code, "parent": parent_code}, code="code_parent")
