"""The direct <select> writer produces exactly what Django's widget templates produce."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from tongzhan.core.renderers import FastSelectRenderer
from tongzhan.people.models import Ethnicity


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "不限"), ("a", "甲 & <乙>"), ("b", '"丙"')])
    grouped = forms.ChoiceField(choices=[("华东", [("sh", "上海"), ("zj", "浙江")]), ("x", "其他")])
    flags = forms.ChoiceField(choices=[("1", "一")], widget=forms.Select(attrs={"required": True, "disabled": False,
                                                                              "data-x": 'a"b', "class": "form-select"}))
    many = forms.MultipleChoiceField(choices=[("1", "一"), ("2", "二"), ("3", "三")])
    ethnicity = forms.ModelChoiceField(queryset=Ethnicity.objects.all(), empty_label="不限")
    number = forms.IntegerField(min_value=0, max_value=150)
    text = forms.CharField(max_length=10, required=False, widget=forms.TextInput(attrs={"placeholder": '如"曾"'}))
    hidden = forms.IntegerField(required=False, widget=forms.HiddenInput)
    when = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    search = forms.CharField(widget=forms.TextInput(attrs={"type": "search", "autofocus": True}))


def both(form_data, name):
    django_form = Everything(form_data, renderer=DjangoTemplates())
    ours = Everything(form_data, renderer=FastSelectRenderer())
    return str(django_form[name]), str(ours[name])


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["plain", "grouped", "flags", "many", "ethnicity", "number", "text", "hidden",
                                  "when", "search"])
@pytest.mark.parametrize("data", [None, {"plain": "a", "grouped": "zj", "many": ["1", "3"], "ethnicity": "01"},
                                  {"plain": "<script>", "ethnicity": "nonsense", "text": '"><b>', "number": "7",
                                   "when": "1965-03-12", "hidden": "3"}])
def test_every_select_renders_exactly_as_django_renders_it(name, data):
    expected, written = both(data, name)
    assert written == expected
    assert "<select" in written or "<input" in written


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["plain", "number", "text", "ethnicity"])
@pytest.mark.parametrize("kwargs", [{}, {"attrs": {"class": "form-label small"}}, {"contents": "<自定义>"},
                                    {"label_suffix": "："}])
def test_every_label_renders_exactly_as_django_renders_it(name, kwargs):
    django_form = Everything(None, renderer=DjangoTemplates())
    ours = Everything(None, renderer=FastSelectRenderer())
    assert ours[name].label_tag(**kwargs) == django_form[name].label_tag(**kwargs)
    assert ours[name].legend_tag(**kwargs) == django_form[name].legend_tag(**kwargs)


@pytest.mark.django_db
def test_a_selected_option_is_marked_and_labels_are_escaped():
    _, written = both({"plain": "a"}, "plain")
    assert '<option value="a" selected>甲 &amp; &lt;乙&gt;</option>' in written
