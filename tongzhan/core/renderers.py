"""The form renderer: Django's templates, except selects, inputs and labels, which are written directly.

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


INPUTS = {f"django/forms/widgets/{kind}.html" for kind in (
    "input", "text", "number", "hidden", "search", "email", "password", "url", "tel", "date", "datetime", "time",
    "color")}
LABEL = "django/forms/label.html"


def render_input(widget: dict) -> SafeString:
    """As django/forms/widgets/input.html (and the one-line templates that include it), stripped as
    Django's renderer strips every template's output."""
    value = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
    html = (f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
            f'{value}{_attrs(widget["attrs"])}>')
    return mark_safe(html)  # noqa: S308 — every piece above is escaped


def render_label(context) -> SafeString:
    """As django/forms/label.html."""
    label = conditional_escape(context["label"])
    if not context.get("use_tag"):
        return mark_safe(str(label))  # noqa: S308 — escaped
    tag = conditional_escape(context["tag"])
    return mark_safe(f"<{tag}{_attrs(context.get('attrs') or {})}>{label}</{tag}>")  # noqa: S308 — escaped


class FastSelectRenderer(DjangoTemplates):
    """Writes selects, text-like inputs and labels directly; every other template goes through Django."""

    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            widget = context.get("widget")
            if widget is not None and all(option["template_name"] == OPTION
                                          for _group, options, _index in widget["optgroups"] for option in options):
                return render_select(widget)
        elif template_name in INPUTS and context.get("widget") is not None:
            return render_input(context["widget"])
        elif template_name == LABEL:
            return render_label(context)
        return super().render(template_name, context, request=request)
