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
from django.forms import Select
from django.forms.models import ModelChoiceField, ModelChoiceIterator
from django.utils import translation

TTL_SECONDS = 60
ROW_ENTRIES = 1000

_lock = threading.Lock()
_rows: dict[tuple, tuple[float, list]] = {}
_watched: set[type] = set()


def rows(queryset, *, filtered: bool = False) -> list:
    """The queryset's rows, from this process's cache when they were read less than TTL_SECONDS ago.

    A filtered queryset is cached only when the caller says so (`filtered=True`), keyed by its
    conditions as written out by Django's lookups (column, lookup and value: a fraction of compiling
    the SQL): the region options of a user's scope are such a list, shown on every search page. A
    condition that does not write itself out by value is not cached.
    """
    model = queryset.model
    query = queryset.query
    if query.is_empty():
        return []
    if query.low_mark or query.high_mark is not None or (query.where and not filtered):
        return list(queryset)  # a filtered or sliced table is not a code table's list: read it as it is
    key = (model._meta.label, tuple(str(term) for term in query.order_by))
    if query.where:
        conditions = conditions_key(query)
        if conditions is None:
            return list(queryset)
        key = (*key, conditions, query.distinct)
    now = time.monotonic()
    hit = _rows.get(key)
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]
    _watch(model)
    found = list(queryset)
    with _lock:
        if len(_rows) >= ROW_ENTRIES:  # one entry per code table and per scope: this is never reached in use
            _rows.clear()
        _rows[key] = (now, found)
    return found


def conditions_key(query) -> str | None:
    """A query's WHERE conditions as Django's lookups write them out (column, lookup, value), to key a
    cache by; None when a condition writes out an object's address instead of its value, so that two
    different queries can never share a key. A fraction of the cost of compiling the SQL."""
    conditions = str(query.where)
    return None if " object at 0x" in conditions else conditions


def clear(*_args, **_kwargs) -> None:
    """Forget every cached table and the selects written from them (a table changed here; tests start clean)."""
    with _lock:
        _rows.clear()
        _html.clear()


def _watch(model) -> None:
    if model not in _watched:
        _watched.add(model)
        post_save.connect(clear, sender=model, weak=False, dispatch_uid=f"codecache-save-{model._meta.label}")
        post_delete.connect(clear, sender=model, weak=False, dispatch_uid=f"codecache-delete-{model._meta.label}")


class CachedChoiceIterator(ModelChoiceIterator):
    """ModelChoiceIterator over the cached rows of the field's queryset."""

    def _rows(self) -> list:
        return rows(self.queryset)

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self._rows():
            yield self.choice(obj)

    def __len__(self):
        return len(self._rows()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self._rows())


class CachedOptionsIterator(CachedChoiceIterator):
    """Options from the cached rows of a filtered queryset (the field's own, already scoped).

    Finding the rows writes out the queryset's conditions for the key, and a form asks its iterator two
    or three times per render; so the rows are also kept on the field (each form has its own copy of its fields)
    for as long as the field keeps the same queryset.
    """

    def _rows(self) -> list:
        memo = getattr(self.field, "_cached_options", None)
        if memo is None or memo[0] is not self.queryset:
            memo = self.field._cached_options = (self.queryset, rows(self.queryset, filtered=True))
        return memo[1]


_html: dict[tuple, tuple[list, str]] = {}
HTML_ENTRIES = 2000


class CachedSelect(Select):
    """A select over cached rows (a code table, a scope's regions) whose HTML is kept with those rows.

    The filter form is drawn on every keystroke with about 250 options; building each option's context
    and writing it was a sixth of the search page's time. The options depend only on the rows (the same
    list object until the cache reads the table again), the field's labels and values, the selected
    value, the attributes, the language and the renderer: with all of them in the key, the HTML is
    written once and reused until the rows change. Anything else (choices that are not cached rows, an
    unhashable attribute) is rendered as Select renders it.
    """

    def render(self, name, value, attrs=None, renderer=None):
        choices = self.choices
        if not isinstance(choices, CachedChoiceIterator):
            return super().render(name, value, attrs, renderer)
        field = choices.field
        source = choices._rows()
        try:
            key = (id(source), type(field), field.to_field_name, str(field.empty_label), name,
                   tuple(self.format_value(value)), tuple(sorted(self.build_attrs(self.attrs, attrs).items())),
                   translation.get_language(), type(renderer), self.template_name, self.option_template_name)
            hit = _html.get(key)
        except TypeError:
            return super().render(name, value, attrs, renderer)
        if hit is not None and hit[0] is source:
            return hit[1]
        html = super().render(name, value, attrs, renderer)
        if len(_html) >= HTML_ENTRIES:
            _html.clear()
        _html[key] = (source, html)  # the rows are held so their id cannot be reused by another list
        return html


class CachedChoiceMixin:
    """A ModelChoiceField whose options are drawn, and whose submitted value is taken, from the cached rows
    of its iterator (CachedChoiceIterator for a code table, CachedOptionsIterator for a filtered list such
    as a scope's regions). A value not among them is looked up in the database as ModelChoiceField does
    (a row added within the minute is found, an unknown one refused)."""

    iterator = CachedChoiceIterator
    widget = CachedSelect

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = self.to_field_name or "pk"
        for obj in self.iterator(self)._rows():
            if str(getattr(obj, key)) == str(value):
                return obj
        return super().to_python(value)


class CodeTableChoiceField(CachedChoiceMixin, ModelChoiceField):
    """A ModelChoiceField over a code table, drawn from and read from the per-process cache."""
