"""The form renderer: Django's templates, except the <select>, which is written directly.

A filter form here carries about 250 options (56 ethnic groups, the political affiliations, the region
tree, the categories …). Django renders each option through two template includes, which made the
filter form the largest cost of the search page (docs/benchmarks.md). This renderer writes a select
from the same context Django builds (Select.get_context: the same names, attributes, groups and
selected flags), so validation, widget attributes and output stay Django's; only the template walk
is skipped. Any other widget, or a select whose templates were overridden, goes through the templates.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: False drops the attribute, True writes it bare."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}" if value is True else
                   f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(out)


def render_select(widget: dict) -> SafeString:
    """The select exactly as Django's select.html and select_option.html write it.

    Every name, value, attribute and label passes through conditional_escape, as the templates'
    autoescaping does; f-strings rather than format_html because this runs for every option.
    """
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            parts.append(f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                         f'{_attrs(option["attrs"])}>{conditional_escape(option["label"])}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 — every piece above is escaped


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if template_name == SELECT else None
        if widget is not None and all(option["template_name"] == OPTION
                                      for _group, options, _index in widget["optgroups"] for option in options):
            return render_select(widget)
        return super().render(template_name, context, request=request)
