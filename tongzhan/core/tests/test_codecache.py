"""Code tables drawn once a minute per process (core.codecache): what is drawn, what a save clears,
and that a submitted value is still checked."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongzhan.core import codecache
from tongzhan.core.codecache import CodeTableChoiceField
from tongzhan.people.models import Category, Religion

pytestmark = pytest.mark.django_db


def field():
    return CodeTableChoiceField(queryset=Religion.objects.all(), required=False)


def test_the_options_are_read_once_and_then_drawn_without_a_query():
    first = list(field().choices)
    with CaptureQueriesContext(connection) as queries:
        again = list(field().choices)
    assert [label for _, label in again] == [label for _, label in first]
    assert len(first) > 2
    assert len(queries) == 0


def test_a_save_in_this_process_clears_the_copy_at_once():
    list(field().choices)
    Religion.objects.create(code="99", name="测试宗教")
    assert "测试宗教" in [label for _, label in field().choices]


def test_a_copy_older_than_a_minute_is_read_again(monkeypatch):
    list(field().choices)
    Religion.objects.filter(code="99").delete()
    Religion.objects.bulk_create([Religion(code="98", name="批量宗教")])  # no signal: the copy is stale
    assert "批量宗教" not in [label for _, label in field().choices]
    now = codecache.time.monotonic()
    monkeypatch.setattr(codecache.time, "monotonic", lambda: now + codecache.TTL_SECONDS + 1)
    assert "批量宗教" in [label for _, label in field().choices]


def test_a_submitted_code_is_taken_from_the_copy_or_else_from_the_database():
    list(field().choices)
    Religion.objects.bulk_create([Religion(code="97", name="新增宗教")])  # not in the copy yet
    assert field().clean("97").name == "新增宗教"
    with pytest.raises(ValidationError):
        field().clean("no-such-code")
    known = Religion.objects.order_by("code").first()
    with CaptureQueriesContext(connection) as queries:
        cached = field().clean(known.code)
    assert cached == known and len(queries) == 0


def test_a_filtered_queryset_is_never_served_from_the_copy():
    everything = codecache.rows(Category.objects.all())
    some = codecache.rows(Category.objects.filter(code="overseas"))
    assert len(some) == 1 < len(everything)
