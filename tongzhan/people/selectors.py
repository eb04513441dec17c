"""Every read of the registry, through the one scope function (house rule 3)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from html import escape

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tongzhan.core import codecache, crypto, identity
from tongzhan.core.scoping import READ, region_of, restrict

from . import search
from .models import (
    Category,
    CategoryMembership,
    Ethnicity,
    HistoryEntry,
    Person,
    Religion,
    SavedSearch,
)


def people_visible_to(user, action: str = READ):
    return restrict(Person.objects.all(), user, action)


def get_person_for_user(user, pk, action: str = READ) -> Person:
    """The person, or 404 — the same 404 whether the id is missing or outside the user's scope."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    person = (people_visible_to(user, action)
              .select_related("region__parent", "political_affiliation", "education", "id_country",
                              "last_verified_by")
              .filter(pk=pk).first())
    if person is None:
        raise Http404
    return person


def person_detail_parts(person: Person) -> dict:
    memberships = (CategoryMembership.objects.filter(person=person)
                   .select_related("category", *[m for m in _detail_relations()])
                   .order_by("status", "category__sort_order", "-since"))
    sections = [
        ("relative", _("亲属（含海外亲属）"), person.relatives.select_related("country"),
         lambda r: [r.relation, r.name, r.country or "", r.city, r.occupation, r.note]),
        ("post", _("任职情况"), person.posts.all(),
         lambda r: [r.organisation, r.title, _period(r.start, r.end)]),
        ("education", _("教育经历"), person.education_records.select_related("level"),
         lambda r: [r.school, r.major, r.level or "", _period(r.start, r.end)]),
        ("honour", _("荣誉"), person.honours.all(), lambda r: [r.title, r.awarded_by, r.year or ""]),
    ]
    return {
        "memberships": list(memberships),
        "sub_sections": [{"kind": kind, "title": title, "rows": [{"pk": r.pk, "values": row(r)} for r in qs]}
                         for kind, title, qs, row in sections],
        "history": list(HistoryEntry.objects.filter(person=person).order_by("-at", "-id")[:200]),
    }


def _period(start, end) -> str:
    return f"{start or ''} — {end or _('至今')}" if start or end else ""


def _detail_relations():
    from .models import DETAIL_MODELS

    return [model._meta.model_name for model in DETAIL_MODELS.values()]


