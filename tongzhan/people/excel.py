"""What goes in a people export and in a blank import template (issue #4 item 3).

Both take their columns from `people/columns.py`, the definition the importer reads, so an export is
re-importable as is: the same headers, one watermark row above them (the importer skips rows above the
header row), and values written the way the importer reads them — dates as YYYY-MM-DD, sex 男/女,
yes/no 是/否, code tables, categories and choices by their names, the region by its own name.
A person in several categories gets one row with the category names separated by "；" (a name may
itself contain "、").

Masking (SECURITY.md D3, D5) — decided here, documented in docs/architecture.md:
- ID number and phone: the stored masked values (`330206********0012`, `138****8000`);
- address, ethnicity and religion: `****` when a value is recorded, empty when none. A masked export
  decrypts nothing: special-category data (PIPL 28) leaves the server only through the unmask path,
  and the village is already in its own column. A tampered ciphertext cannot break a masked export.
Unmasked, every sensitive column is decrypted; a value that fails authentication (D4) is written as
"（校验失败）" and counted, never raised as a 500 halfway through a file.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from types import SimpleNamespace

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from tongzhan.core import sheet_writer
from tongzhan.core.crypto import IntegrityAlarm

from .columns import Column, columns_for
from .models import Category, Country, Education, Ethnicity, Person, PoliticalAffiliation, Religion

MASK = "****"
CATEGORY_SEPARATOR = "；"
INTEGRITY_FAILED = "（校验失败）"
TEXT_KINDS = {"id_number", "phone"}  # formatted as text in the sheet, so Excel never makes them numbers
MIXED_SHEET = "统战对象"


@dataclass(frozen=True)
class ExportSpec:
    """What the user asked for: the sheet's layout, the file format, masked or not, and why."""

    layout: str  # "mixed": person columns and 类别; "category": one category's columns
    category: Category | None
    fmt: str
    masked: bool
    purpose: str

    @property
    def category_code(self) -> str | None:
        return self.category.code if self.layout == "category" and self.category is not None else None

    @property
    def columns(self) -> tuple[Column, ...]:
        return columns_for(self.category_code)

    @property
    def sheet_name(self) -> str:
        return self.category.name if self.category_code else MIXED_SHEET


def out_columns(columns) -> list[sheet_writer.OutColumn]:
    return [sheet_writer.OutColumn(str(c.header), as_text=c.kind in TEXT_KINDS, width=_width(c)) for c in columns]


def _width(column: Column) -> float:
    if column.kind == "id_number":
        return 21
    if column.kind in ("date", "phone"):
        return 14
    return max(8, min(30, len(str(column.header)) * 2 + 2))


class RowBuilder:
    """Turns an `export_selectors.ExportRow` into the sheet's cells, column by column.

    Everything per export (code-table names, choice labels) is read once here: no query per row.
    """

    def __init__(self, columns, *, masked: bool):
        self.masked = masked
        self.integrity_failures = 0
        self.sexes = {value: str(label) for value, label in Person.Sex.choices}
        self.id_kinds = {value: str(label) for value, label in Person.IdKind.choices}
        self.ethnicities = dict(Ethnicity.objects.values_list("code", "name")) if not masked else {}
        self.religions = dict(Religion.objects.values_list("code", "name")) if not masked else {}
        self.getters = [self._getter(column) for column in columns]

    def cells(self, row) -> list:
        return [getter(row) for getter in self.getters]

    # -- one getter per column, chosen once ------------------------------------------------------------
    def _getter(self, column: Column):
        if column.key == "category":
            return lambda row: CATEGORY_SEPARATOR.join(row.categories)
        if column.is_detail:
            return self._detail_getter(column)
        name = column.field
        if name in ("id_number", "phone"):
            if self.masked:
                return lambda row: row.person[f"{name}_masked"]
            return lambda row: self._decrypt(row.person, name)
        if name in ("address", "ethnicity", "religion"):
            if self.masked:
                return lambda row: MASK if row.person[f"{name}_enc"] else ""
            if name == "address":
                return lambda row: self._decrypt(row.person, name)
            table = self.ethnicities if name == "ethnicity" else self.religions
            return lambda row: self._code_name(self._decrypt(row.person, name), table)
        if name == "sex":
            return lambda row: self.sexes.get(row.person["sex"], "")
        if name == "id_kind":
            return lambda row: self.id_kinds.get(row.person["id_kind"], "")
        if name == "birth_date":
            return lambda row: _date(row.person["birth_date"])
        if name == "region":
            return lambda row: row.person["region__name"]
        if name in ("political_affiliation", "education"):
            return lambda row: row.person[f"{name}__name"] or ""
        return lambda row: row.person[name] or ""

    def _detail_getter(self, column: Column):
        name, kind = column.field, column.kind
        if kind.startswith("code:"):
            return lambda row: (row.detail or {}).get(f"{name}__name") or ""
        if kind == "choice":
            labels = dict(column.choices)
            return lambda row: labels.get((row.detail or {}).get(name), "")
        if kind == "bool":
            yes, no = _("是"), _("否")
            return lambda row: "" if row.detail is None else (yes if row.detail.get(name) else no)
        if kind == "date":
            return lambda row: _date((row.detail or {}).get(name))
        if kind in ("int", "year"):
            return lambda row: (row.detail or {}).get(name)
        return lambda row: (row.detail or {}).get(name) or ""

    def _decrypt(self, person: dict, name: str) -> str:
        # Person.decrypt on the values read (uid and ciphertext): the same associated data, no model instance.
        try:
            return Person.decrypt(SimpleNamespace(uid=person["uid"], **{f"{name}_enc": person[f"{name}_enc"]}), name)
        except IntegrityAlarm:
            self.integrity_failures += 1
            return INTEGRITY_FAILED

    @staticmethod
    def _code_name(code: str, table: dict) -> str:
        if code == INTEGRITY_FAILED:
            return code
        return table.get(code, code) if code else ""


