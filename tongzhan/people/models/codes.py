"""National code tables, shipped as data (people/codetables/*.csv, loaded by a data migration)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeTable(models.Model):
    code = models.CharField(_("代码"), max_length=8, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self):
        return self.name


class Ethnicity(CodeTable):
    """GB/T 3304 民族, plus the two extra codes of the ID system (97 其他, 98 外国血统)."""

    roman = models.CharField(_("罗马字母代码"), max_length=2, blank=True)

    class Meta(CodeTable.Meta):
        verbose_name = verbose_name_plural = _("民族")


class PoliticalAffiliation(CodeTable):
    """GB/T 4762 政治面貌; the eight democratic parties are flagged."""

    short_name = models.CharField(_("简称"), max_length=32)
    is_democratic_party = models.BooleanField(_("民主党派"), default=False)

    class Meta(CodeTable.Meta):
        verbose_name = verbose_name_plural = _("政治面貌")

    def __str__(self):
        return self.short_name or self.name


class Education(CodeTable):
    """GB/T 4658 学历."""

    level = models.PositiveSmallIntegerField(_("层级"), default=1)

    class Meta(CodeTable.Meta):
        verbose_name = verbose_name_plural = _("学历")


class Country(CodeTable):
    """GB/T 2659 countries and regions; `code` is the two-letter code."""

    alpha3 = models.CharField(_("三字母代码"), max_length=3)
    numeric = models.CharField(_("数字代码"), max_length=3)

    class Meta(CodeTable.Meta):
        verbose_name = verbose_name_plural = _("国家和地区")


class Religion(CodeTable):
    class Meta(CodeTable.Meta):
        verbose_name = verbose_name_plural = _("宗教")


class Category(models.Model):
    """One of the ten databases the report lists. `verify_days` is how long a record stays current."""

    code = models.CharField(_("代码"), max_length=32, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    short_name = models.CharField(_("简称"), max_length=16)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    verify_days = models.PositiveIntegerField(_("核实周期（天）"), default=365)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("统战对象类别")
        ordering = ["sort_order"]

    def __str__(self):
        return self.short_name
