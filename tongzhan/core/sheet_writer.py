"""Writing spreadsheets that are safe to open: .xlsx and .csv, streamed, watermarked, formula-free.

SECURITY.md G1: every text cell is written as text (xlsxwriter `write_string`, never `write`, so nothing
becomes a formula, a number or a link), and a value that a spreadsheet would read as a formula — one
that starts with =, +, -, @, a tab or a carriage return, or the full-width ＝＋－＠ — gets a leading
apostrophe, in xlsx and csv alike. Only Python numbers are written as numbers; ID and phone numbers
are strings, in columns formatted as text.

D5: a watermark (who, when, purpose) is the first row above the header, and in an .xlsx also the
document properties and the printed header and footer. The importer skips rows above the header row,
so a watermarked export imports as is.

F7 and memory: rows are streamed (xlsxwriter `constant_memory`, a csv writer on a file) into a 0700
folder of the export's own under DATA_DIR/tmp/exports, removed on success and on failure; the file
handed to a response is unlinked before it is served (or on close, where the OS cannot unlink an open
file), and folders a killed process left are swept after an hour.

This module knows nothing of the registry: `people/excel.py` says what goes in the sheets.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from django.utils.translation import gettext as _

# ASCII and full-width forms of the characters that start a formula, plus tab and carriage return (G1).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
FORMATS = ("xlsx", "csv", "csv-gb18030")
CSV_ENCODINGS = {"csv": "utf-8-sig", "csv-gb18030": "gb18030"}  # utf-8-sig writes the BOM Excel/WPS need
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "csv-gb18030": "text/csv; charset=gb18030",
}
EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "csv-gb18030": "csv"}
HEADER_FOOTER_MAX = 200  # Excel allows 255 characters including the control codes
STALE_SECONDS = 3600


def neutralise(value) -> str:
    """A cell as text; one that a spreadsheet would read as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Watermark:
    """Who exported, when, and why (D5). `note` says, for instance, that the file is unmasked."""

    who: str
    when: datetime.datetime
    purpose: str
    note: str = ""

    def text(self) -> str:
        parts = [_("导出人：%(who)s") % {"who": self.who},
                 _("导出时间：%(when)s") % {"when": f"{self.when:%Y-%m-%d %H:%M}"},
                 _("用途：%(purpose)s") % {"purpose": self.purpose}]
        if self.note:
            parts.append(self.note)
        parts.append(_("内部资料，严禁外传"))
        return "\u3000".join(parts)


@dataclass(frozen=True)
class OutColumn:
    """A column of a written sheet. `as_text`: the column is formatted as text (IDs, phones)."""

    header: str
    as_text: bool = False
    width: float = 12
    required: bool = False
    # For templates: the drop-down list's values, and the help shown when the cell is selected.
    choices: tuple[str, ...] = ()
    prompt: str = ""


# --- temporary files (F7) ----------------------------------------------------------------------------

def export_dir() -> Path:
    from django.conf import settings

    path = Path(settings.DATA_DIR) / "tmp" / "exports"
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def sweep_stale(directory: Path | None = None, *, older_than: int = STALE_SECONDS) -> int:
    """Remove what a killed process left behind (files and export folders); returns how many entries."""
    directory = directory or export_dir()
    removed, limit = 0, time.time() - older_than
    for entry in directory.iterdir():
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime >= limit:
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
    return removed


class TempFile:
    """A temporary export file. `serve()` hands it to a response; until then it is ours to remove."""

    def __init__(self, path: Path):
        self.path = path
        self.served = False

    def serve(self):
        handle = open_for_serving(self.path)
        self.served = True
        return handle


@contextlib.contextmanager
def temporary_file(suffix: str) -> Iterator[TempFile]:
    """A file in a fresh 0700 folder of its own under the export folder; the folder goes when the block ends.

    The folder also holds xlsxwriter's own row files (its `tmpdir`), so whatever happens inside the block —
    a write error, a refused audit row — nothing of the export is left after it (F7). A served file was
    unlinked as it was opened for the response (or goes when the response closes it, on Windows).
    """
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=export_dir()))
    temp = TempFile(folder / f"export.{suffix}")
    try:
        yield temp
    finally:
        for entry in folder.iterdir():
            if not (temp.served and entry == temp.path):
                with contextlib.suppress(OSError):
                    entry.unlink()
        with contextlib.suppress(OSError):  # not empty only while Windows still serves the file
            folder.rmdir()