def get_membership_for_user(user, pk, action: str = READ) -> CategoryMembership:
    try:
        return (restrict(CategoryMembership.objects.all(), user, action)
                .select_related("person__region", "category").get(pk=int(pk)))
    except (CategoryMembership.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def get_sub_record_for_user(user, model, pk, action: str = READ):
    try:
        return restrict(model.objects.all(), user, action).select_related("person__region").get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def sensitive_values(person: Person) -> dict:
    """Decrypted display values for the detail page. A tampered value raises IntegrityAlarm."""
    ethnicity = person.decrypt("ethnicity")
    religion = person.decrypt("religion")
    return {
        "address": person.decrypt("address"),
        "ethnicity": Ethnicity.objects.filter(code=ethnicity).first() if ethnicity else None,
        "religion": Religion.objects.filter(code=religion).first() if religion else None,
    }


@dataclass
class Criteria:
    """A validated search: the text and the filters, as the search form produced them."""

    q: str = ""
    category: Category | None = None
    region: object = None
    ethnicity: Ethnicity | None = None
    political: object = None
    religion: Religion | None = None
    age_min: int | None = None
    age_max: int | None = None
    sex: str = ""
    verified: str = ""
    page: int = 1
    per_page: int = 50


@dataclass(slots=True)
class ResultRow:
    """One line of a result list, formatted once here so the template only prints (fifty per page)."""

    pk: int
    url: str
    name: str
    name_sort: str
    sex: str
    birth_date: str
    id_number_masked: str
    phone_masked: str
    village: str
    last_verified_on: str
    categories: list = field(default_factory=list)

    def tr(self) -> SafeString:
        """The row's `<tr>`, escaped, written once here: fifty rows of nine values are the page's largest
        cost in the template engine, and the list is rendered on every keystroke. Every value is a plain
        str, escaped by the standard library's html.escape, which is what Django's escape() calls; going
        to it directly skips format_html's lazy-string wrappers, a tenth of the search page's time."""
        badges = "".join(f'<span class="badge badge-cat">{escape(str(c))}</span>' for c in self.categories)
        return mark_safe(  # noqa: S308 — every value below is escaped
            f'<tr>\n        <td><a href="{escape(self.url)}">{escape(self.name)}</a></td>\n'
            f'        <td>{escape(self.sex)}</td>\n        <td>{escape(self.birth_date)}</td>\n'
            f'        <td class="masked">{escape(self.id_number_masked)}</td>\n'
            f'        <td class="masked">{escape(self.phone_masked)}</td>\n        <td>{escape(self.village)}</td>\n'
            f'        <td>{badges}</td>\n        <td>{escape(self.last_verified_on)}</td>\n      </tr>')


@dataclass
class SearchPage:
    people: list = field(default_factory=list)
    count: int = 0
    capped: bool = False
    page: int = 1
    per_page: int = 50
    kind: str = "filter"

    @property
    def rows_html(self) -> SafeString:
        """The page's `<tr>`s as one string: the template prints one value, not fifty (ResultRow.tr)."""
        return mark_safe("\n      ".join(row.tr() for row in self.people))  # noqa: S308 — tr() escapes

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.count

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def classify(q: str) -> tuple[str, str]:
    """What the user typed: ("id", number) / ("phone", number) / ("name", text) / ("", "")."""
    q = q.strip()
    if not q:
        return "", ""
    compact = crypto.normalize_for_index(q).replace("-", "")
    # No province code starts with 0, so "0086…" (15 digits, like an old ID) is a phone number.
    if (compact[:-1].isdigit() and len(compact) in (15, 18) and (compact[-1].isdigit() or compact[-1] == "X")
            and not compact.startswith("00")):
        try:
            return "id", identity.parse_id_number(compact).number
        except identity.IdentityError:
            return "id", ""
    if compact.lstrip("+").isdigit() and 7 <= len(compact.lstrip("+")) <= 15:
        try:
            return "phone", identity.normalize_phone(q)
        except identity.PhoneError:
            return "phone", ""
    return "name", q


def _age_bounds(criteria: Criteria, today: datetime.date):
    """Birth-date bounds and the birth years they span (for the index) from an age range."""
    after = before = None
    if criteria.age_max is not None:
        after = _years_before(today, criteria.age_max + 1) + datetime.timedelta(days=1)
    if criteria.age_min is not None:
        before = _years_before(today, criteria.age_min)
    return after, before


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def search_people(user, criteria: Criteria) -> SearchPage:
    """The one search: in scope, filtered, in pinyin order, one page. Empty for an out-of-scope user."""
    root = region_of(user)
    page = SearchPage(page=criteria.page, per_page=criteria.per_page)
    if root is None or getattr(root, "pk", None) is None or not user.may("people.person", READ):
        return page
    kind, value = classify(criteria.q)
    page.kind = kind or "filter"
    today = timezone.localdate()
    birth_after, birth_before = _age_bounds(criteria, today)

    if kind in ("id", "phone"):
        if not value:
            return page
        qs = people_visible_to(user)
        qs = qs.filter(id_number_bidx=crypto.blind_index(value, purpose="id")) if kind == "id" else \
            qs.filter(phone_bidx=crypto.blind_index(value, purpose="phone"))
        qs = _orm_filters(qs, criteria, birth_after, birth_before, today)
        page.people = listing_rows(qs.order_by("name_sort", "id"), limit=criteria.per_page)
        page.count = len(page.people)
        return page

    query = search.TokenQuery()
    in_scope_filter = criteria.region is not None and criteria.region.path.startswith(root.path)
    if not in_scope_filter:  # a region filter inside the scope already implies it (its token is rarer)
        query.within(root)
    if kind == "name":
        from tongzhan.core import names

        tokens = names.query_tokens(value)
        if not tokens:
            return page
        for token in tokens:
            query.require(token)
    if criteria.region is not None:
        if in_scope_filter:
            query.within(criteria.region)
        else:
            query.require(search.filter_token("r", criteria.region.pk))
        # The form may have read the region from a per-process cache (forms.CachedRegionChoiceField):
        # the statement itself checks that it is still where the scope test above saw it.
        query.region_check = (criteria.region.pk, criteria.region.path)
    if criteria.category is not None:
        query.require(search.filter_token("c", criteria.category.sort_order))
    if criteria.sex:
        query.require(search.filter_token("s", criteria.sex.lower()))
    if criteria.political is not None:
        query.require(search.filter_token("p", criteria.political.code))
    if criteria.ethnicity is not None:
        query.require(search.blind_token("e", criteria.ethnicity.code))
    if criteria.religion is not None:
        query.require(search.blind_token("g", criteria.religion.code))
    if birth_after or birth_before:
        first = (birth_after or datetime.date(1880, 1, 1)).year
        last = (birth_before or today).year
        query.require(*[search.filter_token("y", year) for year in range(first, last + 1)])
    extra = search.Extra(birth_after=birth_after, birth_before=birth_before)
    if criteria.verified == "never":
        extra.never_verified = True
    elif criteria.verified == "stale":
        extra.verified_before = today - datetime.timedelta(days=365)

    offset = (criteria.page - 1) * criteria.per_page
    cap = max(search.COUNT_CAP, offset + criteria.per_page)
    # The token index narrowed the candidates; the scope function still decides what is returned.
    listing = _listing_statement(user) if connection.vendor == "postgresql" else None
    if listing is not None:  # one round trip for both (search.page_with_rows)
        ids, count, values = search.page_with_rows(query, extra, offset=offset, limit=criteria.per_page, cap=cap,
                                                   listing=listing)
        found = {row.pk: row for row in _result_rows(values)}
    else:
        ids, count = search.page_of_matches(query, extra, offset=offset, limit=criteria.per_page, cap=cap)
        found = {row.pk: row for row in rows_for_ids(user, ids)}
    page.capped = count > cap
    page.count = min(count, cap)
    # The index orders by the first eight pinyin letters; within a page, finish the order on the full
    # pinyin so 张三 comes before 张三丰 however they were entered.
    rank = {pk: position for position, pk in enumerate(ids)}
    ordered = sorted((found[pk] for pk in ids if pk in found),
                     key=lambda p: (search.sort_code(p.name_sort.split(" ")[:-1]), p.name_sort.split(" ")[:-1],
                                    rank[p.pk]))
    page.people = ordered
    return page


def _orm_filters(qs, criteria: Criteria, birth_after, birth_before, today):
    if criteria.region is not None:
        # A path names every ancestor's id: a region's path read before it moved (a cached copy,
        # forms.CachedRegionChoiceField) is no one's prefix any more, so it matches nobody here.
        qs = qs.filter(region__path__startswith=criteria.region.path)
    if criteria.category is not None:
        qs = qs.filter(memberships__category=criteria.category, memberships__status="active")
    if criteria.sex:
        qs = qs.filter(sex=criteria.sex)
    if criteria.political is not None:
        qs = qs.filter(political_affiliation=criteria.political)
    if criteria.ethnicity is not None:
        qs = qs.filter(ethnicity_bidx=crypto.blind_index(criteria.ethnicity.code, purpose="ethnicity"))
    if criteria.religion is not None:
        qs = qs.filter(religion_bidx=crypto.blind_index(criteria.religion.code, purpose="religion"))
    if birth_after:
        qs = qs.filter(birth_date__gte=birth_after)
    if birth_before:
        qs = qs.filter(birth_date__lte=birth_before)
    if criteria.verified == "never":
        qs = qs.filter(last_verified_on__isnull=True)
    elif criteria.verified == "stale":
        qs = qs.filter(Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=today - datetime.timedelta(days=365)))
    return qs.distinct()


