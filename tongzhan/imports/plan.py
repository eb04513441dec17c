"""The dry run: every data row → create / update / unchanged / rejected, merged by person (F3, F4).

Rows are grouped by identity: the ID number (through its blind index, never in clear), else name and
birth date, else name and village. A group is one person: its first row sets the values, later rows fill
what is still empty (a differing later value is kept out, with a warning on that row). The group is then
compared with the registry: an empty field is filled, an equal one is unchanged, a different non-empty one
is a conflict that waits for a decision (`decisions[key] == "take"`) and is otherwise kept.

Counting (docs/benchmarks.md, "Import"): a group's first row is "create" for a new person; any other row
is "update" when a value it brings changes the registry (a filled field, a new category, a conflict
decided for the file) and "unchanged" otherwise — so a merged duplicate row counts as unchanged unless
it added something. created + updated + unchanged + rejected = data rows, always.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.utils.translation import gettext as _

from tongzhan.core import crypto
from tongzhan.people.models import DETAIL_MODELS, CategoryMembership, Person
from tongzhan.people.services.persons import SENSITIVE_LABEL

from .rows import Entry, RowReport, shown

CHUNK = 500
DERIVED_FROM_ID = {"sex", "birth_date"}
BLIND = {"phone": "phone", "ethnicity": "ethnicity", "religion": "religion"}
SENSITIVE = {"id_number", "phone", "address", "ethnicity", "religion"}


def comparable(value):
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return str(value)


def display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


NO_MEMBERSHIPS = MappingProxyType({})


@dataclass(slots=True)
class Group:
    """One real person in the file: the rows that are them and what the import will do to the registry.

    `person` and `categories` hold the merged values; the row each value came from is `source(name)`
    (name: a person field or "<category>.<attribute>"): the first row unless `sources` names a later
    one. For memory (100,000 rows), the first row's dicts are taken over, not copied: after grouping, a
    first entry's `person` and attribute dicts are its group's merged values.
    """

    key: tuple
    entries: list[Entry]
    person: dict[str, object] = field(default_factory=dict)
    categories: dict[str, dict[str, object]] = field(default_factory=dict)
    sources: dict[str, Entry] | None = None
    existing: Person | None = None
    memberships: Mapping[str, CategoryMembership] = field(default_factory=lambda: NO_MEMBERSHIPS)
    person_changes: dict[str, object] = field(default_factory=dict)
    joins: dict[str, dict[str, object]] = field(default_factory=dict)
    detail_changes: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def first(self) -> Entry:
        return self.entries[0]

    def source(self, name: str) -> Entry:
        return self.sources.get(name, self.entries[0]) if self.sources else self.entries[0]

    def values(self) -> dict[str, object]:
        return dict(self.person)

    def attributes(self, code: str) -> dict[str, object]:
        """The category's merged attributes (the group's own dict: read it, do not change it)."""
        return self.categories.get(code, {})

    def _took(self, name: str, entry: Entry) -> None:
        if entry is not self.entries[0]:
            if self.sources is None:
                self.sources = {}
            self.sources[name] = entry

    @property
    def has_changes(self) -> bool:
        return self.existing is None or bool(self.person_changes or self.joins or self.detail_changes)


@dataclass
class Plan:
    reports: list[RowReport]
    groups: list[Group]
    sheets: list[dict]
    unknown_columns: list[dict] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.reports if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        counts = {s: self.count(s) for s in ("create", "update", "unchanged", "rejected")}
        warnings = sum(len(r.warnings) for r in self.reports) + len(self.unknown_columns)
        conflicts = sum(len(r.conflicts) for r in self.reports)
        return {"created": counts["create"], "updated": counts["update"], "unchanged": counts["unchanged"],
                "rejected": counts["rejected"], "warnings": warnings, "conflicts": conflicts}


def identity_key(entry: Entry) -> tuple:
    person = entry.person
    if person.get("id_number"):
        return ("id", crypto.blind_index(str(person["id_number"]), purpose="id"))
    if person.get("birth_date"):
        return ("nb", entry.name, comparable(person["birth_date"]))
    return ("nr", entry.name, comparable(person.get("region")))


def group_entries(entries: list[Entry]) -> list[Group]:
    groups: dict[tuple, Group] = {}
    for entry in entries:
        key = identity_key(entry)
        group = groups.get(key)
        if group is None:
            groups[key] = group = Group(key=key, entries=[])
        group.entries.append(entry)
        _merge(group, entry)
    return list(groups.values())


def _merge(group: Group, entry: Entry) -> None:
    if len(group.entries) == 1:  # the first row: its values are the group's (taken over, not copied)
        group.person = entry.person
        group.categories = entry.categories
        return
    if group.categories is group.entries[0].categories:
        group.categories = dict(group.categories)  # a later row may add a category: the first row's stays
    for name, value in entry.person.items():
        if name not in group.person:
            group.person[name] = value
            group._took(name, entry)
        elif comparable(group.person[name]) != comparable(value):
            source = group.source(name)
            entry.report.warn(entry.headers.get(name, name), _shown_field(name, value),
                              _("与同一人第 %(row)s 行的值不一致，以第 %(row)s 行为准") % {"row": source.report.row})
    for code, attributes in entry.categories.items():
        merged = group.categories.setdefault(code, {})
        if not attributes and not merged:
            continue
        for name, value in attributes.items():
            if name not in merged:
                merged[name] = value
                group._took(f"{code}.{name}", entry)
            elif comparable(merged[name]) != comparable(value):
                source = group.source(f"{code}.{name}")
                entry.report.warn(entry.headers.get(f"{code}.{name}", name), display(value)[:100],
                                  _("与同一人第 %(row)s 行的值不一致，以第 %(row)s 行为准") % {"row": source.report.row})


def _shown_field(name: str, value) -> str:
    from tongzhan.people.columns import PERSON_COLUMNS

    column = next((c for c in PERSON_COLUMNS if c.field == name), None)
    return shown(column, display(value))


def find_existing(groups: list[Group], scope_root) -> None:
    """Look every group up in the registry in a few queries: by blind index, else by name (in scope)."""
    by_bidx = {g.key[1]: g for g in groups if g.key[0] == "id"}
    bidxs = list(by_bidx)
    for start in range(0, len(bidxs), CHUNK):
        for person in Person.objects.filter(id_number_bidx__in=bidxs[start:start + CHUNK]).select_related("region"):
            by_bidx[person.id_number_bidx].existing = person
    nameless = [g for g in groups if g.key[0] != "id"]
    names = sorted({g.key[1] for g in nameless})
    candidates = defaultdict(list)
    for start in range(0, len(names), CHUNK):
        qs = Person.objects.filter(name__in=names[start:start + CHUNK]).select_related("region")
        if scope_root is not None:
            qs = qs.filter(region__path__startswith=scope_root.path)
        for person in qs:
            candidates[person.name].append(person)
    for group in nameless:
        kind, name, other = group.key
        if kind == "nb":
            found = [p for p in candidates[name] if comparable(p.birth_date) == other]
        else:
            found = [p for p in candidates[name] if str(p.region_id) == other and p.id_number_bidx is None
                     and p.birth_date is None]
        if len(found) == 1:
            group.existing = found[0]
        elif len(found) > 1:
            group.first.report.problem(_("姓名"), name, _("登记库中有 %(n)s 位同名且同出生日期（或同村）的人员，"
                                                          "请填写证件号码以区分") % {"n": len(found)})
    people = [g.existing for g in groups if g.existing is not None]
    memberships = defaultdict(dict)
    ids = [p.pk for p in people]
    relations = [model._meta.model_name for model in DETAIL_MODELS.values()]
    for start in range(0, len(ids), CHUNK):
        for membership in (CategoryMembership.objects.filter(person_id__in=ids[start:start + CHUNK], status="active")
                           .select_related(*relations)):
            memberships[membership.person_id][membership.category_id] = membership
    for group in groups:
        if group.existing is not None:
            group.memberships = memberships.get(group.existing.pk, {})


def compare(group: Group, scope_root, decisions: dict[str, str]) -> None:
    """Fill `person_changes`, `joins`, `detail_changes` and the rows' conflicts from the registry."""
    person = group.existing
    if person is None:
        group.joins = group.categories  # a new person joins every category of the file (the same dicts)
        return
    if scope_root is not None and not person.region.path.startswith(scope_root.path):
        for entry in group.entries:
            entry.report.problem(entry.headers.get("id_number", _("证件号码")), shown_id(group),
                                 _("该证件号码已在您管辖范围以外的单位登记，不能由您导入或修改；请联系上级统战部门"))
        return
    has_id = bool(group.person.get("id_number"))
    for name, value in group.person.items():
        entry = group.source(name)
        if name == "id_number" or (has_id and name in DERIVED_FROM_ID):
            continue
        current_empty, same = _current(person, name, value)
        if same:
            continue
        if current_empty:
            group.person_changes[name] = value
            entry.report.status = entry.report.status or "update"
            continue
        _conflict(group, entry, name, entry.headers.get(name, name), decisions,
                  current=_shown_current(person, name), incoming=_shown_incoming(name, value),
                  apply=lambda n=name, v=value: group.person_changes.__setitem__(n, v))
    for code, attributes in group.categories.items():
        membership = group.memberships.get(code)
        if membership is None:
            group.joins[code] = group.attributes(code)
            source = min((group.source(f"{code}.{name}") for name in attributes), key=lambda e: e.report.row,
                         default=None)
            _entry_for_category(group, code, source).report.status = "update"
            continue
        detail = membership.detail
        for name, value in attributes.items():
            entry = group.source(f"{code}.{name}")
            current = getattr(detail, f"{name}_id", None) if detail is not None and hasattr(detail, f"{name}_id") \
                else getattr(detail, name, None) if detail is not None else None
            if comparable(current) == comparable(value):
                continue
            if current in (None, "") or (isinstance(current, bool) and current is False and value is True):
                group.detail_changes.setdefault(code, {})[name] = value
                entry.report.status = entry.report.status or "update"
                continue
            label = entry.headers.get(f"{code}.{name}", name)
            shown_current = display(getattr(detail, name, current))
            _conflict(group, entry, f"{code}.{name}", label, decisions, current=shown_current,
                      incoming=display(value),
                      apply=lambda c=code, n=name, v=value: group.detail_changes.setdefault(c, {}).__setitem__(n, v))