class _DeleteOnClose:
    """A read handle that removes its file when closed (for systems that cannot unlink an open file)."""

    def __init__(self, path: Path):
        self._path = path
        self._handle = open(path, "rb")  # noqa: SIM115 - closed by the response

    def read(self, *args):
        return self._handle.read(*args)

    def seek(self, *args):
        return self._handle.seek(*args)

    def tell(self):
        return self._handle.tell()

    def close(self):
        self._handle.close()
        with contextlib.suppress(OSError):
            self._path.unlink()

    @property
    def closed(self):
        return self._handle.closed


def open_for_serving(path: Path):
    """Open the finished file for the response and remove it from the disk now (POSIX) or on close."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the response
    try:
        path.unlink()
    except OSError:  # Windows: an open file cannot be unlinked
        handle.close()
        return _DeleteOnClose(path)
    return handle


def sm3_of_file(path: Path) -> str:
    """SM3 of the file's bytes, read in blocks: the same unkeyed hash as `core.crypto.sm3_hex`."""
    digest = hashes.Hash(hashes.SM3())
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.finalize().hex()


def attachment_header(ascii_name: str, display_name: str) -> str:
    """Content-Disposition with an ASCII name for old clients and the Chinese name as filename* (G3)."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in ascii_name)
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(display_name, safe='')}"


# --- writers -------------------------------------------------------------------------------------------

class _Writer:
    """Common interface: `write_row(values)` for each data row, then `close()`. Rows stream to disk."""

    rows_written: int = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class XlsxWriter(_Writer):
    """One worksheet, written row by row in xlsxwriter's constant-memory mode."""

    def __init__(self, path: Path, *, sheet_name: str, columns: Sequence[OutColumn], watermark: Watermark | None,
                 title: str):
        import xlsxwriter

        self.book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "tmpdir": str(Path(path).parent),
            # Belt and braces: `write_string` is used throughout, but nothing is ever converted.
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        self.sheet = self.book.add_worksheet(safe_sheet_name(sheet_name))
        self.text = self.book.add_format({"num_format": "@"})
        header_format = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        _describe(self.book, self.sheet, title=title, watermark=watermark)
        for index, column in enumerate(columns):
            self.sheet.set_column(index, index, column.width, self.text if column.as_text else None)
        self.row = 0
        if watermark is not None:
            mark = self.book.add_format({"italic": True, "font_color": "#C00000"})
            self.sheet.write_string(0, 0, neutralise(watermark.text()), mark)
            self.row = 1
        for index, column in enumerate(columns):
            self.sheet.write_string(self.row, index, neutralise(column.header), header_format)
        self.sheet.freeze_panes(self.row + 1, 0)
        self.row += 1
        self._as_text = [column.as_text for column in columns]
        self.rows_written = 0

    def write_row(self, values: Sequence) -> None:
        sheet, row, text = self.sheet, self.row, self.text
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(row, col, value)
            else:
                sheet.write_string(row, col, neutralise(value), text if self._as_text[col] else None)
        self.row += 1
        self.rows_written += 1

    def close(self) -> None:
        if self.book is not None:
            book, self.book = self.book, None
            book.close()


class CsvWriter(_Writer):
    """A csv file in UTF-8 with a BOM (Excel and WPS then read it right) or GB18030 (a superset of GBK)."""

    def __init__(self, path: Path, *, columns: Sequence[OutColumn], watermark: Watermark | None,
                 encoding: str = "utf-8-sig"):
        self.handle = open(path, "w", encoding=encoding, newline="")  # noqa: SIM115 - closed in close()
        self.writer = csv.writer(self.handle, lineterminator="\r\n")
        if watermark is not None:
            self.writer.writerow([neutralise(watermark.text())])
        self.writer.writerow([neutralise(column.header) for column in columns])
        self.rows_written = 0

    def write_row(self, values: Sequence) -> None:
        self.writer.writerow([
            "" if value is None else str(value) if isinstance(value, int | float) and not isinstance(value, bool)
            else neutralise(value) for value in values
        ])
        self.rows_written += 1

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.close()


def open_writer(fmt: str, path: Path, *, sheet_name: str, columns: Sequence[OutColumn],
                watermark: Watermark | None, title: str) -> _Writer:
    if fmt == "xlsx":
        return XlsxWriter(path, sheet_name=sheet_name, columns=columns, watermark=watermark, title=title)
    if fmt in CSV_ENCODINGS:
        return CsvWriter(path, columns=columns, watermark=watermark, encoding=CSV_ENCODINGS[fmt])
    raise ValueError(f"unknown format {fmt!r}")


