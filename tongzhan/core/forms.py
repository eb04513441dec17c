"""Form styling shared by every app: Bootstrap classes, set once instead of in every template."""

from django import forms


class StyledFormMixin:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # Django's ":" is not Chinese punctuation
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class StyledForm(StyledFormMixin, forms.Form):
    pass


class StyledModelForm(StyledFormMixin, forms.ModelForm):
    pass