# The columns a result row shows (templates/people/person_list.html), and what ordering needs.
LISTING_VALUES = ("id", "name", "name_sort", "sex", "birth_date", "id_number_masked", "phone_masked",
                  "last_verified_on", "region__name", "region__parent__name")


def listing_rows(qs, *, limit: int | None = None) -> list[ResultRow]:
    """Result rows for people in `qs` (already scoped and ordered): one query, no model instances.

    A result page is rendered on every keystroke; reading plain values and formatting each row once
    here keeps it cheap (docs/architecture.md, Search).
    """
    values = qs.annotate(active_categories=_active_categories_sql()).values(*LISTING_VALUES, "active_categories")
    if limit is not None:
        values = values[:limit]
    return _result_rows(list(values))


def rows_for_ids(user, ids: list[int]) -> list[ResultRow]:
    """Result rows for the people with these ids whom the scope function lets `user` read (any order).

    This is listing_rows for the search page, whose ids come from the token index: the same scoped
    queryset (people_visible_to) and the same columns, but with the id list bound as one parameter
    (SQLite's json_each, PostgreSQL's unnest) so that the compiled SQL is the same for every page of a
    scope and is compiled once. Compiling it through the ORM on every request was 3 of the search
    page's 15 ms. The cache is keyed by the queryset's conditions as Django writes them out (the scope's
    region path and anything else the scope function adds), so a different scope never shares a
    statement.
    """
    if not ids:
        return []
    statement = _listing_statement(user)
    if statement is None:
        return []
    sql, params, position = statement
    bound = list(params)
    bound[position] = _bind_ids(ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        columns = [column[0] for column in cursor.description]
        values = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return _result_rows(values)


def _listing_statement(user) -> tuple[str, tuple, int] | None:
    """The scoped listing statement of rows_for_ids, compiled once per scope: its SQL, its parameters,
    and the position of the id list among them; None when the scope function returns none()."""
    scoped = people_visible_to(user)
    if scoped.query.is_empty():  # there is no statement to compile
        return None
    # Keyed by the scope function's conditions alone: what is added to them below is the same for all.
    conditions = codecache.conditions_key(scoped.query)
    key = (connection.vendor, conditions)
    statement = _statements.get(key) if conditions is not None else None
    if statement is None:
        qs = (scoped.filter(pk__in=_id_list_sql()).annotate(active_categories=_active_categories_sql())
              .values(*LISTING_VALUES, "active_categories"))
        sql, params = qs.query.sql_with_params()
        statement = (sql, tuple(params), params.index(_IDS))
        if conditions is not None:
            if len(_statements) >= 1000:
                _statements.clear()
            _statements[key] = statement
    return statement


_IDS = "\x00ids"  # where a compiled listing statement takes its id list
_statements: dict[tuple, tuple] = {}


_ACTIVE_CATEGORIES = ("(SELECT {} FROM people_categorymembership m"
                      " WHERE m.person_id = people_person.id AND m.status = 'active')")


def _active_categories_sql() -> RawSQL:
    """A person's active category codes, comma-separated, as a column of the listing statement: one
    statement per page instead of a second one for the memberships (each statement is a round trip, about
    a millisecond of the page on PostgreSQL). Codes are identifiers (`venue_leader`), never commas. The
    `status = 'active'` is written out so the partial unique index on (person, category) answers it."""
    concat = "string_agg(m.category_id, ',')" if connection.vendor == "postgresql" else "group_concat(m.category_id, ',')"
    return RawSQL(_ACTIVE_CATEGORIES.format(concat), [])  # noqa: S611 — constant SQL, no values


def _id_list() -> str:
    """A subquery over one bound id list: a JSON array on SQLite, an array on PostgreSQL."""
    return search.BOUND_IDS if connection.vendor == "postgresql" else "SELECT value FROM json_each(%s)"


def _id_list_sql() -> RawSQL:
    return RawSQL(_id_list(), [_IDS])  # noqa: S611 — constant SQL, the ids are a bound parameter


def _bind_ids(ids: list[int]):
    return [int(pk) for pk in ids] if connection.vendor == "postgresql" else json.dumps([int(pk) for pk in ids])


def _iso(value) -> str:
    """A date column as ISO text: a date from the ORM or PostgreSQL, already text from SQLite's cursor."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value) if value else ""


def _result_rows(values: list[dict]) -> list[ResultRow]:
    """Rows from LISTING_VALUES plus `active_categories`; the categories by short name in their order."""
    if not values:
        return []
    prefix = reverse("people:person-detail", args=[0]).removesuffix("0/")
    sexes = {value: str(label) for value, label in Person.Sex.choices}
    names = {c.code: c.short_name for c in codecache.rows(Category.objects.order_by("sort_order"))}
    order = {code: position for position, code in enumerate(names)}
    return [ResultRow(
        pk=v["id"], url=f"{prefix}{v['id']}/", name=v["name"], name_sort=v["name_sort"], sex=sexes.get(v["sex"], ""),
        birth_date=_iso(v["birth_date"]), id_number_masked=v["id_number_masked"], phone_masked=v["phone_masked"],
        village=f"{v['region__parent__name']} · {v['region__name']}" if v["region__parent__name"] else v["region__name"],
        last_verified_on=_iso(v["last_verified_on"]) or "—",
        categories=[names[code] for code in sorted(filter(None, (v["active_categories"] or "").split(",")),
                                                   key=order.__getitem__)],
    ) for v in values]


def stale_people(user, *, category: Category | None = None, region=None, limit: int = 500):
    """Records whose last verification is older than their category's period (or never), per village."""
    today = timezone.localdate()
    memberships = (restrict(CategoryMembership.objects.filter(status="active"), user)
                   .select_related("person__region__parent", "category"))
    if category is not None:
        memberships = memberships.filter(category=category)
    if region is not None:
        memberships = memberships.filter(person__region__path__startswith=region.path)
    stale = Q()
    for cat in Category.objects.all():
        if category is not None and cat.pk != category.pk:
            continue
        cutoff = today - datetime.timedelta(days=cat.verify_days)
        stale |= Q(category=cat) & (Q(person__last_verified_on__isnull=True) | Q(person__last_verified_on__lt=cutoff))
    rows = memberships.filter(stale).order_by("person__region__code", "person__name_sort")[:limit]
    return list(rows)


def saved_searches_for(user):
    return restrict(SavedSearch.objects.all(), user).filter(region=user.scope_region()).order_by("name") \
        if getattr(user.scope_region(), "pk", None) else SavedSearch.objects.none()


def saved_search_list_for(user) -> list[SavedSearch]:
    """The office's saved searches as the search page lists them, from the per-process cache.

    The page draws this list on every keystroke (it sits in the results fragment), and on PostgreSQL the
    statement and its compilation were about a tenth of the page (py-spy, docs/benchmarks.md). Saving
    or deleting a search in this process clears the cache at once (core/codecache.py's signals);
    another server process shows it within a minute. The rows are keyed by the scoped queryset's
    conditions, so an office only ever sees its own list. Opening one still reads it from the database
    (get_saved_search_for_user).
    """
    return codecache.rows(saved_searches_for(user), filtered=True)


def get_saved_search_for_user(user, pk) -> SavedSearch:
    try:
        return saved_searches_for(user).get(pk=int(pk))
    except (SavedSearch.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