def safe_sheet_name(name: str) -> str:
    """Excel refuses []:*?/\\ in a sheet name and more than 31 characters."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(name)).strip("'") or "Sheet1"
    return cleaned[:31]


def _header_footer_text(text: str) -> str:
    return text[:HEADER_FOOTER_MAX].replace("&", "&&")


def _describe(book, sheet, *, title: str, watermark: Watermark | None) -> None:
    """Document properties, and the watermark on every printed page (D5)."""
    properties = {"title": title, "subject": title, "keywords": _("内部资料")}
    if watermark is not None:
        properties.update({"author": watermark.who, "comments": watermark.text(), "category": watermark.purpose})
    book.set_properties(properties)
    if watermark is not None:
        book.set_custom_property(_("导出人"), watermark.who)
        book.set_custom_property(_("用途"), watermark.purpose)
        book.set_custom_property(_("导出时间"), f"{watermark.when:%Y-%m-%d %H:%M:%S}")
        text = _header_footer_text(watermark.text())
        sheet.set_header(f"&L&8{text}")
        sheet.set_footer(f"&L&8{text}&R&8" + _("第 &P 页，共 &N 页"))


# --- blank templates ---------------------------------------------------------------------------------

@dataclass
class TemplateSheet:
    """A blank data-entry sheet: headers (required ones marked), drop-down lists, text columns."""

    name: str
    columns: Sequence[OutColumn]
    rows: int = 1000  # how many rows carry the drop-downs and the text format


@dataclass
class Instructions:
    """The 说明 sheet: a few lines of text, then a table (header + rows)."""

    name: str
    lines: Sequence[str]
    header: Sequence[str]
    rows: Sequence[Sequence[str]] = field(default_factory=list)


LISTS_SHEET = "代码表"


def write_template(path: Path, *, sheet: TemplateSheet, instructions: Instructions, title: str) -> None:
    """One data sheet first (the importer reads it), then the instructions, then a hidden sheet of lists.

    A drop-down's values live in a column of the hidden sheet and the validation refers to that range,
    so lists longer than Excel's 255-character inline limit (56 ethnic groups, 250 countries) work.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                           "strings_to_urls": False, "tmpdir": str(Path(path).parent)})
    try:
        book.set_properties({"title": title, "subject": title, "keywords": _("导入模板")})
        data = book.add_worksheet(safe_sheet_name(sheet.name))
        notes = book.add_worksheet(safe_sheet_name(instructions.name))
        lists = book.add_worksheet(LISTS_SHEET)
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        required = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "font_color": "#C00000"})
        text = book.add_format({"num_format": "@"})
        list_column = 0
        for index, column in enumerate(sheet.columns):
            data.set_column(index, index, column.width, text if column.as_text else None)
            data.write_string(0, index, neutralise(column.header), required if column.required else header)
            validation = {}
            if column.choices:
                lists.write_string(0, list_column, neutralise(column.header))
                for offset, value in enumerate(column.choices, start=1):
                    lists.write_string(offset, list_column, neutralise(value))
                letter = _column_letter(list_column)
                validation = {"validate": "list", "error_type": "warning",
                              "source": f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(column.choices) + 1}",
                              "error_title": _("不在列表中"), "error_message": _("请从下拉列表中选择，或核对填写内容。")}
                list_column += 1
            if column.prompt:
                validation = validation or {"validate": "any"}
                validation.update({"input_title": column.header[:32], "input_message": column.prompt[:250]})
            if validation:
                data.data_validation(1, index, sheet.rows, index, validation)
        data.freeze_panes(1, 0)
        lists.hide()
        bold = book.add_format({"bold": True})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        row = 0
        for line in instructions.lines:
            notes.write_string(row, 0, neutralise(line), bold if row == 0 else None)
            row += 1
        row += 1
        for index, value in enumerate(instructions.header):
            notes.write_string(row, index, neutralise(value), header)
        for values in instructions.rows:
            row += 1
            for index, value in enumerate(values):
                notes.write_string(row, index, neutralise(value), wrap)
        notes.set_column(0, 0, 22)
        notes.set_column(1, 1, 10)
        notes.set_column(2, 3, 50)
        data.activate()
    finally:
        book.close()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
