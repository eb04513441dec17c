"""One spreadsheet cell → the value a registry field takes, or a problem that names what is wrong.

`parse_cell(column, cell, context)` dispatches on `Column.kind` (tongzhan/people/columns.py) and
returns the Python value the people services take (`PersonInput` and the category details):

======================  ==================================================================================
kind                    value
======================  ==================================================================================
text                    str, stripped; control characters refused (F2); longer than max_length refused
id_number               str, normalised (full-width, spaces, dashes, lower-case x; 15 digits → 18) and
                        checked by tongzhan.core.identity; a number cell is refused, never guessed (F2)
id_kind                 a Person.IdKind value
phone                   str, tongzhan.core.identity.normalize_phone (dashes, spaces, +86, landlines)
date                    datetime.date; a month-only writing (1965.03, 1965年3月) gives a `MonthDate`
                        (the 1st), which compares by month in `derived_warnings`
int, year               int, inside the model field's range (years 1880 … this year)
bool                    bool (是/否/√/×/1/0/Y/N …)
sex                     "M" or "F"
region                  a village Region inside `context.township` (or `context.root`)
category                a Category
code:<table>            an Ethnicity / Religion / PoliticalAffiliation / Education / Country
choice                  the choice's stored value
======================  ==================================================================================

An empty cell gives None, or a problem when the column is required. A formula cell is a problem in
every column (F6: formulas are never evaluated). Every problem is a `ValueProblem` whose str() is the
Chinese message and whose `code` is a stable English name the pipeline may branch on.

The ID number column depends on the row's 证件类型: pass the row's already parsed values as
`row={"person.id_kind": …}` (id_kind comes before id_number in columns.PERSON_COLUMNS). Without it the
kind is inferred from the number's shape; `id_kind_of(number)` gives that kind for the row.

Code tables, villages and categories are loaded once per `Context` (a few queries per file, none per
row), so build one Context per import.
"""


from __future__ import annotations

import datetime

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tongzhan.core import identity
from tongzhan.core.sheet_reader import Cell
from tongzhan.people.columns import Column

from .base import INVISIBLE, NUMBER_ID_MESSAGE, Context, MonthDate, ValueProblem
from .tables import parse_category, parse_code, parse_region
from .values import (
    OTHER_DOCUMENTS,
    id_kind_of,
    parse_bool,
    parse_choice,
    parse_date,
    parse_date_text,
    parse_id_kind,
    parse_id_number,
    parse_int,
    parse_phone,
    parse_sex,
    parse_text,
    parse_year,
)

__all__ = ["NUMBER_ID_MESSAGE", "Context", "MonthDate", "ValueProblem", "derived_warnings", "id_kind_of", "parse_cell",
           "parse_date_text"]

_PARSERS = {
    "text": parse_text,
    "id_number": parse_id_number,
    "id_kind": parse_id_kind,
    "phone": parse_phone,
    "date": parse_date,
    "int": parse_int,
    "year": parse_year,
    "bool": parse_bool,
    "sex": parse_sex,
    "region": parse_region,
    "category": parse_category,
    "code": parse_code,
    "choice": parse_choice,
}


def parse_cell(column: Column, cell: Cell, context: Context, *, row: dict | None = None):
    """The Python value of one cell for `column` (dispatch on column.kind); None for an empty optional
    cell; ValueProblem otherwise. `row`: the row's values parsed so far, keyed by column key."""
    if cell.kind == "formula":
        raise ValueProblem("formula", _("单元格是公式“{formula}”：导入时不计算公式，请在 Excel/WPS 中复制该列，"
                                        "“选择性粘贴 → 数值”后重新导入"), formula=cell.text)
    if cell.kind == "empty" or not cell.text.translate(INVISIBLE).strip():
        if column.required:
            raise ValueProblem("required", _("“{header}”是必填项，不能为空"), header=column.header)
        return None
    kind = column.kind.split(":", 1)[0]
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ValueError(f"unknown column kind {column.kind!r}")
    return parser(column, cell, context, row or {})


def derived_warnings(values: dict[str, object]) -> list[tuple[str, str]]:
    """(column key, Chinese message) for a birth date or sex that contradicts the ID number.

    The ID wins: the people services take birth date and sex from a resident ID. A month-only birth
    date (`MonthDate`) agrees with any day of its month.
    """
    number = values.get("person.id_number")
    if not number or values.get("person.id_kind") in OTHER_DOCUMENTS:
        return []
    try:
        parsed = identity.parse_id_number(number)
    except identity.IdentityError:
        return []
    found = []
    birth = values.get("person.birth_date")
    if isinstance(birth, datetime.date):
        if isinstance(birth, MonthDate):
            same = (birth.year, birth.month) == (parsed.birth_date.year, parsed.birth_date.month)
            shown = f"{birth.year}-{birth.month:02d}"
        else:
            same = birth == parsed.birth_date
            shown = birth.isoformat()
        if not same:
            found.append(("person.birth_date", str(format_lazy(
                _("出生日期 {date} 与证件号码中的出生日期 {derived} 不一致，将以证件号码为准"),
                date=shown, derived=parsed.birth_date.isoformat()))))
    sex = values.get("person.sex")
    if sex in ("M", "F") and sex != parsed.sex:
        labels = {"M": _("男"), "F": _("女")}
        found.append(("person.sex", str(format_lazy(
            _("性别“{sex}”与证件号码（第 17 位表示{derived}）不一致，将以证件号码为准"),
            sex=labels[sex], derived=labels[parsed.sex]))))
    return found

