"""Staff forms: opening a collection, the receipt look-up, and the reviewer's decisions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledForm
from tongzhan.people.models import Category
from tongzhan.regions.models import Region
from tongzhan.regions.selectors import region_choices_for

from .models import ASKABLE_FIELDS, Collection, Submission


class CollectionForm(StyledForm):
    """Open or edit a collection; the township list holds only townships in the user's scope."""

    township = forms.ModelChoiceField(label=_("乡镇（街道）"), queryset=Region.objects.none(),
                                      empty_label=_("请选择"))
    category = forms.ModelChoiceField(label=_("征集类别"), queryset=Category.objects.all(), empty_label=_("请选择"))
    title = forms.CharField(label=_("征集标题"), max_length=100)
    notice_version = forms.CharField(label=_("告知书版本"), max_length=32,
                                     help_text=_("告知书每次修改都应使用新的版本号，如 2026-01"))
    purpose = forms.CharField(label=_("处理目的"), max_length=128, initial="统战工作联系服务")
    opens_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    notice = forms.CharField(label=_("告知书"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8}),
                             help_text=_("向公众说明处理者、目的、方式、范围、保存期限和个人的权利"))
    asked = forms.MultipleChoiceField(label=_("征集项目（姓名、身份证号码、所在村和类别信息必填，另选以下项目）"),
                                       choices=[(code, label) for code, (label, _s) in ASKABLE_FIELDS.items()],
                                       widget=forms.CheckboxSelectMultiple, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = region_choices_for(user, levels=["township"])
        self.fields["township"].error_messages["invalid_choice"] = _("所选乡镇不存在或不在您的管辖范围内")
        self.fields["asked"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", _("截止日期 %(closes)s 早于开始日期 %(opens)s") % {"closes": closes, "opens": opens})
        data["fields"] = data.get("asked") or []  # the model's name for what is asked
        return data


def collection_initial(collection: Collection) -> dict:
    return {
        "township": collection.township_id, "category": collection.category_id, "title": collection.title,
        "notice_version": collection.notice_version, "purpose": collection.purpose,
        "opens_on": collection.opens_on, "closes_on": collection.closes_on, "notice": collection.notice,
        "asked": list(collection.fields), "version": collection.version,
    }


class ReceiptForm(StyledForm):
    code = forms.CharField(label=_("回执码"), max_length=64,
                           help_text=_("提交成功时页面显示的回执码，不区分大小写，可带或不带短横线"),
                           error_messages={"required": _("请输入回执码")})


class QueueFilterForm(StyledForm):
    status = forms.ChoiceField(label=_("状态"), choices=Submission.Status.choices, required=False)


class AcceptForm(StyledForm):
    """One checkbox per submitted value: the reviewer takes the values field by field (issue #4)."""

    join_category = forms.BooleanField(required=False)

    def __init__(self, *args, rows: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            if row["choosable"]:
                self.fields[f"take_{row['code']}"] = forms.BooleanField(required=False, initial=row["suggest"])

    def table(self) -> list[dict]:
        """The rows with their checkboxes, for the template (which cannot look fields up by a computed name)."""
        return [{**row, "box": self[f"take_{row['code']}"] if row["choosable"] else None} for row in self.rows]

    def chosen(self) -> list[str]:
        return [row["code"] for row in self.rows
                if row["choosable"] and self.cleaned_data.get(f"take_{row['code']}")]


class ReturnForm(StyledForm):
    note = forms.CharField(label=_("退回说明（提交人凭回执码可见）"), min_length=4, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("请填写退回说明，告诉提交人需要补正什么"),
                                           "min_length": _("退回说明至少 %(limit_value)d 个字")})


class RejectForm(StyledForm):
    reason = forms.CharField(label=_("不予采纳的原因（仅内部可见）"), min_length=2, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写不予采纳的原因"),
                                             "min_length": _("原因至少 %(limit_value)d 个字")})
