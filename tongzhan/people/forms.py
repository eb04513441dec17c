"""Forms of the registry: parsing, validation and Chinese messages; choices limited to the user's scope."""

from __future__ import annotations

from django import forms
from django.forms import modelform_factory
from django.utils.translation import gettext_lazy as _

from tongzhan.core.codecache import CachedChoiceMixin, CachedOptionsIterator, CodeTableChoiceField
from tongzhan.core.forms import StyledForm, StyledModelForm
from tongzhan.regions.models import Region
from tongzhan.regions.selectors import region_choices_for

from .models import (
    DETAIL_MODELS,
    Category,
    Country,
    Education,
    EducationRecord,
    Ethnicity,
    Honour,
    Person,
    PoliticalAffiliation,
    Post,
    Relative,
    Religion,
)
from .selectors import Criteria
from .services.disclosure import UNMASK_REASON_MIN


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region):
        indent = "\u3000" * max(region.depth - 1, 0)
        return f"{indent}{region.name}"


class CachedRegionChoiceField(CachedChoiceMixin, RegionChoiceField):
    """The region filter of the search page, drawn and read from the per-process cache (core/codecache.py).

    The page is drawn on every keystroke: building some hundred Region objects for the options was a
    tenth of its time, and looking the submitted region up again was a round trip of its own (8 % of a
    PostgreSQL page with a village filter, docs/benchmarks.md). So the options and the submitted region
    both come from the cached rows of the user's scope. A cached row may be up to a minute old when the
    region was moved in another server process; the search therefore checks, inside its own statement,
    that the region still has the id and path it was read with (selectors.search_people,
    TokenQuery.region_check), and a moved region matches nobody until the cache is read again; it never
    counts people outside the scope. A region not among the cached rows (added elsewhere within the
    minute) is looked up in the scoped queryset (codecache.CachedChoiceMixin).
    """

    iterator = CachedOptionsIterator


