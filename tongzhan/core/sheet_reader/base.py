"""The reader's data types: Cell, Sheet, Workbook and the refusal SheetRefused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class CodedError(ValueError):
    """An error with a stable English `code` and a Chinese message (lazy, with parameters) as str()."""

    def __init__(self, code: str, message, /, **params):
        self.code = code
        self.message = format_lazy(message, **params) if params else message
        super().__init__(code)

    def __str__(self) -> str:
        return str(self.message)


class SheetRefused(CodedError):
    """The upload is refused as a whole; str(exc) is the Chinese message; exc.code a stable English code:
    too_large, zip_bomb, macros, encrypted, not_a_spreadsheet, xml_entities, corrupt, encoding, empty."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell as the user sees it.

    `text` is stripped ("" when empty); integral numbers have no ".0"; dates are "YYYY-MM-DD".
    `kind` is "empty", "text", "number", "date", "bool" or "formula" (then `text` is the formula,
    never its result). `value` is the Python value of a number (int or float), date (date or
    datetime) or bool.
    """

    text: str
    kind: str
    value: object = None


EMPTY = Cell("", "empty")


@dataclass
class Sheet:
    """One worksheet. `rows()` may be called more than once; each call reads the sheet afresh.

    rows() yields (row number as Excel/WPS shows it, cells); blank rows are skipped but counted. A
    damaged sheet discovered only while reading raises SheetRefused("corrupt") from the iterator.
    """

    name: str
    hidden: bool = False
    _reader: Callable[[], Iterator[tuple[int, list[Cell]]]] | None = field(default=None, repr=False, compare=False)

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        if self._reader is None:
            return iter(())
        return _guarded(self._reader())


@dataclass
class Workbook:
    kind: str  # "xlsx" | "xls" | "csv"
    sheets: list[Sheet]
    encoding: str | None = None  # csv only: "utf-8", "gbk", "gb18030" (or "utf-16" for Excel's Unicode text)


def _guarded(rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[tuple[int, list[Cell]]]:
    try:
        yield from rows
    except SheetRefused:
        raise
    except Exception as exc:  # the parsers raise many types for damage found mid-sheet
        raise SheetRefused("corrupt", _("文件在读取过程中发现损坏（{error}），无法继续"), error=type(exc).__name__) from exc