def _date(value) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else ""


# --- blank import templates ----------------------------------------------------------------------------

FORMAT_HELP = {
    "text": _l("文字"),
    "id_number": _l("居民身份证 18 位（15 位旧号码自动升级，末位 X 大小写均可）；其他证件照证件填写。单元格须为文本格式"),
    "id_kind": _l("从下拉列表选择；不填即居民身份证"),
    "phone": _l("手机 11 位，或带区号的固定电话（可含“-”）"),
    "date": _l("如 1965-03-12、1965.03、1965年3月、19650312"),
    "int": _l("整数"),
    "year": _l("四位年份，如 1998"),
    "bool": _l("是 / 否"),
    "sex": _l("男 / 女"),
    "region": _l("本单位的村（社区）名称，从下拉列表选择"),
    "category": _l("从下拉列表选择类别名称"),
    "choice": _l("从下拉列表选择"),
}
TEMPLATE_LINES = (
    _l("填写说明"),
    _l("1. 第一个工作表为填报表：请保留第一行表头，不要改动、合并或删除表头；每行填写一人。"),
    _l("2. 表头带 * 的列为必填列；其余各列有则填写，没有可留空。"),
    _l("3. 带下拉箭头的列请从列表中选择；证件号码、联系电话列已设为文本格式，请勿改为数值格式。"),
    _l("4. 请勿在单元格中填写公式，含公式的单元格导入时会被拒绝。"),
    _l("5. 填好后在“表格导入”页面上传本文件，系统会先逐行检查并列出问题，确认无误后再导入。"),
)


def template_choices(column: Column, *, villages: list[str]) -> tuple[str, ...]:
    kind = column.kind
    if kind == "sex":
        return tuple(str(label) for _value, label in Person.Sex.choices)
    if kind == "bool":
        return (_("是"), _("否"))
    if kind == "id_kind":
        return tuple(str(label) for _value, label in Person.IdKind.choices)
    if kind == "region":
        return tuple(villages)
    if kind == "category":
        return tuple(Category.objects.order_by("sort_order").values_list("name", flat=True))
    if kind == "choice":
        return tuple(label for _value, label in column.choices)
    model = {"code:ethnicity": Ethnicity, "code:religion": Religion, "code:political": PoliticalAffiliation,
             "code:education": Education, "code:country": Country}.get(kind)
    if model is None:
        return ()
    names = model.objects.order_by("code").values_list("name", flat=True)
    if kind == "code:political" and column.is_detail:  # a democratic party's member: the eight parties only
        names = names.filter(is_democratic_party=True)
    return tuple(names)


def format_help(column: Column) -> str:
    if column.kind.startswith("code:"):
        return _("从下拉列表选择（按国家标准代码表名称填写）")
    text = str(FORMAT_HELP.get(column.kind, FORMAT_HELP["text"]))
    if column.kind == "text" and column.max_length:
        text += _("，不超过 %(n)d 字") % {"n": column.max_length}
    return text


def write_blank_template(path, *, category: Category | None, villages: list[str]) -> None:
    """A blank sheet for one category (or the mixed sheet with a 类别 column), with its instructions."""
    columns = columns_for(category.code if category else None)
    out = []
    rows = []
    for column in columns:
        header = str(column.header) + ("*" if column.required else "")
        choices = template_choices(column, villages=villages)
        help_text = str(column.help) if column.help else ""
        out.append(sheet_writer.OutColumn(header, as_text=column.kind in TEXT_KINDS, width=_width(column) + 2,
                                          required=column.required, choices=choices, prompt=help_text))
        rows.append([str(column.header), _("必填") if column.required else _("选填"), help_text,
                     format_help(column) + (_("。可选值：") + "、".join(choices[:12]) + ("…" if len(choices) > 12 else "")
                                            if choices and column.kind not in ("region",) else "")])
    name = category.name if category else MIXED_SHEET
    sheet_writer.write_template(
        path,
        sheet=sheet_writer.TemplateSheet(name=name, columns=out),
        instructions=sheet_writer.Instructions(name=_("说明"), lines=[str(line) for line in TEMPLATE_LINES],
                                               header=[_("列名"), _("是否必填"), _("说明"), _("填写格式")], rows=rows),
        title=_("%(name)s导入模板") % {"name": name},
    )
