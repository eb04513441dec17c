"""Which columns a campaign may ask villages to check, and how a record shows in them.

The columns are tongzhan/people/columns.py's person columns (the one definition shared with import and
export), less the village: the field that defines scope is never the liaison's to set (SECURITY.md C3);
and each category's own attributes (`detail:<category>.<field>`, headed "知名人士·知名领域"), which an
accepted change writes through `update_category_detail`.
Values are written and read as the text a cell would hold and parsed by the shared normaliser
(`imports.normalize.parse_cell`), whether they come from the online form or a returned sheet.
Sensitive values show masked; a masked value written back, or a blank, means "unchanged" (D3).
"""

from __future__ import annotations

from dataclasses import replace

from django.utils import timezone

from tongzhan.core.sheet_reader import Cell
from tongzhan.imports.normalize import Context, ValueProblem, parse_cell
from tongzhan.people.columns import PERSON_COLUMNS, Column, detail_columns
from tongzhan.people.models import CategoryCode

EXCLUDED = {"person.region", "person.id_kind"}
PERSON_CHECKABLE: tuple[Column, ...] = tuple(c for c in PERSON_COLUMNS if c.key not in EXCLUDED)


def _detail_checkable() -> tuple[tuple[Column, ...], dict[str, Column]]:
    """Each category's own attributes as campaign columns keyed `detail:<category>.<field>` and headed
    "<category>·<header>"; `ORIGINAL` maps them back to the shared column the normaliser knows."""
    out, original = [], {}
    for code in CategoryCode.values:
        for column in detail_columns(code):
            key = f"detail:{code}.{column.field}"
            out.append(replace(column, key=key, header=f"{_short(code)}·{column.header}"))
            original[key] = column
    return tuple(out), original


def _short(code: str) -> str:
    # The categories' short names as people/migrations load them (the column header must exist at import).
    return {"overseas": "侨台留", "entrepreneur": "企业家", "professional": "专业人才", "democratic_party": "民主党派",
            "venue_leader": "场所负责人", "folk_site_leader": "信仰点负责人", "ethnic_minority": "少数民族",
            "outbound_talent": "外出人才", "notable": "知名人士", "special_talent": "特色人才"}.get(code, code)


DETAIL_CHECKABLE, ORIGINAL = _detail_checkable()
CHECKABLE: tuple[Column, ...] = (*PERSON_CHECKABLE, *DETAIL_CHECKABLE)
BY_KEY = {c.key: c for c in CHECKABLE}
NAME = BY_KEY["person.name"]
REGISTERED = "（已登记）"


def category_of(column: Column) -> str | None:
    """The category code of a campaign's category-attribute column; None for a person column."""
    return column.key[7:].split(".", 1)[0] if column.key.startswith("detail:") else None


def columns_of(keys) -> list[Column]:
    """The campaign's columns, in the shared order; the name always first."""
    wanted = set(keys) | {"person.name"}
    return [c for c in CHECKABLE if c.key in wanted]


def _detail_shown(person, column: Column) -> str:
    code = category_of(column)
    memberships = getattr(person, "active_memberships", None)
    if memberships is None:
        memberships = list(person.memberships.filter(status="active"))
    membership = next((m for m in memberships if m.category_id == code), None)
    detail = membership.detail if membership is not None else None
    if detail is None:
        return ""
    name = ORIGINAL[column.key].field
    value = getattr(detail, name)
    if value is None or value == "":
        return ""
    if detail._meta.get_field(name).choices:
        return str(getattr(detail, f"get_{name}_display")())
    if isinstance(value, bool):
        return "是" if value else "否"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "name", value))


def shown(person, column: Column) -> str:
    """The record's value as the liaison sees it (and as the pre-filled sheet holds it): masked if sensitive."""
    if category_of(column):
        return _detail_shown(person, column)
    name = column.field
    if name == "id_number":
        return person.id_number_masked
    if name == "phone":
        return person.phone_masked
    if column.sensitive:
        return REGISTERED if getattr(person, f"{name}_enc") else ""
    value = getattr(person, name)
    if value is None:
        return ""
    if name == "sex":
        return person.get_sex_display()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "name", value))


def context_for(village_return) -> Context:
    village = village_return.village
    return Context(township=village.parent, root=village, today=timezone.localdate())


def parse(column: Column, text: str, context: Context):
    """The normaliser's value of `text` for `column`, or ValueProblem."""
    return parse_cell(ORIGINAL.get(column.key, column), Cell(text, "text") if text else Cell("", "empty"), context)


def changes(person, columns, written: dict[str, str], context: Context) -> tuple[dict, dict]:
    """(changed column key → text, column key → problem) of what was written against the record.

    A blank or an unchanged shown value is no change (a liaison never sees a sensitive value in full, so
    a blank sensitive cell cannot mean "erase it").
    """
    changed, problems = {}, {}
    for column in columns:
        text = (written.get(column.key) or "").strip()
        current = shown(person, column)
        if text == current or (not text and (column.sensitive or not current)):
            continue
        try:
            parse(column, text, context)  # a blank required value is the normaliser's "required" problem
        except ValueProblem as exc:
            problems[column.key] = str(exc)
            continue
        changed[column.key] = text
    return changed, problems
