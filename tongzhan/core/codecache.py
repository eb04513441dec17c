"""Code tables (categories, ethnic groups, political affiliations, religions …) read once a minute per process.

The search page draws five code tables on every request — four selects and the category names of the
result rows — and on PostgreSQL each is a round trip of most of a millisecond. The tables are national
standards loaded by migrations and edited, if ever, by an administrator. So their rows are kept per
process for TTL_SECONDS; a save or delete in this process clears them at once (signals), and another
process sees the change within a minute. A submitted choice is taken from the same rows when it is
there and looked up in the database when it is not, so a code added elsewhere is accepted at once; a
code deleted elsewhere (code tables are not deleted in practice) could be accepted for up to a minute
and would then simply match nobody.
"""

from __future__ import annotations

import threading
import time

from django.db.models.signals import post_delete, post_save
from django.forms.models import ModelChoiceField, ModelChoiceIterator

TTL_SECONDS = 60

_lock = threading.Lock()
_rows: dict[tuple, tuple[float, list]] = {}
_watched: set[type] = set()


def rows(queryset) -> list:
    """The queryset's rows, from this process's cache when they were read less than TTL_SECONDS ago."""
    model = queryset.model
    query = queryset.query
    if query.where or query.low_mark or query.high_mark is not None:
        return list(queryset)  # a filtered or sliced table is not a code table's list: read it as it is
    key = (model._meta.label, tuple(str(term) for term in query.order_by))
    now = time.monotonic()
    hit = _rows.get(key)
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]
    _watch(model)
    found = list(queryset)
    with _lock:
        _rows[key] = (now, found)
    return found


def clear(*_args, **_kwargs) -> None:
    """Forget every cached table (a code table changed here; tests start clean)."""
    with _lock:
        _rows.clear()


def _watch(model) -> None:
    if model not in _watched:
        _watched.add(model)
        post_save.connect(clear, sender=model, weak=False, dispatch_uid=f"codecache-save-{model._meta.label}")
        post_delete.connect(clear, sender=model, weak=False, dispatch_uid=f"codecache-delete-{model._meta.label}")


class CachedChoiceIterator(ModelChoiceIterator):
    """ModelChoiceIterator over the cached rows of the field's queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in rows(self.queryset):
            yield self.choice(obj)

    def __len__(self):
        return len(rows(self.queryset)) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(rows(self.queryset))


class CodeTableChoiceField(ModelChoiceField):
    """A ModelChoiceField over a code table whose options are drawn from the per-process cache.

    A submitted value found in the cached rows is taken from them; any other value is looked up in the
    database as ModelChoiceField does (a code added within the minute is found, an unknown one refused).
    """

    iterator = CachedChoiceIterator

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = self.to_field_name or "pk"
        for obj in rows(self.queryset):
            if str(getattr(obj, key)) == str(value):
                return obj
        return super().to_python(value)
