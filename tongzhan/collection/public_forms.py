"""The public form: parsing, the consent rules, the minor rule and the bot defences (SECURITY.md A2, A3, H2).

Everything a member of the public types is checked here and reported in Chinese next to the field;
the service only stores what this form cleaned.
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongzhan.core import identity, names
from tongzhan.core.forms import StyledForm
from tongzhan.people.forms import detail_form_class
from tongzhan.people.models import Education, Ethnicity, PoliticalAffiliation, Religion
from tongzhan.regions.models import Region

from .captcha import PublicCaptchaField
from .models import ASKABLE_FIELDS, SENSITIVE_ASKABLE, SENSITIVE_CATEGORIES

STARTED_SALT = "tongzhan.collection.started"
MINOR_AGE = 14  # PIPL 31: under 14 the guardian consents
MAX_FORM_AGE = 2 * 3600  # a form left open longer must be reloaded
HONEYPOT = "website"


def min_fill_seconds() -> int:
    return int(getattr(settings, "COLLECTION_MIN_FILL_SECONDS", 5))


def started_token(collection_pk: int, at: float | None = None) -> str:
    """The signed time the form was served: a bot that posts at once, or replays an old form, is refused."""
    return signing.dumps({"c": collection_pk, "t": time.time() if at is None else at}, salt=STARTED_SALT)


def _has_control_characters(value: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\r\n\t" for ch in value)


class VillageField(forms.ModelChoiceField):
    def label_from_instance(self, region):
        return region.name


class PublicSubmissionForm(StyledForm):
    """One collection's public form. Optional fields exist only when the collection asks them."""

    name = forms.CharField(label=_("姓名"), max_length=64)
    id_number = forms.CharField(label=_("居民身份证号码"), max_length=32,
                                help_text=_("18 位居民身份证号码，或港澳台居民居住证号码"))
    region = VillageField(label=_("所在村（社区）"), queryset=Region.objects.none(),
                          empty_label=_("请选择"))
    phone = forms.CharField(label=_("联系电话"), max_length=32)
    address = forms.CharField(label=_("详细住址"), max_length=200)
    ethnicity = forms.ModelChoiceField(label=_("民族"), queryset=Ethnicity.objects.all(), empty_label=_("不填写"))
    religion = forms.ModelChoiceField(label=_("宗教信仰"), queryset=Religion.objects.all(), empty_label=_("不填写"))
    political_affiliation = forms.ModelChoiceField(label=_("政治面貌"), queryset=PoliticalAffiliation.objects.all(),
                                                   empty_label=_("不填写"))
    education = forms.ModelChoiceField(label=_("学历"), queryset=Education.objects.all(), empty_label=_("不填写"))
    native_place = forms.CharField(label=_("籍贯"), max_length=64)
    work_unit = forms.CharField(label=_("工作单位"), max_length=128)
    job_title = forms.CharField(label=_("职务"), max_length=64)
    note = forms.CharField(label=_("补充说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    guardian_name = forms.CharField(label=_("监护人姓名"), max_length=64, required=False)
    guardian_relation = forms.CharField(label=_("与本人关系"), max_length=16, required=False)
    guardian_phone = forms.CharField(label=_("监护人联系电话"), max_length=32, required=False)
    consent_guardian = forms.BooleanField(
        label=_("我是上述未满十四周岁人员的监护人，已阅读告知书，同意处理其个人信息"), required=False)

    consent_general = forms.BooleanField(
        label=_("我已阅读并同意上述告知书，同意按告知书所述目的和方式处理我填写的个人信息"),
        error_messages={"required": _("请先阅读告知书，并勾选“同意告知书”后再提交")})
    consent_sensitive = forms.BooleanField(
        label=_("我单独同意处理我填写的民族、宗教信仰等敏感个人信息（未填写此类信息的可不勾选）"),
        required=False)

    website = forms.CharField(label=_("网址（请勿填写）"), required=False, max_length=200)
    started = forms.CharField(widget=forms.HiddenInput, max_length=200)
    captcha = PublicCaptchaField()

    PERSONAL = ["name", "id_number", "region", *ASKABLE_FIELDS]
    GUARDIAN = ["guardian_name", "guardian_relation", "guardian_phone", "consent_guardian"]

    def __init__(self, *args, collection, **kwargs):
        super().__init__(*args, **kwargs)
        self.collection = collection
        for code in ASKABLE_FIELDS:
            if code not in collection.fields:
                del self.fields[code]
            else:
                self.fields[code].required = False
        self.fields["region"].queryset = (Region.objects.filter(parent=collection.township, level="village",
                                                                is_retired=False).order_by("code"))
        self.fields["region"].error_messages["invalid_choice"] = _("所选村（社区）不在本次征集的范围内")
        self.fields["started"].error_messages["required"] = _("表单不完整，请刷新页面后重新填写")
        hp = self.fields[HONEYPOT].widget.attrs
        hp.update({"autocomplete": "off", "tabindex": "-1", "class": "form-control form-control-sm"})
        if collection.category_id in SENSITIVE_CATEGORIES:
            self.fields["consent_sensitive"].label = _(
                "我单独同意处理本次征集涉及的宗教信仰、民族等敏感个人信息")
        detail_class = detail_form_class(collection.category_id)
        self.detail_form = detail_class(self.data if self.is_bound else None, prefix="detail")
        for field in self.detail_form.fields.values():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3
        self.minor = False

    # --- grouping for the template -------------------------------------------------------------

    def personal_fields(self):
        return [self[name] for name in self.PERSONAL if name in self.fields]

    def guardian_fields(self):
        return [self[name] for name in self.GUARDIAN]

    # --- fields --------------------------------------------------------------------------------

    def clean_name(self):
        name = names.normalize_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("请填写姓名"))
        if _has_control_characters(name):
            raise forms.ValidationError(_("姓名中含有不可见的控制字符，请重新输入"))
        return name

    def clean_id_number(self):
        try:
            parsed = identity.parse_id_number(self.cleaned_data["id_number"], today=timezone.localdate())
        except identity.IdentityError as exc:
            raise forms.ValidationError(str(exc)) from None
        return parsed

    def _clean_phone(self, name):
        raw = self.cleaned_data.get(name, "").strip()
        if not raw:
            return ""
        try:
            return identity.normalize_phone(raw)
        except identity.PhoneError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_phone(self):
        return self._clean_phone("phone")

    def clean_guardian_phone(self):
        return self._clean_phone("guardian_phone")

    def clean_started(self):
        token = self.cleaned_data["started"]
        try:
            payload = signing.loads(token, salt=STARTED_SALT)
            started, collection_pk = float(payload["t"]), int(payload["c"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise forms.ValidationError(_("表单已失效，请刷新页面后重新填写")) from None
        now = time.time()
        if collection_pk != self.collection.pk or started > now + 5:
            raise forms.ValidationError(_("表单已失效，请刷新页面后重新填写"))
        if now - started > MAX_FORM_AGE:
            raise forms.ValidationError(_("表单打开时间过长（超过 2 小时）已过期，请刷新页面后重新填写"))
        if now - started < min_fill_seconds():
            raise forms.ValidationError(
                _("提交过快：请阅读告知书并核对填写内容后再提交（打开页面后至少 %(n)s 秒）")
                % {"n": min_fill_seconds()})
        return started

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str) and name not in ("started",) and _has_control_characters(value):
                self.add_error(name, _("含有不可见的控制字符，请重新输入"))
        if data.get(HONEYPOT):
            raise forms.ValidationError(_(
                "提交未被接受：表单中一个不应填写的隐藏栏目被填写了（可能是浏览器自动填充所致）。"
                "请刷新页面后重新填写，不要使用自动填充。"), code="honeypot")
        self._check_sensitive_consent(data)
        self._check_guardian(data)
        if not self.detail_form.is_valid():
            self.add_error(None, _("请检查“类别信息”中标出的问题"))
        return data

    def _check_sensitive_consent(self, data) -> None:
        """A2: sensitive data only with the separate consent, which is distinct from the general one."""
        if data.get("consent_sensitive"):
            return
        filled = [str(ASKABLE_FIELDS[f][0]) for f in SENSITIVE_ASKABLE if data.get(f)]
        if self.collection.category_id in SENSITIVE_CATEGORIES:
            self.add_error("consent_sensitive", _(
                "本次征集的类别涉及宗教信仰或民族等敏感个人信息，按《个人信息保护法》须另外勾选“单独同意处理"
                "敏感个人信息”；仅勾选“同意告知书”不能提交。"))
        elif filled:
            self.add_error("consent_sensitive", _(
                "您填写了%(fields)s，属于敏感个人信息，按《个人信息保护法》须另外勾选“单独同意处理敏感个人"
                "信息”；仅勾选“同意告知书”不够。如不同意，请将这些项目改为“不填写”后再提交。")
                % {"fields": "、".join(filled)})

    def _check_guardian(self, data) -> None:
        """A3: under 14 by the ID's birth date, a guardian and the guardian's consent are required."""
        parsed = data.get("id_number")
        if parsed is None:
            return
        self.minor = identity.age_on(parsed.birth_date, timezone.localdate()) < MINOR_AGE
        if not self.minor:
            return
        missing = {
            "guardian_name": _("未满十四周岁，须填写监护人姓名"),
            "guardian_relation": _("未满十四周岁，须填写监护人与本人的关系"),
            "guardian_phone": _("未满十四周岁，须填写监护人联系电话"),
            "consent_guardian": _("未满十四周岁，须由监护人勾选同意后提交"),
        }
        for name, message in missing.items():
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)

    # --- what the service stores ---------------------------------------------------------------

    def detail_values(self) -> dict:
        """The category's attributes, JSON-ready (code-table rows by key, dates as ISO text)."""
        values = {}
        for name, value in self.detail_form.cleaned_data.items():
            if hasattr(value, "pk"):
                value = value.pk
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            values[name] = value
        return values
