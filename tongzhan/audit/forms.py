from django import forms
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledForm

from .models import AuditEvent
from .selectors import EventFilter


class EventFilterForm(StyledForm):
    username = forms.CharField(label=_("用户名"), required=False, max_length=150)
    event = forms.CharField(
        label=_("事件"),
        required=False,
        max_length=64,
        help_text=_("可填前缀，如 person. 表示全部统战对象相关事件"),
    )
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=64)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    result = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), *AuditEvent.Result.choices]
    )
    since = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("截止日期不能早于起始日期"))
        return data

    def criteria(self) -> EventFilter:
        data = self.cleaned_data
        return EventFilter(
            **{
                name: data.get(name) or ("" if name not in ("since", "until") else None)
                for name in ("username", "event", "object_type", "object_id", "result", "since", "until")
            }
        )
