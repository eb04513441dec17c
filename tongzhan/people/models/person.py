"""The person: one row per real person, whatever databases they are in."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core import crypto
from tongzhan.core.models import Actored, TimeStamped, Versioned

# Sensitive fields (SECURITY.md D1): name -> blind-index purpose, or None when only encrypted.
SENSITIVE_FIELDS = {"id_number": "id", "phone": "phone", "address": None, "ethnicity": "ethnicity",
                    "religion": "religion"}


class Person(TimeStamped, Versioned, Actored):
    """A 统战对象. Identity is the ID number, stored only encrypted and found through a keyed blind index.

    Sensitive values live in `<field>_enc` (SM4-GCM, bound to this row's `uid` and the field name) and,
    where an exact lookup or filter is needed, `<field>_bidx` (HMAC-SM3). `id_number_masked` and
    `phone_masked` are kept in clear so lists never decrypt.
    """

    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class IdKind(models.TextChoices):
        RESIDENT = "resident", _("居民身份证")
        HK_PERMIT = "hk_permit", _("港澳台居民居住证（香港）")
        MACAU_PERMIT = "macau_permit", _("港澳台居民居住证（澳门）")
        TAIWAN_PERMIT = "taiwan_permit", _("港澳台居民居住证（台湾）")
        HK_MACAU_PASS = "hk_macau_pass", _("港澳居民来往内地通行证")
        TAIWAN_PASS = "taiwan_pass", _("台湾居民来往大陆通行证")
        PASSPORT = "passport", _("护照")
        NONE = "none", _("暂无证件")

    class LegalBasis(models.TextChoices):
        STATUTORY = "statutory", _("履行法定职责")
        CONSENT = "consent", _("本人同意")

    class Source(models.TextChoices):
        STAFF = "staff", _("工作人员录入")
        IMPORT = "import", _("表格导入")
        PUBLIC = "public", _("网站征集")
        CAMPAIGN = "campaign", _("数据补报")
        DEMO = "demo", _("演示数据")

    scope_region_field = "region"

    uid = models.UUIDField(_("内部标识"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("姓名"), max_length=64)
    name_sort = models.CharField(_("姓名拼音"), max_length=160, db_index=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, db_index=True)

    id_kind = models.CharField(_("证件类型"), max_length=16, choices=IdKind.choices, default=IdKind.RESIDENT)
    id_number_enc = models.BinaryField(_("证件号码（密文）"), null=True, blank=True, editable=False)
    id_number_bidx = models.CharField(_("证件号码索引"), max_length=64, null=True, blank=True, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=32, blank=True, editable=False)
    id_country = models.ForeignKey("people.Country", verbose_name=_("签发国家或地区"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    phone_enc = models.BinaryField(_("联系电话（密文）"), null=True, blank=True, editable=False)
    phone_bidx = models.CharField(_("联系电话索引"), max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)
    address_enc = models.BinaryField(_("详细住址（密文）"), null=True, blank=True, editable=False)
    ethnicity_enc = models.BinaryField(_("民族（密文）"), null=True, blank=True, editable=False)
    ethnicity_bidx = models.CharField(_("民族索引"), max_length=64, blank=True, db_index=True, editable=False)
    religion_enc = models.BinaryField(_("宗教信仰（密文）"), null=True, blank=True, editable=False)
    religion_bidx = models.CharField(_("宗教信仰索引"), max_length=64, blank=True, db_index=True, editable=False)

    political_affiliation = models.ForeignKey("people.PoliticalAffiliation", verbose_name=_("政治面貌"),
                                              null=True, blank=True, on_delete=models.PROTECT,
                                              related_name="+")
    education = models.ForeignKey("people.Education", verbose_name=_("学历"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("所在村（社区）"), on_delete=models.PROTECT,
                               related_name="people")
    native_place = models.CharField(_("籍贯"), max_length=64, blank=True)
    work_unit = models.CharField(_("工作单位"), max_length=128, blank=True)
    job_title = models.CharField(_("职务"), max_length=64, blank=True)
    note = models.TextField(_("备注"), blank=True)

    legal_basis = models.CharField(_("处理依据"), max_length=16, choices=LegalBasis.choices,
                                   default=LegalBasis.STATUTORY)
    source = models.CharField(_("信息来源"), max_length=16, choices=Source.choices, default=Source.STAFF)
    notice_version = models.CharField(_("告知书版本"), max_length=32, blank=True)
    purpose = models.CharField(_("处理目的"), max_length=128, blank=True,
                               default="统战工作联系服务")

    last_verified_on = models.DateField(_("最近核实日期"), null=True, blank=True, db_index=True)
    last_verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核实人"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("统战对象")
        verbose_name_plural = _("统战对象")
        ordering = ["name_sort", "id"]
        constraints = [
            # One person per ID number: the blind index carries the uniqueness (D2).
            models.UniqueConstraint(fields=["id_number_bidx"], name="person_unique_id_number",
                                    condition=models.Q(id_number_bidx__isnull=False)),
            models.CheckConstraint(condition=models.Q(sex__in=["M", "F", ""]), name="person_sex_known"),
            models.CheckConstraint(condition=~models.Q(name=""), name="person_name_not_empty"),
        ]
        indexes = [models.Index(fields=["region", "name_sort"], name="person_region_sort")]

    def __str__(self):
        return self.name

    # One-row helpers for the encrypted fields; the services decide when to call them.
    def decrypt(self, field: str) -> str:
        blob = getattr(self, f"{field}_enc")
        if not blob:
            return ""
        return crypto.decrypt(blob, table="people_person", row=str(self.uid), field=field)

    def encrypt(self, field: str, value: str) -> None:
        purpose = SENSITIVE_FIELDS[field]
        if not value:
            setattr(self, f"{field}_enc", None)
            if purpose:
                setattr(self, f"{field}_bidx", None if field == "id_number" else "")
            return
        setattr(self, f"{field}_enc", crypto.encrypt(value, table="people_person", row=str(self.uid), field=field))
        if purpose:
            setattr(self, f"{field}_bidx", crypto.blind_index(value, purpose=purpose))


class PersonSearchDoc(models.Model):
    """The search document of one person: space-separated tokens (names, pinyin, filters).

    Its primary key is not arbitrary: it is the person's pinyin sort key packed into the high bits and
    the person id in the low 24, so an index that returns rows in key order returns them sorted by
    name. SQLite indexes `tokens` in an FTS5 table kept in step by triggers; PostgreSQL in a GIN index.
    """

    id = models.BigIntegerField(primary_key=True)
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="search_doc")
    tokens = models.TextField()

    class Meta:
        verbose_name = verbose_name_plural = _("检索文档")

    def __str__(self):
        return f"search doc {self.person_id}"
