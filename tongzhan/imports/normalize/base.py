"""Shared pieces of normalisation: the problem type, the per-import Context, comparison keys."""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from tongzhan.core import identity
from tongzhan.core.sheet_reader import Cell
from tongzhan.core.sheet_reader.base import CodedError
from tongzhan.core.sheet_writer import FORMULA_STARTS
from tongzhan.people.columns import Column
from tongzhan.regions.models import Region

EARLIEST_DATE = identity.EARLIEST_BIRTH_DATE
NUMBER_ID_MESSAGE = _("证件号码被 Excel 存成了数字，末几位已丢失，请把该列设为文本后重新填写")
# Columns whose dates cannot lie in the future.
PAST_ONLY_DATES = {"person.birth_date", "person.last_verified_on", "detail.joined_on"}
# Zero-width and soft-hyphen characters: invisible in a cell, dropped before anything is compared.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# What the exporter puts before a value that a spreadsheet would run as a formula (SECURITY.md G1).
NEUTRALISED = FORMULA_STARTS


class ValueProblem(CodedError):
    """One cell's problem; str(exc) is the Chinese message naming what is wrong; `code` a stable name."""


class MonthDate(datetime.date):
    """A date written only to the month (1965.03, 1965年3月): the 1st of that month, compared by month."""

    __slots__ = ()


@dataclass
class Context:
    township: Region | None  # villages are matched inside it (or inside `root` when None)
    root: Region  # the user's scope root
    today: datetime.date
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def cached(self, key: str, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]


# ----------------------------------------------------------------------------------------------------
# Helpers


def key(text) -> str:
    """Comparison key: NFKC (full width → half width), no whitespace or invisible marks, upper-case,
    brackets as the full-width ones the code tables use."""
    s = unicodedata.normalize("NFKC", str(text or "")).translate(INVISIBLE)
    return "".join(s.split()).upper().replace("(", "（").replace(")", "）")


def number_text(cell: Cell) -> str:
    return unicodedata.normalize("NFKC", cell.text).translate(INVISIBLE).strip()


def lost_precision(cell: Cell) -> bool:
    """A number cell holding more digits than Excel keeps (15 significant digits)."""
    if cell.kind != "number":
        return False
    digits = re.sub(r"\D", "", cell.text.split("e")[0].split("E")[0])
    return len(digits.lstrip("0")) > 15 or "e" in cell.text.lower()


def bad_controls(text: str) -> list[str]:
    """Control characters other than tab and line breaks (which are whitespace to a user)."""
    return sorted({c for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r"})


def clean_text(column: Column, cell: Cell) -> str:
    if cell.kind == "number" and lost_precision(cell):
        raise ValueProblem("number_precision", _("“{header}”被 Excel 存成了数字（{value}），超过 15 位的部分已丢失；"
                                                 "请把该列设为文本后重新填写"), header=column.header, value=cell.text)
    text = cell.text.translate(INVISIBLE).strip()
    if len(text) > 1 and text[0] == "'" and text.startswith(NEUTRALISED, 1):
        text = text[1:]  # re-importing our own export: drop the apostrophe that neutralised a formula
    bad = bad_controls(text)
    if bad:
        shown = "、".join(f"U+{ord(c):04X}" for c in bad)
        raise ValueProblem("control_characters", _("“{header}”含有不可见的控制字符（{chars}），请删除后重新填写"),
                           header=column.header, chars=shown)
    if column.max_length is None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    else:
        text = " ".join(text.split())  # a line break typed inside a one-line field becomes a space
    if column.max_length is not None and len(text) > column.max_length:
        raise ValueProblem("too_long", _("“{header}”最多 {limit} 个字，这里有 {n} 个字"),
                           header=column.header, limit=column.max_length, n=len(text))
    return text


def choices_problem(column: Column, value: str, accepted: str) -> ValueProblem:
    return ValueProblem("unknown_value", _("“{header}”不认识“{value}”，可以填：{accepted}"),
                        header=column.header, value=value, accepted=accepted)

