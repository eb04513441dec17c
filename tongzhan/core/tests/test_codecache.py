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


def region_labels(form) -> list[str]:
    return [str(label).strip("\u3000") for _, label in form.fields["region"].choices]


def test_the_search_pages_region_options_are_read_once_per_scope_and_stay_within_it(world):
    from tongzhan.people.forms import PersonSearchForm

    first = region_labels(PersonSearchForm({}, user=world.township_staff))
    with CaptureQueriesContext(connection) as queries:
        again = region_labels(PersonSearchForm({}, user=world.township_staff))
    assert again == first and len(queries) == 0
    assert "甲一村" in first and "乙一村" not in first
    other = region_labels(PersonSearchForm({}, user=world.township_b_staff))
    assert "乙一村" in other and "甲一村" not in other


def test_a_renamed_or_moved_region_is_shown_and_filtered_as_it_is_now(world):
    from tongzhan.core.actors import SYSTEM
    from tongzhan.people.forms import PersonSearchForm
    from tongzhan.regions.models import Region
    from tongzhan.regions.services import move_region, rename_region

    region_labels(PersonSearchForm({}, user=world.district_staff))
    rename_region(actor=SYSTEM, region=world.village_a2, name="甲二社区")
    assert "甲二社区" in region_labels(PersonSearchForm({}, user=world.district_staff))
    # A change the signals do not see (another process): the options may lag, the filter does not.
    Region.objects.filter(pk=world.village_a1.pk).update(name="旧名未刷新")
    assert "旧名未刷新" not in region_labels(PersonSearchForm({}, user=world.district_staff))
    move_region(actor=SYSTEM, region=world.village_a1, new_parent=world.township_b)
    form = PersonSearchForm({"region": world.village_a1.pk}, user=world.township_b_staff)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["region"].path.startswith(world.township_b.path)
    refused = PersonSearchForm({"region": world.village_a1.pk}, user=world.township_staff)
    assert not refused.is_valid() and "region" in refused.errors


def plain_html(form, name) -> str:
    """The field as Django's own Select writes it, with nothing cached."""
    from django.forms import Select

    bound = form[name]
    widget = Select(attrs=bound.field.widget.attrs)
    widget.choices = list(bound.field.choices)
    return str(bound.as_widget(widget=widget))


@pytest.mark.parametrize("data", [{}, {"ethnicity": "01"}, {"category": "notable", "religion": "no-such"}],
                         ids=["empty", "one chosen", "a valid and an invalid choice"])
def test_a_cached_select_writes_what_djangos_select_writes(world, data):
    from tongzhan.people.forms import PersonSearchForm

    data = {**data, "region": world.village_a1.pk} if data else data
    for round_ in range(2):  # written, then drawn from the memo
        form = PersonSearchForm(data, user=world.township_staff)
        form.is_valid()
        for name in ("category", "region", "ethnicity", "political", "religion"):
            assert str(form[name]) == plain_html(form, name), (round_, name)
    if data:  # the chosen village is marked in the memo's copy too, and only it
        region = str(PersonSearchForm(data, user=world.township_staff)["region"])
        assert region.count(" selected>") == 1 and "selected>\u3000\u3000甲一村<" in region


def test_a_cached_select_follows_its_rows_and_its_scope(world):
    from tongzhan.core.actors import SYSTEM
    from tongzhan.people.forms import PersonSearchForm
    from tongzhan.regions.services import rename_region

    before = str(PersonSearchForm({}, user=world.township_staff)["religion"])
    Religion.objects.create(code="96", name="新增一教")
    assert "新增一教" not in before
    assert "新增一教" in str(PersonSearchForm({}, user=world.township_staff)["religion"])
    assert "乙一村" not in str(PersonSearchForm({}, user=world.township_staff)["region"])
    assert "乙一村" in str(PersonSearchForm({}, user=world.township_b_staff)["region"])
    rename_region(actor=SYSTEM, region=world.village_a1, name="甲一社区")
    assert "甲一社区" in str(PersonSearchForm({}, user=world.township_staff)["region"])
