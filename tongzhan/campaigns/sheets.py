"""The offline round trip: a village's records as a pre-filled sheet, and the filled sheet read back.

Writing goes through `core.sheet_writer` (text cells, formula neutralisation, watermark: G1, D5); reading
through `core.sheet_reader.open_workbook` (every refusal of F1 before parsing) and the shared normaliser
(`fields.parse` → `imports.normalize.parse_cell`). Sensitive values are written masked (D3); a masked
value read back means "unchanged". The first column is the row key (补报编号): the record's number, so a
returned row is matched to its record; a key that is not one of the village's records in this campaign
is refused with a reason (F5). A row without a key is a new person. A sheet with any problem writes
nothing; every problem is reported by row, column and value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongzhan.core import sheet_writer
from tongzhan.core.sheet_reader import Cell, SheetRefused, open_workbook
from tongzhan.imports.normalize import ValueProblem, parse_cell
from tongzhan.people.columns import CATEGORY_COLUMN, detail_columns, match_header, normalize_header
from tongzhan.people.services.common import audit, require

from . import fields, services
from .models import Entry, VillageReturn

KEY_HEADER = gettext_lazy("补报编号（请勿修改）")
TEXT_KINDS = {"id_number", "phone", "date"}


def _layout(village_return: VillageReturn):
    """(person columns, category column or None, required category attributes as (category, column))."""
    campaign = village_return.campaign
    categories = list(campaign.categories.all())
    extras, seen = [], set()
    for category in categories:
        for column in detail_columns(category.code):
            if f"detail:{category.code}.{column.field}" in campaign.fields:
                continue  # the campaign's own column for it serves new rows too
            if column.required and normalize_header(column.header) not in seen:
                seen.add(normalize_header(column.header))
                extras.append((category, column))
    return fields.columns_of(campaign.fields), (CATEGORY_COLUMN if len(categories) > 1 else None), extras, categories


def download(*, actor, village_return: VillageReturn) -> FileResponse:
    require(actor, "campaigns.villagereturn", "read", village_return.village)
    columns, category_column, extras, _categories = _layout(village_return)
    headers = [sheet_writer.OutColumn(str(KEY_HEADER), as_text=True, width=14)]
    headers += [sheet_writer.OutColumn(str(c.header), as_text=c.kind in TEXT_KINDS, width=16) for c in columns]
    if category_column is not None:
        headers.append(sheet_writer.OutColumn(str(category_column.header), width=16))
    headers += [sheet_writer.OutColumn(str(c.header), width=16) for _c, c in extras]
    who = actor.get_full_name() or actor.get_username()
    mark = sheet_writer.Watermark(who=who, when=timezone.localtime(), purpose=_("数据补报核对"),
                                  note=_("敏感信息已隐藏"))
    rows = services.records_of(village_return)
    with sheet_writer.temporary_file("xlsx") as temp:
        with sheet_writer.XlsxWriter(temp.path, sheet_name=village_return.village.name, columns=headers,
                                     watermark=mark, title=village_return.campaign.title) as writer:
            for person in rows:
                writer.write_row([str(person.pk), *(fields.shown(person, c) for c in columns)])
        count = writer.rows_written
        digest = sheet_writer.sm3_of_file(temp.path)
        audit(actor=actor, event="campaign.sheet_download", obj=village_return,
              detail={"rows": count, "sm3": digest, "masked": True})
        handle = temp.serve()
    response = FileResponse(handle, content_type=sheet_writer.CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = sheet_writer.attachment_header(
        f"campaign-{village_return.pk}.xlsx", _("%(village)s补报表.xlsx") % {"village": village_return.village.name})
    return response


@dataclass
class UploadResult:
    problems: list[dict] = field(default_factory=list)  # {row, column, value, message}
    checked: int = 0
    changed: int = 0
    added: int = 0


def _header_map(cells: list[Cell], columns, category_column, extras) -> dict[int, object] | None:
    found = {}
    for index, cell in enumerate(cells):
        if normalize_header(cell.text) == normalize_header(KEY_HEADER):
            found[index] = "key"
            continue
        column = match_header(cell.text, tuple(columns))
        if column is None and category_column is not None:
            column = match_header(cell.text, (category_column,))
        if column is None:
            column = next((c for _cat, c in extras if normalize_header(c.header) == normalize_header(cell.text)), None)
        if column is not None:
            found[index] = column
    return found if "key" in found.values() else None


def read(village_return: VillageReturn, data: bytes, filename: str):
    """Parse the sheet: (checks [(person, written)], new [(category, written, detail)], problems)."""
    try:
        book = open_workbook(data, filename)
    except SheetRefused as exc:
        raise ValidationError(str(exc)) from exc
    columns, category_column, extras, categories = _layout(village_return)
    records = {str(p.pk): p for p in services.records_of(village_return)}
    context = fields.context_for(village_return)
    checks, new, problems, mapping = [], [], [], None
    for number, cells in (book.sheets[0].rows() if book.sheets else ()):
        if mapping is None:
            mapping = _header_map(cells, columns, category_column, extras)
            continue
        written, key = {}, ""
        for index, target in mapping.items():
            cell = cells[index] if index < len(cells) else Cell("", "empty")
            if cell.kind == "formula":
                problems.append({"row": number, "column": str(getattr(target, "header", KEY_HEADER)),
                                 "value": cell.text, "message": _("单元格是公式，导入时不计算公式，请改为数值")})
                continue
            if target == "key":
                key = cell.text.strip()
            else:
                written[target] = cell.text.strip()
        if not any(written.values()) and not key:
            continue
        by_key = {c.key: text for c, text in written.items() if c.key.startswith(("person.", "detail:"))}
        if key:
            person = records.get(key)
            if person is None:
                problems.append({"row": number, "column": str(KEY_HEADER), "value": key,
                                 "message": _("该编号不是本村本次补报的记录，不能修改")})
                continue
            changed, found = fields.changes(person, columns, by_key, context)
            problems += [{"row": number, "column": str(fields.BY_KEY[k].header), "value": by_key.get(k, ""),
                          "message": m} for k, m in found.items()]
            checks.append((person, by_key))
            continue
        category = categories[0] if len(categories) == 1 else None
        if category_column is not None:
            text = next((t for c, t in written.items() if c is category_column), "")
            try:
                category = parse_cell(category_column, Cell(text, "text") if text else Cell("", "empty"), context)
            except ValueProblem as exc:
                problems.append({"row": number, "column": str(category_column.header), "value": text,
                                 "message": str(exc)})
                continue
            if category not in categories:
                problems.append({"row": number, "column": str(category_column.header), "value": text,
                                 "message": _("该类别不在本次补报范围内")})
                continue
        detail = {c.field: t for c, t in written.items() if c.is_detail and (category, c) in extras}
        detail |= {fields.ORIGINAL[c.key].field: t for c, t in written.items()
                   if fields.category_of(c) == category.code and t}
        by_key = {k: v for k, v in by_key.items() if k.startswith("person.")}
        _values, found = services._new_person_problems(village_return, category, by_key, detail)
        problems += [{"row": number, "column": _header_of(k, category),
                      "value": by_key.get(k) or detail.get(k.removeprefix("detail."), ""), "message": m}
                     for k, m in found.items()]
        new.append((category, by_key, detail))
    if mapping is None:
        raise ValidationError(_("没有找到“%(key)s”列：请使用本页下载的补报表填写") % {"key": KEY_HEADER})
    return checks, new, problems


def _header_of(key: str, category) -> str:
    if key in fields.BY_KEY:
        return str(fields.BY_KEY[key].header)
    return next((str(c.header) for c in detail_columns(category.code) if f"detail.{c.field}" == key), key)


@transaction.atomic
def upload(*, actor, village_return: VillageReturn, data: bytes, filename: str) -> UploadResult:
    """Read the returned sheet; if it has no problem record every row as an entry, else write nothing."""
    current = services._editable(actor, village_return)
    checks, new, problems = read(current, data, filename)
    result = UploadResult(problems=problems)
    if problems:
        return result
    for person, written in checks:
        entry, _found = services._record_entry(current, person, written, source="sheet")
        result.checked += 1
        result.changed += entry.kind == Entry.Kind.CHANGE
    for category, written, detail in new:
        services.add_person_entry(actor=actor, village_return=current, category=category, written=written,
                                  detail=detail, source="sheet")
        result.added += 1
    if checks or new:
        services._started(current)
    audit(actor=actor, event="campaign.sheet_upload", obj=current,
          detail={"checked": result.checked, "changed": result.changed, "added": result.added,
                  "file": filename[:100]})
    return result
