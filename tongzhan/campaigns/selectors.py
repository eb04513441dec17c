"""Every read of campaigns, through the one scope function (SECURITY.md C1, C2).

Staff see the campaigns of their township (or district); a village liaison sees a campaign only
through their village's `VillageReturn`, so another village's return is simply absent (404 like a
missing one). Boards count with one aggregate query, never a query per village.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from tongzhan.core import identity
from tongzhan.core.scoping import READ, restrict
from tongzhan.people.columns import detail_columns

from . import fields
from .models import Campaign, Entry, VillageReturn
from .services import records_of

LATE = [VillageReturn.Status.NOT_STARTED, VillageReturn.Status.IN_PROGRESS, VillageReturn.Status.SENT_BACK]


def get_campaign_for_user(user, pk, action: str = READ) -> Campaign:
    campaign = restrict(Campaign.objects.all(), user, action).select_related("township").filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def returns_visible_to(user, action: str = READ):
    return restrict(VillageReturn.objects.all(), user, action).select_related("campaign__township", "village")


def get_return_for_user(user, pk, action: str = READ) -> VillageReturn:
    found = returns_visible_to(user, action).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def with_counts(qs):
    """Returns annotated with counts of records checked, changed and added (one query)."""
    return qs.annotate(
        n_checked=Count("entries", filter=Q(entries__kind__in=[Entry.Kind.CONFIRM, Entry.Kind.CHANGE])),
        n_changed=Count("entries", filter=Q(entries__kind=Entry.Kind.CHANGE)),
        n_added=Count("entries", filter=Q(entries__kind=Entry.Kind.CREATE)),
    )


def is_overdue(village_return: VillageReturn, today=None) -> bool:
    today = today or timezone.localdate()
    return (village_return.campaign.status == Campaign.Status.OPEN and village_return.campaign.deadline < today
            and village_return.status in LATE)


def board(user, campaign: Campaign) -> list[VillageReturn]:
    """The campaign's villages as the user may see them, with counts and an `overdue` flag."""
    rows = list(with_counts(returns_visible_to(user).filter(campaign=campaign)).order_by("village__code"))
    today = timezone.localdate()
    for row in rows:
        row.campaign = campaign
        row.overdue = is_overdue(row, today)
    return rows


def overdue_returns(user) -> list[VillageReturn]:
    """Past the deadline of an open campaign and not returned (nor accepted), across the user's scope."""
    return list(with_counts(returns_visible_to(user).filter(
        campaign__status=Campaign.Status.OPEN, campaign__deadline__lt=timezone.localdate(), status__in=LATE,
    )).order_by("campaign__deadline", "village__code"))


@dataclass
class Difference:
    header: str
    old: str
    new: str


@dataclass
class ReviewRow:
    entry: Entry
    name: str
    differences: list[Difference]
    conflict: bool


def _masked(column, text: str) -> str:
    """A proposed sensitive value as lists show it (D3), after the same normalisation the services apply."""
    if column.field == "phone":
        try:
            return identity.mask_phone(identity.normalize_phone(text))
        except identity.PhoneError:
            return identity.mask_phone(text)
    if column.field == "id_number":
        try:
            return identity.mask_id_number(identity.parse_id_number(text).number)
        except identity.IdentityError:
            return identity.mask_id_number(text)
    if column.sensitive:
        return fields.REGISTERED
    return text


def review_rows(village_return: VillageReturn) -> list[ReviewRow]:
    """Each entry with its differences old → new (sensitive values masked) and whether it now conflicts."""
    entries = list(village_return.entries.select_related("person__political_affiliation", "person__education",
                                                         "category"))
    rows = []
    for entry in entries:
        values, person = entry.values, entry.person
        differences = []
        for key, text in values.items():
            column = fields.BY_KEY.get(key)
            if column is None:  # a category attribute of a new person
                headers = {c.field: str(c.header) for c in detail_columns(entry.category_id)}
                differences.append(Difference(headers.get(key.split(".", 1)[1], key), "", text))
                continue
            old = entry.seen.get(key, "")
            differences.append(Difference(str(column.header), old, _masked(column, text)))
        name = values.get("person.name", "") if entry.kind == Entry.Kind.CREATE else person.name
        conflict = entry.status == Entry.Status.CONFLICT or (
            entry.kind != Entry.Kind.CREATE and entry.status == Entry.Status.PENDING
            and person.version != entry.base_version)
        rows.append(ReviewRow(entry, name, differences, conflict))
    return rows


def record_cells(person, columns, entry=None, written=None, problems=None) -> list[dict]:
    """The inputs of one record's row: the shown value, or what the liaison proposed / just wrote."""
    proposed = entry.values if entry is not None and entry.kind == Entry.Kind.CHANGE else {}
    cells = []
    for column in columns:
        shown = fields.shown(person, column)
        value = written.get(column.key, "") if written is not None else proposed.get(column.key, shown)
        placeholder = ""
        if column.sensitive:
            # Never put a sensitive value in a page in full: the input starts blank, the mask is a hint.
            new = proposed.get(column.key)
            placeholder = _masked(column, new) if new else shown
            value = written.get(column.key, "") if written is not None else ""
        cells.append({"key": column.key, "header": column.header, "value": value, "placeholder": placeholder,
                      "changed": column.key in proposed, "error": (problems or {}).get(column.key)})
    return cells


def worksheet(village_return: VillageReturn) -> list[dict]:
    """The village's records for the liaison: each with its inputs and its entry, if any."""
    columns = fields.columns_of(village_return.campaign.fields)
    entries = {e.person_id: e for e in village_return.entries.filter(person__isnull=False)}
    return [{"person": p, "entry": entries.get(p.pk), "cells": record_cells(p, columns, entries.get(p.pk))}
            for p in records_of(village_return)]
