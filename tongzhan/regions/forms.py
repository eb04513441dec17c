from django import forms
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledForm

from .models import Region
from .selectors import region_choices_for


class RegionField(forms.ModelChoiceField):
    def label_from_instance(self, region):
        return "\u3000" * max(region.depth - 1, 0) + f"{region.name}（{region.code}）"


class RegionCreateForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=64)
    code = forms.CharField(label=_("区划代码"), max_length=15,
                           help_text=_("区、乡镇、村为 12 位；村民小组为所属村的 12 位代码再加 3 位"))
    level = forms.ChoiceField(label=_("层级"), choices=Region.Level.choices)
    parent = RegionField(label=_("上级区划"), queryset=Region.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = region_choices_for(user, levels=["district", "township", "village"])
        self.fields["parent"].error_messages["invalid_choice"] = _("所选上级区划不存在或不在您的管辖范围内")

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if Region.objects.filter(code=code).exists():
            raise forms.ValidationError(_("区划代码 %(code)s 已存在") % {"code": code})
        return code


class RegionRenameForm(StyledForm):
    name = forms.CharField(label=_("新名称"), max_length=64)


class RegionMoveForm(StyledForm):
    new_parent = RegionField(label=_("移至"), queryset=Region.objects.none())

    def __init__(self, *args, user, region, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = region_choices_for(user).exclude(path__startswith=region.path)


class RegionImportForm(StyledForm):
    file = forms.FileField(label=_("区划表（CSV 或 xlsx）"),
                           help_text=_("表头为 code,name,parent_code,level；level 取 district、township、village、group"))
