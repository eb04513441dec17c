"""Forms of the campaign screens: opening a campaign, a record's check, a new person, review decisions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledForm
from tongzhan.people.models import Category
from tongzhan.regions.models import Region
from tongzhan.regions.selectors import region_choices_for

from . import fields


class CampaignForm(StyledForm):
    """Open a campaign; the villages offered are those in the user's scope (one township per campaign)."""

    title = forms.CharField(label=_("补报标题"), max_length=100)
    categories = forms.ModelMultipleChoiceField(label=_("补报类别"), queryset=Category.objects.all(),
                                                widget=forms.CheckboxSelectMultiple)
    villages = forms.ModelMultipleChoiceField(label=_("参加的村（社区）"), queryset=Region.objects.none(),
                                              widget=forms.CheckboxSelectMultiple)
    field_keys = forms.MultipleChoiceField(label=_("要核对的字段"), widget=forms.CheckboxSelectMultiple,
                                           choices=[(c.key, c.header) for c in fields.CHECKABLE if c.key != "person.name"],
                                           help_text=_("姓名总是列出"))
    deadline = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    notice = forms.CharField(label=_("补报通知"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["villages"].queryset = region_choices_for(user, levels=["village"]).select_related("parent")
        self.fields["villages"].label_from_instance = lambda r: f"{r.parent.name if r.parent else ''} {r.name}"
        self.fields["villages"].error_messages["invalid_choice"] = _("所选村（社区）不存在或不在您的管辖范围内")
        for name in ("categories", "villages", "field_keys"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean_villages(self):
        villages = list(self.cleaned_data["villages"])
        if len({v.parent_id for v in villages}) > 1:
            raise forms.ValidationError(_("一次补报只能面向同一乡镇的村（社区）"))
        return villages


class SheetUploadForm(StyledForm):
    file = forms.FileField(label=_("填好的补报表（.xlsx / .xls / .csv）"))


class NoteForm(StyledForm):
    note = forms.CharField(label=_("退回说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    entry = forms.IntegerField(required=False, widget=forms.HiddenInput)


def written_values(data, columns, prefix: str = "") -> dict[str, str]:
    """The texts posted for the campaign's columns (input names are the column keys)."""
    return {c.key: str(data.get(prefix + c.key, "")) for c in columns}


def written_detail(data, category) -> dict[str, str]:
    """The category attributes posted for a new person (input names `detail.<category>.<field>`)."""
    prefix = f"detail.{category.code}."
    return {key[len(prefix):]: str(value) for key, value in data.items() if key.startswith(prefix)}
