"""Repeating sub-records of a person, the change history, and saved searches."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core.models import TimeStamped, Versioned


class SubRecord(TimeStamped, Versioned):
    scope_region_field = "person__region"

    class Meta:
        abstract = True


class Relative(SubRecord):
    """A relative, including relatives abroad who are not local records themselves."""

    person = models.ForeignKey("people.Person", verbose_name=_("统战对象"), on_delete=models.CASCADE,
                               related_name="relatives")
    name = models.CharField(_("姓名"), max_length=64)
    relation = models.CharField(_("关系"), max_length=32)
    country = models.ForeignKey("people.Country", verbose_name=_("所在国家或地区"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    city = models.CharField(_("所在城市"), max_length=64, blank=True)
    occupation = models.CharField(_("职业"), max_length=64, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("亲属")
        ordering = ["id"]

    def __str__(self):
        return f"{self.relation} {self.name}"

    @property
    def is_abroad(self) -> bool:
        return self.country_id not in (None, "", "CN")


class Post(SubRecord):
    person = models.ForeignKey("people.Person", verbose_name=_("统战对象"), on_delete=models.CASCADE,
                               related_name="posts")
    organisation = models.CharField(_("单位或组织"), max_length=128)
    title = models.CharField(_("职务"), max_length=64)
    start = models.DateField(_("起始"), null=True, blank=True)
    end = models.DateField(_("截止"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("任职")
        ordering = ["-start", "id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(end__isnull=True) | models.Q(start__isnull=True) | models.Q(end__gte=models.F("start")),
            name="post_end_after_start")]

    def __str__(self):
        return f"{self.organisation} {self.title}"


class EducationRecord(SubRecord):
    person = models.ForeignKey("people.Person", verbose_name=_("统战对象"), on_delete=models.CASCADE,
                               related_name="education_records")
    school = models.CharField(_("学校"), max_length=128)
    major = models.CharField(_("专业"), max_length=64, blank=True)
    level = models.ForeignKey("people.Education", verbose_name=_("学历"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("入学"), null=True, blank=True)
    end = models.DateField(_("毕业"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("教育经历")
        ordering = ["-start", "id"]

    def __str__(self):
        return self.school


class Honour(SubRecord):
    person = models.ForeignKey("people.Person", verbose_name=_("统战对象"), on_delete=models.CASCADE,
                               related_name="honours")
    title = models.CharField(_("荣誉名称"), max_length=128)
    awarded_by = models.CharField(_("授予单位"), max_length=128, blank=True)
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("荣誉")
        ordering = ["-year", "id"]

    def __str__(self):
        return self.title


class HistoryEntry(models.Model):
    """One change to a person or a sub-record: who, when, what, from what to what.

    Sensitive values are stored masked here (an ID number as 330206********0012): the history shows
    that a value changed without becoming a second, unencrypted copy of it.
    """

    scope_region_field = "person__region"

    person = models.ForeignKey("people.Person", verbose_name=_("统战对象"), on_delete=models.CASCADE,
                               related_name="history")
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=32)
    target = models.CharField(_("对象"), max_length=64, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict)

    class Meta:
        verbose_name = verbose_name_plural = _("变更记录")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.person_id} {self.action} {self.at:%Y-%m-%d}"


class SavedSearch(TimeStamped):
    """A named query of the office: the query string of the search page, shared within the region."""

    scope_region_field = "region"

    name = models.CharField(_("名称"), max_length=64)
    query = models.CharField(_("查询条件"), max_length=1000)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属单位"), on_delete=models.CASCADE,
                               related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                              on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = _("保存的查询")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="saved_search_unique_name")]

    def __str__(self):
        return self.name
