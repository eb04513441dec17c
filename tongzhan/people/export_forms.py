"""Forms of the export pages: what to write, why, and the approver's decision (Chinese messages)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledForm

from .models import ExportRequest
from .services.exports import APPROVAL_THRESHOLD, PURPOSE_MIN

# The search page's criteria, carried through the export page in hidden fields.
CRITERIA_FIELDS = ("q", "category", "region", "ethnicity", "political", "religion", "age_min", "age_max", "sex",
                   "verified")


class ExportForm(StyledForm):
    """File format, sheet layout, purpose, and (for holders of "unmask") the full values."""

    file_format = forms.ChoiceField(label=_("文件格式"), choices=ExportRequest.Format.choices,
                                    initial=ExportRequest.Format.XLSX)
    layout = forms.ChoiceField(label=_("表格样式"), choices=ExportRequest.Layout.choices)
    purpose = forms.CharField(
        label=_("导出用途"), min_length=PURPOSE_MIN, max_length=200,
        help_text=_("将写入文件水印和审计日志，如“2026年侨情普查核对”"),
        error_messages={"required": _("请填写导出用途"), "min_length": _("导出用途至少 %(limit_value)d 个字")},
    )
    unmasked = forms.BooleanField(
        label=_("导出完整的证件号码、联系电话、住址、民族和宗教信仰"), required=False,
        help_text=_("须重新输入密码；超过 %(n)d 条须经另一名工作人员审批") % {"n": APPROVAL_THRESHOLD},
    )

    def __init__(self, *args, may_unmask: bool, category=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        if not may_unmask:
            del self.fields["unmasked"]
        if category is None:
            self.fields["layout"].choices = [c for c in ExportRequest.Layout.choices if c[0] == "mixed"]
            self.fields["layout"].initial = ExportRequest.Layout.MIXED
        else:
            self.fields["layout"].initial = ExportRequest.Layout.CATEGORY
        self.fields["layout"].error_messages["invalid_choice"] = _("类别专表须先在查询条件中选定一个类别")
        self.fields["file_format"].error_messages["invalid_choice"] = _("不支持的文件格式")

    @property
    def unmasked_requested(self) -> bool:
        return bool(self.is_bound and self.data.get("unmasked") not in (None, "", "false", "0"))


class DecisionForm(StyledForm):
    """The approver's answer to an export request."""

    DECISIONS = [("approve", _("批准")), ("reject", _("驳回"))]

    decision = forms.ChoiceField(label=_("审批结果"), choices=DECISIONS,
                                 error_messages={"required": _("请选择批准或驳回")})
    note = forms.CharField(label=_("审批意见"), max_length=200, required=False,
                           help_text=_("驳回时必填"))
