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


def test_a_submitted_region_is_taken_from_the_cached_scope_without_a_statement(world):
    from tongzhan.people.forms import PersonSearchForm

    region_labels(PersonSearchForm({}, user=world.township_staff))
    with CaptureQueriesContext(connection) as queries:
        form = PersonSearchForm({"region": world.village_a2.pk}, user=world.township_staff)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["region"].pk == world.village_a2.pk and len(queries) == 0
    for outside in (world.village_b1.pk, 999999, "abc"):  # not among the cached rows: refused as before
        refused = PersonSearchForm({"region": outside}, user=world.township_staff)
        assert not refused.is_valid() and "所选区划不存在或不在您的管辖范围内" in refused.errors["region"][0]


def test_a_search_page_with_a_village_filter_reads_no_region_of_its_own_once_the_scope_is_cached(world, as_user):
    client = as_user(world.township_staff)
    client.get("/people/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/people/", {"q": "曾", "category": "notable", "region": world.village_a1.pk}).context["page"]
    assert [p.name for p in page.people] == ["曾国藩"]
    region_reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "regions_region"')]
    assert region_reads == []
    search_tables = ("people_person_fts", "people_searchposting", "people_personsearchdoc")
    checked = [q["sql"] for q in queries.captured_queries
               if "regions_region" in q["sql"] and any(table in q["sql"] for table in search_tables)]
    assert len(checked) == 1  # the region is checked inside the search statement instead


def moved_in_another_process(world, region, new_parent):
    """Move `region` as another server process would: its signals never reach this process's cache."""
    from tongzhan.core.actors import SYSTEM
    from tongzhan.regions.services import move_region

    stale = dict(codecache._rows)
    move_region(actor=SYSTEM, region=region, new_parent=new_parent)
    codecache._rows.update(stale)


@pytest.mark.parametrize("query", [{}, {"q": "曾"}, {"q": "zgf"}, {"category": "notable"}, {"q": "曾", "sex": "M"},
                                   {"age_min": "18", "age_max": "90"}],
                         ids=["region only", "a character", "initials", "category", "two filters", "age range"])
def test_a_region_moved_out_of_the_scope_elsewhere_counts_nobody_until_the_cache_is_read_again(
        world, as_user, query):
    """The cached copy still says 甲一村 lies in 甲镇; the search statement checks that it still does."""
    client = as_user(world.township_staff)
    before = client.get("/people/", {**query, "region": world.village_a1.pk}).context["page"]
    assert [p.name for p in before.people] == ["曾国藩"] and before.count == 1
    moved_in_another_process(world, world.village_a1, world.township_b)
    stale = client.get("/people/", {**query, "region": world.village_a1.pk})
    assert stale.status_code == 200 and stale.context["form"].is_valid()  # the stale copy was used
    assert stale.context["page"].people == [] and stale.context["page"].count == 0
    codecache.clear()  # the minute is over: the region is no longer offered, and refused with a message
    refused = client.get("/people/", {**query, "region": world.village_a1.pk})
    assert refused.status_code == 200 and "所选区划不存在或不在您的管辖范围内" in refused.content.decode()
    there = as_user(world.township_b_staff).get("/people/", {**query, "region": world.village_a1.pk})
    assert [p.name for p in there.context["page"].people] == ["曾国藩"]


def test_a_region_moved_within_the_scope_elsewhere_finds_its_people_again_once_the_cache_is_read(
        world, as_user):
    client = as_user(world.district_staff)
    client.get("/people/", {"region": world.village_a1.pk})
    moved_in_another_process(world, world.village_a1, world.township_b)
    for query in ({"q": "曾"}, {"q": world.person_a1.decrypt("id_number")}):
        stale = client.get("/people/", {**query, "region": world.village_a1.pk}).context["page"]
        assert stale.people == [] and stale.count == 0, query
    codecache.clear()
    for query in ({"q": "曾"}, {"q": world.person_a1.decrypt("id_number")}):
        fresh = client.get("/people/", {**query, "region": world.village_a1.pk}).context["page"]
        assert [p.name for p in fresh.people] == ["曾国藩"] and fresh.count == 1, query


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