class PersonSearchForm(StyledForm):
    """The search box and its filters, read from the query string so a search can be bookmarked."""

    VERIFIED = [("", _("不限")), ("stale", _("超过一年未核实")), ("never", _("从未核实"))]

    q = forms.CharField(label=_("姓名、拼音、首字母、证件号或电话"), required=False, max_length=64)
    # Code tables drawn from the per-process cache: this form is rendered on every keystroke.
    category = CodeTableChoiceField(label=_("类别"), queryset=Category.objects.all(), required=False,
                                    empty_label=_("全部类别"), to_field_name="code")
    region = CachedRegionChoiceField(label=_("区划"), queryset=Region.objects.none(), required=False,
                                     empty_label=_("全部区划"))
    ethnicity = CodeTableChoiceField(label=_("民族"), queryset=Ethnicity.objects.all(), required=False,
                                     empty_label=_("不限"))
    political = CodeTableChoiceField(label=_("政治面貌"), queryset=PoliticalAffiliation.objects.all(),
                                     required=False, empty_label=_("不限"))
    religion = CodeTableChoiceField(label=_("宗教信仰"), queryset=Religion.objects.all(), required=False,
                                    empty_label=_("不限"))
    age_min = forms.IntegerField(label=_("年龄从"), required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label=_("至"), required=False, min_value=0, max_value=150)
    sex = forms.ChoiceField(label=_("性别"), choices=[("", _("不限")), *Person.Sex.choices], required=False)
    verified = forms.ChoiceField(label=_("核实情况"), choices=VERIFIED, required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100000, widget=forms.HiddenInput)

    error_messages = {"invalid_choice": _("所选区划不存在或不在您的管辖范围内")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_choices_for(user, include_retired=True)
        self.fields["region"].error_messages["invalid_choice"] = _("所选区划不存在或不在您的管辖范围内")
        for name in ("category", "ethnicity", "political", "religion"):
            self.fields[name].error_messages["invalid_choice"] = _("所选项不存在，请重新选择")

    def clean(self):
        data = super().clean()
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", _("年龄范围不正确：起始年龄 %(low)s 大于截止年龄 %(high)s") % {"low": low, "high": high})
        return data

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(
            q=data.get("q") or "", category=data.get("category"), region=data.get("region"),
            ethnicity=data.get("ethnicity"), political=data.get("political"), religion=data.get("religion"),
            age_min=data.get("age_min"), age_max=data.get("age_max"), sex=data.get("sex") or "",
            verified=data.get("verified") or "", page=data.get("page") or 1,
        )

    @property
    def has_filters(self) -> bool:
        return any(self.cleaned_data.get(name) not in (None, "") for name in self.fields if name not in ("q", "page"))


class PersonForm(StyledForm):
    """Basic information. The ID number fills birth date and sex; sensitive fields are encrypted on save."""

    name = forms.CharField(label=_("姓名"), max_length=64)
    id_kind = forms.ChoiceField(label=_("证件类型"), choices=Person.IdKind.choices, initial=Person.IdKind.RESIDENT)
    id_number = forms.CharField(label=_("证件号码"), max_length=32, required=False,
                                help_text=_("居民身份证可输入 15 位或 18 位，全角、空格和小写 x 会自动规范"))
    id_country = forms.ModelChoiceField(label=_("签发国家或地区（护照）"), queryset=Country.objects.all(), required=False)
    sex = forms.ChoiceField(label=_("性别"), choices=[("", "—"), *Person.Sex.choices], required=False,
                            help_text=_("有居民身份证号码时由号码推出"))
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    region = RegionChoiceField(label=_("所在村（社区）"), queryset=Region.objects.none())
    address = forms.CharField(label=_("详细住址"), max_length=200, required=False)
    ethnicity = forms.ModelChoiceField(label=_("民族"), queryset=Ethnicity.objects.all(), required=False)
    religion = forms.ModelChoiceField(label=_("宗教信仰"), queryset=Religion.objects.all(), required=False)
    political_affiliation = forms.ModelChoiceField(label=_("政治面貌"), queryset=PoliticalAffiliation.objects.all(),
                                                   required=False)
    education = forms.ModelChoiceField(label=_("学历"), queryset=Education.objects.all(), required=False)
    native_place = forms.CharField(label=_("籍贯"), max_length=64, required=False)
    work_unit = forms.CharField(label=_("工作单位"), max_length=128, required=False)
    job_title = forms.CharField(label=_("职务"), max_length=64, required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.ChoiceField(label=_("处理依据"), choices=Person.LegalBasis.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_choices_for(user, levels=["township", "village", "group"])
        self.fields["region"].error_messages["invalid_choice"] = _("所选区划不存在或不在您的管辖范围内")

    def clean_name(self):
        from tongzhan.core.names import normalize_name

        name = normalize_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("请填写姓名"))
        if any(ord(ch) < 32 for ch in name):
            raise forms.ValidationError(_("姓名中含有不可见的控制字符"))
        return name

    def clean(self):
        data = super().clean()
        if data.get("id_kind") == Person.IdKind.PASSPORT and data.get("id_number") and not data.get("id_country"):
            self.add_error("id_country", _("护照须选择签发国家或地区"))
        return data


def person_initial(person: Person, sensitive: dict) -> dict:
    return {
        "name": person.name, "id_kind": person.id_kind, "id_number": person.decrypt("id_number"),
        "id_country": person.id_country_id, "sex": person.sex, "birth_date": person.birth_date,
        "phone": person.decrypt("phone"), "region": person.region_id, "address": sensitive["address"],
        "ethnicity": sensitive["ethnicity"], "religion": sensitive["religion"],
        "political_affiliation": person.political_affiliation_id, "education": person.education_id,
        "native_place": person.native_place, "work_unit": person.work_unit, "job_title": person.job_title,
        "note": person.note, "legal_basis": person.legal_basis, "version": person.version,
    }


def detail_form_class(category_code: str):
    model = DETAIL_MODELS[category_code]
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    widgets = {f.name: forms.DateInput(attrs={"type": "date"}) for f in model._meta.concrete_fields
               if f.get_internal_type() == "DateField"}
    return modelform_factory(model, form=StyledModelForm, fields=fields, widgets=widgets)


class JoinCategoryForm(StyledForm):
    category = forms.ModelChoiceField(label=_("加入类别"), queryset=Category.objects.all(), to_field_name="code",
                                      empty_label=_("选择数据库"))
    since = forms.DateField(label=_("入库日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class LeaveCategoryForm(StyledForm):
    reason = forms.CharField(label=_("退出原因"), max_length=200)


class DeletePersonForm(StyledForm):
    reason = forms.CharField(label=_("删除原因"), max_length=200)


class VersionForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class UnmaskForm(StyledForm):
    """Why the full ID number and phone are needed: recorded with the unmasking (SECURITY.md D3)."""

    reason = forms.CharField(label=_("查看事由"), min_length=UNMASK_REASON_MIN, max_length=200,
                             error_messages={"required": _("请填写查看事由"),
                                             "min_length": _("查看事由至少 %(limit_value)d 个字")})


class SavedSearchForm(StyledForm):
    name = forms.CharField(label=_("查询名称"), max_length=64)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)


SUB_RECORD_FORMS = {
    "relative": modelform_factory(Relative, form=StyledModelForm, fields=["name", "relation", "country", "city", "occupation", "note"]),
    "post": modelform_factory(Post, form=StyledModelForm, fields=["organisation", "title", "start", "end"],
                              widgets={"start": forms.DateInput(attrs={"type": "date"}),
                                       "end": forms.DateInput(attrs={"type": "date"})}),
    "education": modelform_factory(EducationRecord, form=StyledModelForm, fields=["school", "major", "level", "start", "end"],
                                   widgets={"start": forms.DateInput(attrs={"type": "date"}),
                                            "end": forms.DateInput(attrs={"type": "date"})}),
    "honour": modelform_factory(Honour, form=StyledModelForm, fields=["title", "awarded_by", "year"]),
}
