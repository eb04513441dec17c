"""Where a sheet's header is, which category a sheet holds, and which column means what (issue #4 item 1).

Offices' sheets start with a title, maybe a "填报单位/填报日期" line, and an export of this project
starts with one watermark row: the header is the first row where at least two cells are known headers.
Blank rows are skipped and a 合计/总计/小计 row ends nothing but is not data. A sheet named after a
category (its name or short name) holds that category; otherwise a 类别 column says, per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache

from tongzhan.core import crypto
from tongzhan.people.columns import (
    PERSON_COLUMNS,
    Column,
    columns_for,
    detail_columns,
    match_header,
    normalize_header,
)
from tongzhan.people.models import CategoryCode

HEADER_SCAN_ROWS = 30  # a header further down than this is not a header
TOTAL_ROW = re.compile(r"^(合计|总计|小计|共计)")
# Columns offices add that carry no data of a person: proposed as ignored, still listed (F2).
IGNORABLE_HEADERS = {"序号", "编号", "NO", "NO.", "序"}


@dataclass
class SheetLayout:
    """One sheet as the import sees it. `headers` are the header row's texts as written."""

    index: int
    name: str
    category: str | None
    header_row: int | None
    headers: list[str] = field(default_factory=list)

    @property
    def category_label(self) -> str:
        return str(CategoryCode(self.category).label) if self.category in CategoryCode.values else ""

    @property
    def targets(self) -> tuple[Column, ...]:
        return targets_for(self.category)

    def as_json(self) -> dict:
        return {"index": self.index, "name": self.name, "category": self.category,
                "header_row": self.header_row, "headers": self.headers}

    @classmethod
    def from_json(cls, data: dict) -> SheetLayout:
        return cls(index=data["index"], name=data["name"], category=data["category"],
                   header_row=data["header_row"], headers=list(data["headers"]))


@cache
def targets_for(category: str | None) -> tuple[Column, ...]:
    """The columns a sheet's headers may map to.

    A category sheet: that category's columns. A sheet with a 类别 column may carry any category's
    attributes, so every category's detail columns are targets too. Categories share some keys
    (`detail.field` is 专业领域, 从事领域 and 知名领域): such a key is one target that answers to every
    category's header, and each row keeps the attributes of its own category.
    """
    if category:
        return columns_for(category)
    person_headers = {normalize_header(c.header) for c in PERSON_COLUMNS}
    merged: dict[str, list[Column]] = {}
    for code in CategoryCode.values:
        for column in detail_columns(code):
            if normalize_header(column.header) not in person_headers:
                merged.setdefault(column.key, []).append(column)
    extra = []
    for same in merged.values():
        first = same[0]
        words = []
        for column in same:
            for word in (str(column.header), *column.synonyms):
                if word not in words and word != str(first.header):
                    words.append(word)
        extra.append(replace(first, synonyms=tuple(words), required=False))
    return (*columns_for(None), *extra)


def column_by_key(category: str | None, key: str) -> Column | None:
    return next((c for c in targets_for(category) if c.key == key), None)


def category_for_sheet(name: str, *, loose: bool = False) -> str | None:
    """The category a sheet's name means (full name or short name, as 企业家 or 侨台留), or None.

    `loose` (a CSV, whose only name is its file name, as 统战对象导出-企业家-20261127.csv): the one
    category whose name or short name the name contains, when exactly one does."""
    from tongzhan.people.models import Category

    wanted = normalize_header(name)
    if not wanted:
        return None
    rows = list(Category.objects.values_list("code", "name", "short_name"))
    for code, full, short in rows:
        if wanted in (normalize_header(full), normalize_header(short)) or wanted == normalize_header(code):
            return code
    if loose:
        found = {code for code, full, short in rows
                 if normalize_header(full) in wanted or normalize_header(short) in wanted}
        if len(found) == 1:
            return found.pop()
    return None


def is_blank(cells) -> bool:
    return all(not (c.text or "").strip() for c in cells)


def is_total_row(cells) -> bool:
    first = next(((c.text or "").strip() for c in cells if (c.text or "").strip()), "")
    return bool(TOTAL_ROW.match(normalize_header(first)))


def find_header(sheet, category: str | None) -> tuple[int | None, list[str]]:
    """(sheet row number, header texts) of the first row with at least two known headers."""
    targets = targets_for(category)
    for seen, (number, cells) in enumerate(sheet.rows()):
        if seen >= HEADER_SCAN_ROWS:
            break
        texts = [(c.text or "").strip() for c in cells]
        if sum(1 for t in texts if match_header(t, targets) is not None) >= 2:
            while texts and not texts[-1]:
                texts.pop()
            return number, texts
    return None, []


def describe(workbook, forced_category: str | None) -> list[SheetLayout]:
    """Every sheet with its header and category; sheets with no header row are listed with none."""
    layouts = []
    for index, sheet in enumerate(workbook.sheets):
        category = forced_category or category_for_sheet(sheet.name, loose=workbook.kind == "csv")
        header_row, headers = find_header(sheet, category)
        layouts.append(SheetLayout(index=index, name=sheet.name, category=category, header_row=header_row,
                                   headers=headers))
    return layouts


def signature(layouts: list[SheetLayout]) -> str:
    """SM3 of the normalised header lists: the key an office's remembered mapping is stored under."""
    text = "\x1e".join("\x1f".join(normalize_header(h) for h in layout.headers)
                       for layout in layouts if layout.header_row is not None)
    return crypto.sm3_hex(text.encode("utf-8"))


def propose(layouts: list[SheetLayout], remembered: dict | None = None) -> dict[str, list[str]]:
    """Per sheet index, the column key each header column maps to ("" = ignored / unknown).

    A header the office mapped before (remembered: normalised header → key) takes that; otherwise the
    header or one of its synonyms decides. A column is mapped at most once per sheet: a second 电话
    column stays unmapped and is reported, never silently merged.
    """
    remembered = remembered or {}
    mapping = {}
    for layout in layouts:
        if layout.header_row is None:
            continue
        used, keys = set(), []
        for header in layout.headers:
            norm = normalize_header(header)
            if norm in remembered and (remembered[norm] == "" or column_by_key(layout.category, remembered[norm])):
                key = remembered[norm]
            else:
                column = match_header(header, layout.targets)
                key = column.key if column is not None else ""
            if key and key in used:
                key = ""
            used.add(key)
            keys.append(key)
        mapping[str(layout.index)] = keys
    return mapping


def remembered_form(layouts: list[SheetLayout], mapping: dict[str, list[str]]) -> dict[str, str]:
    """The mapping as the office remembers it: normalised header → key."""
    out = {}
    for layout in layouts:
        for header, key in zip(layout.headers, mapping.get(str(layout.index), []), strict=False):
            norm = normalize_header(header)
            if norm:
                out[norm] = key
    return out


def unknown_headers(layout: SheetLayout, keys: list[str]) -> list[str]:
    """Headers that map to nothing and are not a 序号-style column: reported, never silently dropped (F2)."""
    return [h for h, k in zip(layout.headers, keys, strict=False)
            if not k and h.strip() and normalize_header(h).upper() not in IGNORABLE_HEADERS]