def _entry_for_category(group: Group, code: str, source: Entry | None) -> Entry:
    if source is not None:
        return source
    return next((e for e in group.entries if code in e.categories), group.first)


def shown_id(group: Group) -> str:
    from tongzhan.core import identity

    number = group.person.get("id_number", "")
    return identity.mask_id_number(str(number)) if number else ""


def conflict_key(entry: Entry, name: str) -> str:
    return f"{entry.sheet_index}:{entry.report.row}:{name}"


def _conflict(group: Group, entry: Entry, name: str, label: str, decisions: dict, *, current: str,
              incoming: str, apply) -> None:
    key = conflict_key(entry, name)
    taken = decisions.get(key) == "take"
    entry.report.conflict({"key": key, "column": str(label), "current": current, "incoming": incoming,
                           "decision": "take" if taken else "keep"})
    if taken:
        apply()
        entry.report.status = "update"
    else:
        entry.report.warn(label, incoming, _("与登记库中的现有值“%(current)s”不一致，未覆盖，保留现有值")
                          % {"current": current})


def _current(person: Person, name: str, value) -> tuple[bool, bool]:
    """(the registry's value is empty, it equals the file's value)."""
    if name in BLIND:
        stored = getattr(person, f"{name}_bidx") or ""
        if not stored:
            return True, False
        wanted = crypto.blind_index(comparable(value) if name == "phone" else str(getattr(value, "code", value)),
                                    purpose=BLIND[name])
        return False, stored == wanted
    if name == "address":
        current = person.decrypt("address")
        return not current, current == comparable(value)
    field_name = f"{name}_id" if hasattr(person, f"{name}_id") else name
    current = getattr(person, field_name, None)
    if current in (None, ""):
        return True, False
    return False, comparable(current) == comparable(value)


