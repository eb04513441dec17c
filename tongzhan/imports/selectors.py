"""Reads of import batches, through the one scope function: a batch is seen inside its office only (C2)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404

from tongzhan.core.scoping import READ, restrict

from .models import ImportBatch, ImportRow

PAGE_SIZE = 50


def batches_visible_to(user, action: str = READ):
    return restrict(ImportBatch.objects.all(), user, action).select_related("region", "target_region")


def get_batch_for_user(user, pk, action: str = READ) -> ImportBatch:
    """The batch, or the same 404 whether it is missing or outside the user's scope."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    batch = batches_visible_to(user, action).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def report_page(batch: ImportBatch, *, status: str = "", only_problems: bool = False, page: int = 1):
    rows = ImportRow.objects.filter(batch=batch)
    if status in ImportRow.Status.values:
        rows = rows.filter(status=status)
    if only_problems:
        rows = rows.exclude(problems=[], warnings=[], conflicts=[])
    return Paginator(rows.order_by("id"), PAGE_SIZE).get_page(page)


def open_conflicts(batch: ImportBatch) -> list[dict]:
    """Every conflict of the dry run, with the row it came from (for the keep / take decisions)."""
    out = []
    for row in ImportRow.objects.filter(batch=batch).exclude(conflicts=[]).order_by("id")[:1000]:
        for conflict in row.conflicts:
            out.append({**conflict, "row": row.row, "sheet": row.sheet, "label": row.label,
                        "decision": batch.decisions.get(conflict["key"], "keep")})
    return out
