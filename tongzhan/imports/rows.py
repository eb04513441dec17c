"""One data row → its parsed values, or every problem with it, by row, column and value (F2, F3, F5).

Cells are parsed by the reader engineer's `normalize.parse_cell` (one rule per column kind); this module
adds what needs the whole row: required columns, the category of the row, the region fallback for a
file given one village, the importing user's scope (a liaison's row for another village is rejected,
F5), and the warnings derived from the row (a birth date that contradicts the ID).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tongzhan.core import identity
from tongzhan.people.columns import (
    PERSON_COLUMNS,
    Column,
    detail_columns,
    normalize_header,
    person_fields_filled_by,
)

from .layout import SheetLayout, column_by_key

HIDDEN = "（已隐去）"


NOTHING: tuple = ()  # a row's problems, warnings and conflicts until it has one (100,000 rows, few lists)


@dataclass(slots=True)
class RowReport:
    """What the report says about one data row. `row` is the row number the sheet shows.

    `problems`, `warnings` and `conflicts` are sequences of dicts, empty tuples until the first one is
    added through `problem`, `warn` or `conflict`."""

    sheet: str
    row: int
    status: str = ""
    label: str = ""
    problems: list[dict] | tuple = NOTHING
    warnings: list[dict] | tuple = NOTHING
    conflicts: list[dict] | tuple = NOTHING

    def problem(self, column: str, value: str, message) -> None:
        self.problems = [*self.problems, {"column": str(column), "value": value, "message": str(message)}]

    def warn(self, column: str, value: str, message) -> None:
        self.warnings = [*self.warnings, {"column": str(column), "value": value, "message": str(message)}]

    def conflict(self, item: dict) -> None:
        self.conflicts = [*self.conflicts, item]

    def as_json(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "status": self.status, "problems": self.problems,
                "warnings": self.warnings, "conflicts": self.conflicts}


@dataclass(slots=True)
class Entry:
    """An accepted row's values: person fields and, per category, the category's attributes."""

    report: RowReport
    sheet_index: int
    person: dict[str, object]
    categories: dict[str, dict[str, object]]
    headers: dict[str, str]  # person field or "<category>.<field>" → the header as written

    @property
    def name(self) -> str:
        return str(self.person.get("name", ""))


def shown(column: Column | None, text: str) -> str:
    """A cell's text as the report may show it: ID numbers and phones masked, other sensitive values hidden."""
    text = (text or "").strip()
    if column is None or not text:
        return text[:100]
    if column.kind == "id_number":
        return identity.mask_id_number(text) if len(text) >= 10 else "*" * len(text)
    if column.kind == "phone":
        digits = "".join(ch for ch in text if ch.isdigit())
        return digits[:3] + "*" * max(len(digits) - 7, 0) + digits[-4:] if len(digits) >= 8 else "*" * len(text)
    if column.sensitive:
        return HIDDEN
    return text[:100]


_SEPARATORS = re.compile(r"[；;]")
_BY_TEXT = {"region", "code", "category", "sex", "choice", "bool", "id_kind", "date", "year"}
_MISSING = object()
# (column key, person field), the field names made once: a dict per row keyed by fresh strings from
# Column.field would hold 100,000 copies of each.
_PERSON_FIELDS = [(c.key, c.field) for c in PERSON_COLUMNS]
_MASKED = re.compile(r"[0-9A-Za-z]{0,8}\*{2,}[0-9A-Za-z]{0,8}")


def is_masked(text: str) -> bool:
    """A value an export masked: `330206********0012`, `138****8000`, `****`."""
    return bool(_MASKED.fullmatch((text or "").strip()))


def _text_cell(text: str):
    from tongzhan.core.sheet_reader import Cell

    return Cell(text=text.strip(), kind="text")


def empty_cell():
    from tongzhan.core.sheet_reader import Cell

    return Cell(text="", kind="empty")


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _code(value) -> str | None:
    if _is_empty(value):
        return None
    return str(getattr(value, "code", getattr(value, "pk", value)))