def _shown_current(person: Person, name: str) -> str:
    if name == "phone":
        return person.phone_masked
    if name in SENSITIVE:
        return SENSITIVE_LABEL
    value = getattr(person, name, None)
    if name == "sex":
        return person.get_sex_display()
    return display(value)


def _shown_incoming(name: str, value) -> str:
    if name in SENSITIVE and name != "phone":
        return _("（表格中的新值）")
    if name == "sex":
        return {"M": _("男"), "F": _("女")}.get(str(value), str(value))
    return _shown_field(name, value)


def check_joins(group: Group) -> None:
    """A category the import joins needs its required attributes, from any row of the person; a row for
    someone already in the category need not repeat them (so a mixed export re-imports as is)."""
    from tongzhan.people.columns import detail_columns
    from tongzhan.people.models import CategoryCode

    for code in group.joins:
        merged = group.attributes(code)
        missing = [c for c in detail_columns(code) if c.required and c.kind != "bool" and c.field not in merged]
        if not missing:
            continue
        entry = next((e for e in group.entries if code in e.categories), group.first)
        for column in missing:
            entry.report.problem(entry.headers.get(f"{code}.{column.field}", str(column.header)), "",
                                 _("加入“%(cat)s”需要填写“%(col)s”，此行未填写") % {
                                     "cat": CategoryCode(code).label, "col": column.header})


def assign_statuses(groups: list[Group]) -> None:
    """Rows without problems get their final status; a rejected group rejects all its rows."""
    for group in groups:
        if any(e.report.problems for e in group.entries):
            for entry in group.entries:
                entry.report.status = "rejected"
                if not entry.report.problems:
                    entry.report.problem("", "", _("同一人的其他行有错误，此行一并拒绝"))
            group.person_changes, group.joins, group.detail_changes = {}, {}, {}
            continue
        for index, entry in enumerate(group.entries):
            if group.existing is None:
                if index == 0:
                    entry.report.status = "create"
                else:
                    contributed = any(src is entry for src in (group.sources or {}).values()) or any(
                        code not in group.entries[0].categories for code in entry.categories)
                    entry.report.status = "update" if contributed else "unchanged"
            elif entry.report.status != "update":
                entry.report.status = "unchanged"
