"""Reads for exports: every matching person in the user's scope, in pinyin order, in chunks.

The search page shows 50 people; an export takes them all. The criteria are the search page's
(`selectors.Criteria`), the scope is the one scope function with the "export" action (C1, G3), and the
reading is a fixed number of queries per thousand people, never one per person (house rule 7):

1. `export_ids` — the ordered ids: one query for filters only; for a name query the token index gives
   the candidates in scope (no LIKE), then one query per thousand candidates applies the filters and
   reads their pinyin, and the survivors are sorted on it.
2. `export_chunks` — per thousand ids: the people's values (with region and code-table names joined),
   and either their active categories' names or, for a category sheet, that category's attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from tongzhan.core import crypto, names
from tongzhan.core.scoping import EXPORT, READ, region_of, restrict

from . import search
from .columns import columns_for
from .models import DETAIL_MODELS, CategoryMembership, ExportRequest
from .selectors import Criteria, _age_bounds, _orm_filters, classify, people_visible_to

CHUNK = 1000
INDEX_LIMIT = 50_000_000

PERSON_VALUES = (
    "id", "uid", "name", "sex", "birth_date", "id_kind", "id_number_masked", "phone_masked", "id_number_enc",
    "phone_enc", "address_enc", "ethnicity_enc", "religion_enc", "region__name", "political_affiliation__name",
    "education__name", "native_place", "work_unit", "job_title", "note",
)


def _matching(user, criteria: Criteria):
    """(the scoped, filtered queryset, the token index's candidate ids or None), or None for no match."""
    root = region_of(user)
    if root is None or getattr(root, "pk", None) is None or not user.may("people.person", EXPORT):
        return None
    kind, value = classify(criteria.q)
    today = timezone.localdate()
    birth_after, birth_before = _age_bounds(criteria, today)
    base = people_visible_to(user, EXPORT)
    if kind in ("id", "phone"):
        if not value:
            return None
        base = (base.filter(id_number_bidx=crypto.blind_index(value, purpose="id")) if kind == "id"
                else base.filter(phone_bidx=crypto.blind_index(value, purpose="phone")))
    filtered = _orm_filters(base, criteria, birth_after, birth_before, today)
    if kind != "name":
        return filtered, None
    tokens = names.query_tokens(value)
    if not tokens:
        return None
    query = search.TokenQuery()
    query.require(search.filter_token("r", root.pk))
    for token in tokens:
        query.require(token)
    candidates, _count = search.page_of_matches(query, search.Extra(), offset=0, limit=INDEX_LIMIT, cap=INDEX_LIMIT)
    return filtered, candidates


def export_ids(user, criteria: Criteria) -> list[int]:
    """Ids of every person matching `criteria` that `user` may export, in pinyin order."""
    matching = _matching(user, criteria)
    if matching is None:
        return []
    filtered, candidates = matching
    if candidates is None:
        return list(filtered.order_by("name_sort", "id").values_list("id", flat=True))
    keyed = []
    for start in range(0, len(candidates), CHUNK):
        keyed.extend(filtered.filter(pk__in=candidates[start:start + CHUNK]).values_list("name_sort", "id"))
    keyed.sort()
    return [pk for _sort, pk in keyed]


def export_count(user, criteria: Criteria) -> int:
    """How many people export_ids would return, counted by the database instead of listed."""
    matching = _matching(user, criteria)
    if matching is None:
        return 0
    filtered, candidates = matching
    if candidates is None:
        return filtered.count()
    return sum(filtered.filter(pk__in=candidates[start:start + CHUNK]).count()
               for start in range(0, len(candidates), CHUNK))


@dataclass(slots=True)
class ExportRow:
    """One person as the export reads them: the person's values, category names, category attributes."""

    person: dict
    categories: list
    detail: dict | None


def detail_values(code: str) -> tuple[str, ...]:
    """The detail model's values to read: a code-table attribute by its name, the rest as stored."""
    fields = []
    for column in columns_for(code):
        if column.is_detail:
            fields.append(f"{column.field}__name" if column.kind.startswith("code:") else column.field)
    return tuple(fields)


def export_chunks(user, ids: list[int], *, category_code: str | None) -> Iterator[list[ExportRow]]:
    """The people of `ids`, a thousand at a time, in the order of `ids`; scoped again on every read.

    Without `category_code` each row carries the names of the person's active categories; with it,
    the attributes of the person's active membership in that category.
    """
    detail_model = DETAIL_MODELS[category_code] if category_code else None
    wanted = detail_values(category_code) if category_code else ()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        people = {v["id"]: v for v in people_visible_to(user, EXPORT).filter(pk__in=chunk).values(*PERSON_VALUES)}
        categories: dict[int, list] = {pk: [] for pk in people}
        details: dict[int, dict] = {}
        if detail_model is None:
            for person_id, name in (CategoryMembership.objects.filter(person_id__in=list(people), status="active")
                                    .order_by("category__sort_order").values_list("person_id", "category__name")):
                categories[person_id].append(name)
        else:
            for values in (detail_model.objects.filter(membership__person_id__in=list(people),
                                                       membership__category_id=category_code,
                                                       membership__status="active")
                           .values("membership__person_id", *wanted)):
                details[values.pop("membership__person_id")] = values
        yield [ExportRow(people[pk], categories[pk], details.get(pk)) for pk in chunk if pk in people]


def export_requests_visible_to(user):
    """Export requests over regions in the user's scope (C7's approvers and the requester's colleagues)."""
    return (restrict(ExportRequest.objects.all(), user, READ)
            .select_related("requester", "decided_by", "category", "region"))


def pending_requests_for(user, *, limit: int = 20) -> list[ExportRequest]:
    """Requests waiting for a decision this user may give: in scope, not their own."""
    if not user.may("people.exportrequest", "approve"):
        return []
    return list(export_requests_visible_to(user).filter(status=ExportRequest.Status.PENDING)
                .exclude(requester=user)[:limit])


def own_requests_of(user, *, limit: int = 10) -> list[ExportRequest]:
    return list(export_requests_visible_to(user).filter(requester=user)[:limit])


def get_export_request_for_user(user, pk) -> ExportRequest:
    """The request, or the same 404 whether it is missing or outside the user's scope (C2)."""
    try:
        return export_requests_visible_to(user).get(pk=int(pk))
    except (ExportRequest.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
