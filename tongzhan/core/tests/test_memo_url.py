"""{% url %} as every template sees it (core/templatetags/memo_url.py): the same links as Django's tag,
remembered only where nothing but the URLconf, prefix, namespace and language can change them."""

import pytest
from django.template import Context, Engine, engines
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, path, set_script_prefix
from django.utils import translation

from tongzhan.core.templatetags import memo_url


def django_tag(source: str, context: dict | None = None) -> str:
    """The same template through an engine without the builtin: Django's own {% url %}."""
    return Engine(libraries={}).from_string(source).render(Context(context or {}))


def ours(source: str, context: dict | None = None) -> str:
    return engines["django"].from_string(source).render(context or {})


@pytest.fixture(autouse=True)
def empty_memo():
    memo_url._memo.clear()
    yield
    memo_url._memo.clear()
    set_script_prefix("/")


def test_the_project_templates_use_the_remembering_tag():
    template = engines["django"].from_string("{% url 'people:person-list' %}")
    assert isinstance(template.template.nodelist[0], memo_url.MemoURLNode)


@pytest.mark.parametrize("source", [
    "{% url 'people:person-list' %}",
    "{% url 'people:person-detail' 7 %}",
    "{% url 'people:person-detail' pk=7 %}",
    "{% url 'people:person-list' as link %}[{{ link }}]",
    "{% url name %}",
])
def test_every_form_of_the_tag_writes_what_djangos_writes(source):
    context = {"name": "people:stale-list"}
    assert ours(source, context) == ours(source, context) == django_tag(source, context)


def test_a_link_without_arguments_is_remembered_and_one_with_arguments_is_not():
    ours("{% url 'people:person-list' %}{% url 'people:person-detail' 7 %}{% url 'home' as h %}")
    assert sorted(key[0] for key in memo_url._memo) == ["people:person-list"]


def test_an_unknown_name_fails_as_in_django_and_is_not_remembered():
    with pytest.raises(NoReverseMatch):
        ours("{% url 'people:no-such-page' %}")
    assert memo_url._memo == {}


def test_a_script_prefix_gives_its_own_links():
    plain = ours("{% url 'people:person-list' %}")
    set_script_prefix("/tongzhan/")
    assert ours("{% url 'people:person-list' %}") == "/tongzhan" + plain


def other_view(request):  # pragma: no cover - only reversed, never called
    return None


urlpatterns = [path("elsewhere/", other_view, name="home")]


def test_another_urlconf_gives_its_own_links_and_not_the_remembered_ones():
    assert ours("{% url 'home' %}") == "/"
    with override_settings(ROOT_URLCONF=__name__):
        assert ours("{% url 'home' %}") == "/elsewhere/"
    assert ours("{% url 'home' %}") == "/"


def test_the_language_is_part_of_the_key():
    with translation.override("en"):
        ours("{% url 'home' %}")
    with translation.override("zh-hans"):
        ours("{% url 'home' %}")
    assert {key[5] for key in memo_url._memo} == {"en", "zh-hans"}


def test_the_request_namespace_is_part_of_the_key():
    request = RequestFactory().get("/")
    request.current_app = "people"
    engines["django"].from_string("{% url 'people:person-list' %}").render({}, request)
    ours("{% url 'people:person-list' %}")
    assert {key[1] for key in memo_url._memo} == {"people", None}
