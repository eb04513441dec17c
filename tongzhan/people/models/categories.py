"""Membership of a person in the ten databases, each with its own typed attributes.

Leaving a category sets the membership to archived with an end date; its detail row stays attached to
it, so nothing is deleted and rejoining later starts a fresh membership beside the archived one.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core.models import TimeStamped, Versioned


class CategoryCode(models.TextChoices):
    OVERSEAS = "overseas", _("侨、台、留及其直系亲属代表")
    ENTREPRENEUR = "entrepreneur", _("企业家")
    PROFESSIONAL = "professional", _("企事业单位中高级管理人才和专业人才")
    DEMOCRATIC_PARTY = "democratic_party", _("民主党派成员")
    VENUE_LEADER = "venue_leader", _("宗教场所负责人和主要管理人员")
    FOLK_SITE_LEADER = "folk_site_leader", _("民间宗教信仰点负责人")
    ETHNIC_MINORITY = "ethnic_minority", _("少数民族家庭及个人")
    OUTBOUND_TALENT = "outbound_talent", _("外出人员人才")
    NOTABLE = "notable", _("本地籍知名人士")
    SPECIAL_TALENT = "special_talent", _("统战对象特色人才")


class CategoryMembership(TimeStamped, Versioned):
    class Status(models.TextChoices):
        ACTIVE = "active", _("在库")
        ARCHIVED = "archived", _("已退出（存档）")

    scope_region_field = "person__region"

    person = models.ForeignKey("people.Person", verbose_name=_("统战对象"), on_delete=models.CASCADE,
                               related_name="memberships")
    category = models.ForeignKey("people.Category", verbose_name=_("类别"), on_delete=models.PROTECT,
                                 related_name="memberships")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    since = models.DateField(_("入库日期"), null=True, blank=True)
    until = models.DateField(_("退出日期"), null=True, blank=True)
    leave_reason = models.CharField(_("退出原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("类别归属")
        ordering = ["category__sort_order", "-since"]
        constraints = [
            models.UniqueConstraint(fields=["person", "category"], condition=models.Q(status="active"),
                                    name="membership_one_active_per_category"),
            models.CheckConstraint(condition=models.Q(status__in=["active", "archived"]),
                                   name="membership_status_known"),
            models.CheckConstraint(condition=models.Q(until__isnull=True) | models.Q(since__isnull=True)
                                   | models.Q(until__gte=models.F("since")), name="membership_until_after_since"),
        ]

    def __str__(self):
        return f"{self.person_id}:{self.category_id}"

    @property
    def detail(self):
        """The typed attributes of this membership, or None when none were recorded."""
        model = DETAIL_MODELS.get(self.category_id)
        return getattr(self, model._meta.model_name, None) if model else None


class CategoryDetail(models.Model):
    membership = models.OneToOneField(CategoryMembership, on_delete=models.CASCADE, primary_key=True,
                                      related_name="%(class)s")

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self._meta.verbose_name} {self.membership_id}"


class OverseasDetail(CategoryDetail):
    class TieKind(models.TextChoices):
        RETURNED_OVERSEAS = "returned_overseas", _("归侨")
        OVERSEAS_RELATIVE = "overseas_relative", _("侨眷")
        TAIWAN_COMPATRIOT = "taiwan_compatriot", _("台胞")
        TAIWAN_RELATIVE = "taiwan_relative", _("台属")
        RETURNED_STUDENT = "returned_student", _("留学人员")
        HK_MACAU_COMPATRIOT = "hk_macau_compatriot", _("港澳同胞")
        HK_MACAU_RELATIVE = "hk_macau_relative", _("港澳眷属")

    tie_kind = models.CharField(_("身份类别"), max_length=24, choices=TieKind.choices)
    country = models.ForeignKey("people.Country", verbose_name=_("侨居/留学国家或地区"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    is_representative = models.BooleanField(_("直系亲属代表"), default=False)
    returned_year = models.PositiveSmallIntegerField(_("回国（归来）年份"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("侨台留信息")


class EntrepreneurDetail(CategoryDetail):
    enterprise_name = models.CharField(_("企业名称"), max_length=128)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    industry = models.CharField(_("所属行业"), max_length=64, blank=True)
    staff_count = models.PositiveIntegerField(_("员工人数"), null=True, blank=True)
    position = models.CharField(_("企业职务"), max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("企业信息")


class ProfessionalDetail(CategoryDetail):
    employer = models.CharField(_("工作单位"), max_length=128)
    post = models.CharField(_("职务"), max_length=64, blank=True)
    title = models.CharField(_("职称"), max_length=64, blank=True)
    field = models.CharField(_("专业领域"), max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("人才信息")


class DemocraticPartyDetail(CategoryDetail):
    party = models.ForeignKey("people.PoliticalAffiliation", verbose_name=_("党派"), on_delete=models.PROTECT,
                              related_name="+", limit_choices_to={"is_democratic_party": True})
    branch = models.CharField(_("所在支部"), max_length=128, blank=True)
    joined_on = models.DateField(_("加入日期"), null=True, blank=True)
    party_posts = models.CharField(_("党内职务"), max_length=128, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("党派信息")


class VenueLeaderDetail(CategoryDetail):
    venue_name = models.CharField(_("宗教活动场所"), max_length=128)
    role = models.CharField(_("担任职务"), max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("场所任职信息")


class FolkSiteLeaderDetail(CategoryDetail):
    site_name = models.CharField(_("民间信仰点"), max_length=128)
    role = models.CharField(_("担任职务"), max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("信仰点任职信息")


class EthnicMinorityDetail(CategoryDetail):
    is_household_head = models.BooleanField(_("户主"), default=False)
    household_size = models.PositiveSmallIntegerField(_("家庭人口"), null=True, blank=True)
    household_note = models.CharField(_("家庭情况"), max_length=200, blank=True)
    origin_place = models.CharField(_("原籍"), max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("少数民族家庭信息")


class OutboundTalentDetail(CategoryDetail):
    present_city = models.CharField(_("现居城市"), max_length=64)
    employer = models.CharField(_("工作单位"), max_length=128, blank=True)
    field = models.CharField(_("从事领域"), max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("外出人才信息")


class NotableDetail(CategoryDetail):
    field = models.CharField(_("知名领域"), max_length=64)
    reputation = models.TextField(_("主要事迹与影响"), blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("知名人士信息")


class SpecialTalentDetail(CategoryDetail):
    skill = models.CharField(_("特长"), max_length=64)
    willing_to_volunteer = models.BooleanField(_("愿意参加志愿服务"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("特色人才信息")


DETAIL_MODELS = {
    CategoryCode.OVERSEAS: OverseasDetail,
    CategoryCode.ENTREPRENEUR: EntrepreneurDetail,
    CategoryCode.PROFESSIONAL: ProfessionalDetail,
    CategoryCode.DEMOCRATIC_PARTY: DemocraticPartyDetail,
    CategoryCode.VENUE_LEADER: VenueLeaderDetail,
    CategoryCode.FOLK_SITE_LEADER: FolkSiteLeaderDetail,
    CategoryCode.ETHNIC_MINORITY: EthnicMinorityDetail,
    CategoryCode.OUTBOUND_TALENT: OutboundTalentDetail,
    CategoryCode.NOTABLE: NotableDetail,
    CategoryCode.SPECIAL_TALENT: SpecialTalentDetail,
}