class RowParser:
    """Parses the rows of one sheet under one mapping, for one user."""

    def __init__(self, *, layout: SheetLayout, keys: list[str], context, scope_root, actor, target_region=None):
        from tongzhan.imports import normalize

        self.normalize = normalize
        self.layout = layout
        self.columns: list[tuple[int, Column]] = []
        for index, key in enumerate(keys):
            column = column_by_key(layout.category, key) if key else None
            if column is not None:
                self.columns.append((index, column))
        # 证件类型 first: how the 证件号码 cell is read depends on it, wherever the sheet puts it.
        self.columns.sort(key=lambda item: item[1].key != "person.id_kind")
        self.context = context
        self.scope_root = scope_root
        self.actor = actor
        self.target_region = target_region
        self.mapped = {c.key for _, c in self.columns}
        self.header_of = {c.key: layout.headers[i] for i, c in self.columns}
        self.is_liaison = getattr(actor, "role", "") == "village_liaison"
        self.masked: set[str] = set()  # headers of columns that held masked values
        self.entry_headers = {c.field: self.header_of[c.key] for c in PERSON_COLUMNS if c.key in self.header_of}
        self.displaced = [(c, person_fields_filled_by(c)) for _i, c in self.columns if person_fields_filled_by(c)]
        self.person_by_header = {normalize_header(c.header): c.field for c in PERSON_COLUMNS}
        self.detail_fallback = {}  # category → [(detail column, person field it may take its value from)]
        # Column key → {cell text: parsed value} for the kinds whose value depends on the text alone (and
        # the file's context): a village, a code, a date written 100,000 times is parsed once. Only values
        # are remembered; a refused value is parsed (and reported) again on every row.
        self.parsed = {column.key: {} for _i, column in self.columns
                       if column.kind.split(":", 1)[0] in _BY_TEXT and column.key != "category"}

    def header(self, key: str, fallback: Column | None = None) -> str:
        if key in self.header_of:
            return self.header_of[key]
        return str(fallback.header) if fallback is not None else key

    def parse(self, number: int, cells) -> Entry | RowReport:
        report = RowReport(sheet=self.layout.name, row=number)
        values: dict[str, object] = {}
        for index, column in self.columns:
            cell = cells[index] if index < len(cells) else empty_cell()
            if column.sensitive and is_masked(cell.text):
                # A masked export (330206********0012, ****) re-imported: the value is not in the file.
                self.masked.add(self.header_of[column.key])
                continue
            try:
                if column.key == "category" and _SEPARATORS.search(cell.text or ""):
                    value = [self.normalize.parse_cell(column, _text_cell(part), self.context, row=values)
                             for part in _SEPARATORS.split(cell.text) if part.strip()]
                else:
                    cache = self.parsed.get(column.key) if cell.kind == "text" else None
                    value = _MISSING if cache is None else cache.get(cell.text, _MISSING)
                    if value is _MISSING:
                        value = self.normalize.parse_cell(column, cell, self.context, row=values)
                        if cache is not None:
                            cache[cell.text] = value
            except self.normalize.ValueProblem as exc:
                if exc.code == "required" and column.key == "person.region" and self.target_region is not None:
                    continue  # the whole file was given one village
                report.problem(self.header_of[column.key], shown(column, cell.text), str(exc))
                continue
            if not _is_empty(value):
                values[column.key] = value
        report.label = str(values.get("person.name", ""))[:64]
        person = {name: values[key] for key, name in _PERSON_FIELDS if key in values}
        self._fill_displaced(values, person)
        if "region" not in person and self.target_region is not None:
            person["region"] = self.target_region
        self._require_person(report, person)
        categories = self._category(report, values, person)
        self._check_scope(report, person)
        if not report.problems:
            for key, message in self.normalize.derived_warnings(values):
                column = column_by_key(self.layout.category, key)
                report.warn(self.header(key, column), "", message)
        if report.problems:
            report.status = "rejected"
            return report
        headers = self.entry_headers  # one dict for the sheet's rows: 100,000 rows, not 100,000 dicts
        for category, attributes in categories.items():
            for name in attributes:
                if f"{category}.{name}" not in headers:
                    headers[f"{category}.{name}"] = self.header(f"detail.{name}")
        return Entry(report=report, sheet_index=self.layout.index, person=person, categories=categories,
                     headers=headers)

    def _fill_displaced(self, values: dict, person: dict) -> None:
        """A category attribute that displaced a person column (工作单位) fills that person field too."""
        for column, names in self.displaced:
            for name in names:
                if column.key in values and name not in person:
                    person[name] = values[column.key]

    def _require_person(self, report: RowReport, person: dict) -> None:
        for column in PERSON_COLUMNS:
            if not column.required or column.field in person:
                continue
            if column.field == "region" and column.key not in self.mapped:
                report.problem(column.header, "", _("缺少“所在村（社区）”列：请在表中填写，或导入时为整个文件指定一个村（社区）"))
            elif column.key in self.mapped and not any(p["column"] == self.header_of[column.key]
                                                        for p in report.problems):
                report.problem(self.header_of[column.key], "", _("%(col)s为必填项，此行未填写") % {"col": column.header})
            elif column.key not in self.mapped and column.field != "region":
                report.problem(column.header, "", _("缺少必填列“%(col)s”") % {"col": column.header})

    def _category(self, report: RowReport, values: dict, person: dict) -> dict[str, dict]:
        """{category code: its attributes} of the row. Required attributes are checked where a category is
        joined (plan.check_joins): a row for someone already in the category need not repeat them."""
        if self.layout.category:
            codes = [self.layout.category]
        else:
            found = values.get("category")
            codes = [c for c in (_code(v) for v in (found if isinstance(found, list) else [found])) if c]
        if not codes:
            if "category" in self.mapped:
                if not any(p["column"] == self.header_of["category"] for p in report.problems):
                    report.problem(self.header_of["category"], "", _("类别为必填项，此行未填写"))
            else:
                report.problem(_("类别"), "", _("无法确定此行的类别：请按类别分表（工作表名为类别名称）、增加“类别”列，或导入时指定类别"))
            return {}
        categories = {}
        for category in dict.fromkeys(codes):
            if category not in self.detail_fallback:
                self.detail_fallback[category] = [
                    (column, column.field, self.person_by_header.get(normalize_header(column.header), ""))
                    for column in detail_columns(category)]
            attributes = {}
            for column, name, fallback in self.detail_fallback[category]:
                value = values.get(column.key)
                if value is None and column.key not in self.mapped:
                    # A 类别-column sheet writes 工作单位 once: it fills the category's 工作单位 too.
                    value = person.get(fallback)
                if not _is_empty(value):
                    attributes[name] = value
            categories[category] = attributes
        return categories

    def _check_scope(self, report: RowReport, person: dict) -> None:
        region = person.get("region")
        if region is None or self.scope_root is None:
            return
        if not region.path.startswith(self.scope_root.path):
            column = self.header("person.region", PERSON_COLUMNS[6])
            if self.is_liaison:
                message = _("“%(village)s”不是您负责的村（社区）：村联络员只能导入本村（社区）的人员") % {
                    "village": region.name}
            else:
                message = _("“%(village)s”不在您的管辖范围内") % {"village": region.name}
            report.problem(column, region.name, message)
        elif region.level not in ("village", "group"):
            report.problem(self.header("person.region", PERSON_COLUMNS[6]), region.name,
                           _("请填写到村（社区）一级，“%(name)s”是乡镇或区") % {"name": region.name})
