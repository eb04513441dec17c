"""Forms of the import screens: the upload (file, category, one village for the whole file) and the mapping."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongzhan.core.forms import StyledForm
from tongzhan.people.models import Category
from tongzhan.regions.models import Region

from .layout import SheetLayout


class UploadForm(StyledForm):
    file = forms.FileField(label=_("表格文件"), help_text=_("支持 .xlsx、.xls、.csv（UTF-8 或 GBK 编码）"))
    category = forms.ChoiceField(label=_("整个文件属于的类别"), required=False,
                                 help_text=_("按类别分表（工作表名为类别名称）或有“类别”列时可不选"))
    region = forms.ModelChoiceField(label=_("整个文件属于的村（社区）"), queryset=Region.objects.none(),
                                    required=False, help_text=_("表中有“所在村（社区）”列时可不选"))

    def __init__(self, *args, user, max_mb: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("支持 .xlsx、.xls、.csv（UTF-8 或 GBK 编码），大小不超过 %(mb)s MB") % {"mb": max_mb}
        self.fields["category"].choices = [("", _("（不指定）"))] + [
            (c.code, c.name) for c in Category.objects.order_by("sort_order")]
        root = user.scope_region()
        villages = Region.objects.filter(level="village", is_retired=False).order_by("code")
        self.fields["region"].queryset = villages.filter(path__startswith=root.path) if root else villages.none()


class MappingForm(forms.Form):
    """One choice per header column of each sheet: a registry column, or "do not import"."""

    def __init__(self, *args, layouts: list[SheetLayout], mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.sheets = []
        for layout in layouts:
            if layout.header_row is None:
                continue
            choices = [("", _("（不导入此列）"))] + [(c.key, str(c.header)) for c in layout.targets]
            keys = mapping.get(str(layout.index), [])
            names = []
            for col, header in enumerate(layout.headers):
                name = f"s{layout.index}_c{col}"
                self.fields[name] = forms.ChoiceField(label=header or _("（空表头）"), choices=choices, required=False,
                                                      initial=keys[col] if col < len(keys) else "",
                                                      widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
                names.append(name)
            self.sheets.append({"layout": layout, "names": names})

    def sheet_fields(self):
        for sheet in self.sheets:
            yield sheet["layout"], [self[name] for name in sheet["names"]]

    def mapping(self) -> dict[str, list[str]]:
        return {str(sheet["layout"].index): [self.cleaned_data.get(name) or "" for name in sheet["names"]]
                for sheet in self.sheets}
