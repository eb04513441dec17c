"""The import pipeline shared by the screens and the command: read → rows → plan → (commit).

`build_plan` is the dry run: it writes nothing. `commit_plan` applies a plan through the people services
(tongzhan.people.services.bulk) inside the caller's transaction and records what it did for undo.
"""

from __future__ import annotations

import datetime
import gc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.people.models import Category

from . import plan as planning
from .layout import SheetLayout, is_blank, is_total_row, unknown_headers
from .rows import Entry, RowParser, RowReport

PROGRESS_EVERY = 250
FREEZE_EVERY = 10_000  # rows read between two gc.freeze() calls (see quiet_gc)


@contextmanager
def quiet_gc():
    """Keep the cyclic garbage collector off the plan while an import runs.

    A full collection walks every live object; with the rows and groups of a 100,000-row file alive, the
    collections that allocation triggers cost seconds each, again and again. The plan's objects are long
    lived by design, so `freeze()` (below) moves them out of the collector's sight as they accumulate;
    on leaving, they are handed back (`gc.unfreeze()`), to be collected as usual once released.
    """
    global _quiet
    _quiet += 1
    try:
        yield
    finally:
        _quiet -= 1
        if not _quiet:
            gc.unfreeze()


_quiet = 0


def freeze() -> None:
    """gc.freeze(), inside `quiet_gc` only (a dry run called on its own leaves the collector alone)."""
    if _quiet:
        gc.freeze()
CREATE_CHUNK = 500  # new people written per bulk call (progress is reported between chunks)
CREATED_BEFORE: dict = {}  # a created person's undo record has nothing to restore (one shared, never changed)


@dataclass
class Options:
    """Everything the run depends on besides the file. `scope_root` is the actor's region (None: all)."""

    actor: object
    scope_root: object = None
    category: str | None = None
    target_region: object = None
    township: object = None
    decisions: dict = field(default_factory=dict)
    today: datetime.date | None = None


def context_for(options: Options):
    from tongzhan.imports.normalize import Context
    from tongzhan.regions.models import Region

    root = options.scope_root if getattr(options.scope_root, "pk", None) else None
    if root is None:  # the command-line actor: the whole tree, from its top region
        root = Region.objects.filter(parent=None).order_by("code").first()
    return Context(township=options.township, root=root, today=options.today or timezone.localdate())


def township_of(region):
    """The township a region belongs to (itself when it is one), or None above township level."""
    node = region
    while node is not None and getattr(node, "level", None) not in ("township", None):
        if node.level == "district":
            return None
        node = node.parent
    return node if getattr(node, "level", None) == "township" else None


def build_plan(workbook, layouts: list[SheetLayout], mapping: dict[str, list[str]], options: Options,
               progress: Callable[[str, int, int], None] | None = None) -> planning.Plan:
    context = context_for(options)
    reports: list[RowReport] = []
    entries: list[Entry] = []
    unknown = []
    done = 0
    for layout in layouts:
        sheet = workbook.sheets[layout.index]
        if layout.header_row is None:
            continue
        keys = mapping.get(str(layout.index), [])
        unknown.extend({"sheet": layout.name, "column": header,
                        "message": _("未识别的列“%(col)s”，未导入；如需导入请在列对应步骤中指定") % {"col": header}}
                       for header in unknown_headers(layout, keys))
        parser = RowParser(layout=layout, keys=keys, context=context, scope_root=options.scope_root,
                           actor=options.actor, target_region=options.target_region)
        for number, cells in sheet.rows():
            if number <= layout.header_row or is_blank(cells) or is_total_row(cells):
                continue
            result = parser.parse(number, cells)
            if isinstance(result, Entry):
                entries.append(result)
                reports.append(result.report)
            else:
                reports.append(result)
            done += 1
            if done % FREEZE_EVERY == 0:
                freeze()
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress("read", done, 0)
        unknown.extend({"sheet": layout.name, "column": header,
                        "message": _("列“%(col)s”中是脱敏后的值（含 ****），未导入；按其他信息匹配人员") % {"col": header}}
                       for header in sorted(parser.masked))
    groups = planning.group_entries(entries)
    planning.find_existing(groups, options.scope_root if getattr(options.scope_root, "pk", None) else None)
    scope = options.scope_root if getattr(options.scope_root, "pk", None) else None
    for group in groups:
        if not any(e.report.problems for e in group.entries):
            planning.compare(group, scope, options.decisions)
            planning.check_joins(group)
    planning.assign_statuses(groups)
    sheets = [layout.as_json() for layout in layouts]
    result = planning.Plan(reports=reports, groups=groups, sheets=sheets, unknown_columns=unknown)
    if progress is not None:
        progress("read", done, done)
    return result


def _person_input(values: dict, *, base=None):
    from tongzhan.people.models import Person
    from tongzhan.people.services import PersonInput

    if base is None:
        data = PersonInput(name=str(values["name"]), region=values["region"], source=Person.Source.IMPORT)
    else:
        data = base
    for name, value in values.items():
        if hasattr(data, name):
            setattr(data, name, value)
    if values.get("id_number") and "id_kind" not in values and base is None:
        from tongzhan.imports.normalize import id_kind_of

        data.id_kind = id_kind_of(str(values["id_number"]))  # as parse_cell inferred it
    return data


def commit_plan(result: planning.Plan, *, actor, label: str,
                progress: Callable[[str, int, int], None] | None = None) -> list[dict]:
    """Apply every accepted group; returns the undo records [(kind, person_id, before)].

    Must run inside the caller's transaction: any exception leaves nothing written.
    """
    from tongzhan.people.services import bulk

    freeze()  # the plan lives until the end of the commit
    categories = {c.code: c for c in Category.objects.all()}
    changes = []
    groups = [g for g in result.groups if g.entries[0].report.status != "rejected" and g.has_changes]
    total, done = len(groups), 0
    creates = [g for g in groups if g.existing is None]
    for start in range(0, len(creates), CREATE_CHUNK):
        chunk = creates[start:start + CREATE_CHUNK]
        items = [(_person_input(g.values()), [(categories[code], attrs) for code, attrs in g.joins.items()])
                 for g in chunk]
        for person in bulk.import_create_people(actor=actor, items=items, label=label):
            changes.append(("created", person.pk, CREATED_BEFORE))
        done += len(chunk)
        if progress is not None:
            progress("commit", done, total)
    for group in groups:
        if group.existing is None:
            continue
        joins = [(categories[code], attrs) for code, attrs in group.joins.items()]
        data = None
        if group.person_changes:
            data = _person_input(group.person_changes, base=bulk.input_from_person(group.existing))
        details = [(group.memberships[code], attrs) for code, attrs in group.detail_changes.items()]
        undo = bulk.import_update_person(actor=actor, person=group.existing, data=data, joins=joins,
                                         detail_changes=details, label=label)
        changes.append(("updated", group.existing.pk, undo))
        done += 1
        if progress is not None and (done % 50 == 0 or done == total):
            progress("commit", done, total)
    return changes
