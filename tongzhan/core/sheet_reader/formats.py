"""The three readers: .xlsx (openpyxl, read-only), .xls (xlrd) and .csv; cells as the user sees them."""

from __future__ import annotations

import csv
import datetime
import io
import re
import struct
import warnings
from collections.abc import Iterator
from pathlib import PurePath

from django.utils.translation import gettext_lazy as _

from .base import EMPTY, Cell, Sheet, SheetRefused, Workbook
from .checks import (
    BIFF_BOF_OPCODES,
    BIFF_EOF,
    BIFF_FORMULA_OPCODES,
    MAX_MERGE_COLUMNS,
    _biff_records,
    _decode_text,
)


def _number_cell(value) -> Cell:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return Cell(str(value), "text")
        if value.is_integer() and abs(value) < 1e15:
            value = int(value)
    text = str(value) if isinstance(value, int) else format(value, ".15g")
    return Cell(text, "number", value)


def _date_cell(value) -> Cell:
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            value = value.date()
        else:
            return Cell(value.strftime("%Y-%m-%d %H:%M:%S").removesuffix(":00"), "date", value)
    if isinstance(value, datetime.date):
        return Cell(value.isoformat(), "date", value)
    if isinstance(value, datetime.time):
        return Cell(value.isoformat(timespec="seconds"), "text")
    return Cell(str(value).strip(), "text")


def _text_cell(value) -> Cell:
    text = str(value).strip()
    return Cell(text, "text") if text else EMPTY


class _MergeFill:
    """Copies each merged range's top-left value into the range's other cells, row by row."""

    def __init__(self, ranges: list[tuple[int, int, int, int]]):
        # (min_row, min_col, max_row, max_col), 1-based inclusive; popped in row order
        self.pending = sorted(ranges, key=lambda r: r[0], reverse=True)
        self.active: list[list] = []

    def apply(self, number: int, cells: list[Cell], blank: bool) -> list[Cell]:
        while self.pending and self.pending[-1][0] <= number:
            self.active.append([*self.pending.pop(), EMPTY])
        if not self.active:
            return cells
        self.active = [r for r in self.active if r[2] >= number]
        for merged in self.active:
            if merged[0] == number and merged[1] <= len(cells):
                merged[4] = cells[merged[1] - 1]
        if blank:
            return cells
        for _min_row, min_col, _max_row, max_col, value in self.active:
            if value.kind == "empty":
                continue
            last = min(max_col, MAX_MERGE_COLUMNS)
            if len(cells) < last:
                cells.extend([EMPTY] * (last - len(cells)))
            for column in range(min_col, last + 1):
                cells[column - 1] = value
        return cells


def _fill_rows(rows: Iterator[tuple[int, list[Cell]]], merges: list) -> Iterator[tuple[int, list[Cell]]]:
    fill = _MergeFill(merges)
    for number, cells in rows:
        blank = all(cell.kind == "empty" for cell in cells)
        cells = fill.apply(number, cells, blank)
        if not blank:
            yield number, cells


# .xlsx — openpyxl, read-only

_MERGE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*>")
_REF_ATTR = re.compile(rb"""\bref\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d{1,7}):\$?([A-Za-z]{1,3})\$?(\d{1,7})["']""")


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def scan_merged_ranges(stream) -> list[tuple[int, int, int, int]]:
    """Merged ranges from a worksheet XML stream, as (min_row, min_col, max_row, max_col).

    A byte scan in 1 MB chunks: `<mergeCell ref="A1:K1"/>` is markup, and inside cell text a "<"
    is always escaped, so the pattern cannot match data. Chunks overlap by 4 KB so a tag cut at a
    chunk boundary is seen whole in the next round, and never counted twice.
    """
    ranges = []
    buffer = b""
    while True:
        chunk = stream.read(1024 * 1024)
        buffer += chunk
        cut = max(len(buffer) - 4096, 0) if chunk else len(buffer)
        for match in _MERGE_TAG.finditer(buffer):
            if chunk and match.end() > cut and match.start() >= cut:
                break
            ref = _REF_ATTR.search(match.group(0))
            if ref:
                c1, r1, c2, r2 = _column_number(ref[1]), int(ref[2]), _column_number(ref[3]), int(ref[4])
                ranges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
            cut = max(cut, match.end())
        if not chunk:
            return ranges
        buffer = buffer[cut:]


def _open_xlsx(data: bytes) -> Workbook:
    """The workbook's sheets, each read on demand by `_xlsx_reader`.

    openpyxl's `load_workbook(read_only=True)` builds a ReadOnlyWorksheet per sheet, whose constructor
    parses the whole sheet once just to find its size when the file has no `<dimension>` element (files
    written by openpyxl's write-only mode and by many exporters): about 4 s at 100,000 rows, before a
    single row is read. The steps of `ExcelReader.read()` are taken here except that one (and the
    document properties, theme and defined names, which nothing reads); the sheets' paths, names and
    states come from the same workbook parser.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    sheets = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            for sheet, rel in reader.parser.find_sheets():
                if rel.target not in reader.valid_files or "chartsheet" in rel.Type:
                    continue
                sheets.append(Sheet(name=sheet.name, hidden=(sheet.state or "visible") != "visible",
                                    _reader=_xlsx_reader(reader.wb, rel.target, reader.shared_strings)))
    except SheetRefused:
        raise
    except Exception as exc:  # openpyxl raises many types for a malformed workbook
        raise SheetRefused("corrupt", _("Excel 文件已损坏，无法读取（{error}）"), error=type(exc).__name__) from exc
    return Workbook(kind="xlsx", sheets=sheets)


def _xlsx_reader(book, path: str, shared_strings):
    """Rows of one worksheet part, streamed.

    openpyxl's read-only worksheet keeps every parsed <row> element attached to the tree (cleared but
    not removed) and a dict per row with a height: about 700 bytes a row, 70 MB at 100,000 rows. The
    rows are read here with lxml's iterparse instead, each <row> removed once its cells are converted,
    and the cells decoded by openpyxl's own WorkSheetParser.parse_cell (shared strings, number
    formats that are dates, formulas as text since data_only is off). Memory stays flat.
    """
    merges: list | None = None

    def read() -> Iterator[tuple[int, list[Cell]]]:
        nonlocal merges
        if merges is None:
            with book._archive.open(path) as stream:
                merges = scan_merged_ranges(stream)
        return _fill_rows(_xlsx_rows(book, path, shared_strings), merges)

    return read


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_V, _F, _IS, _ROW = _SHEET_NS + "v", _SHEET_NS + "f", _SHEET_NS + "is", _SHEET_NS + "row"
_T, _RUN = _SHEET_NS + "t", _SHEET_NS + "r"


def _inline_text(element) -> str:
    """The text of an inline string: its <t>, or its rich-text runs' <t>s (phonetic guides left out)."""
    parts = []
    for child in element:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            run = child.find(_T)
            parts.append(run.text or "" if run is not None else "")
    return "".join(parts)


class _CellDecoder:
    """Decodes one <c> element the way openpyxl's WorkSheetParser.parse_cell does (shared strings,
    numbers, date number formats, booleans, inline strings, ISO dates, errors), straight into a Cell:
    three times fewer steps per cell than building openpyxl's dicts and cells first. Formulas go to
    openpyxl's own parse_formula, so shared and array formulas read as Excel shows them."""

    def __init__(self, book, shared_strings, parser):
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        self.shared = shared_strings
        self.date_formats = book._date_formats
        self.timedelta_formats = book._timedelta_formats
        self.epoch = book.epoch
        self.parser = parser
        self.from_excel, self.from_iso = from_excel, from_ISO8601

    def __call__(self, element) -> Cell:
        kind = element.get("t", "n")
        value = None
        for child in element:
            tag = child.tag
            if tag == _V:
                value = child.text
            elif tag == _F:
                formula = self.parser.parse_formula(element)
                text = (getattr(formula, "text", None) or str(formula)).strip()
                return Cell(text if text != "=" else "=…", "formula")
            elif tag == _IS:
                return _text_cell(_inline_text(child))
        if value is None or value == "":
            return EMPTY
        if kind == "s":
            return _text_cell(self.shared[int(value)])
        if kind == "n":
            number = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
            style = element.get("s")
            if style and int(style) in self.date_formats:
                try:
                    return _date_cell(self.from_excel(number, self.epoch, timedelta=int(style) in self.timedelta_formats))
                except (OverflowError, ValueError):
                    return _number_cell(number)
            return _number_cell(number)
        if kind == "b":
            flag = value.strip() in ("1", "true")
            return Cell("TRUE" if flag else "FALSE", "bool", flag)
        if kind == "d":
            return _date_cell(self.from_iso(value))
        return _text_cell(value)  # "str" (a string result) and "e" (an error value such as #N/A)


def _column_index(ref: str, cache: dict[str, int]) -> int:
    letters = ref.rstrip("0123456789")
    found = cache.get(letters)
    if found is None:
        found = cache[letters] = _column_number(letters.encode())
    return found


def _xlsx_rows(book, path: str, shared_strings) -> Iterator[tuple[int, list[Cell]]]:
    from lxml import etree
    from openpyxl.worksheet._reader import WorkSheetParser

    columns: dict[str, int] = {}
    with book._archive.open(path) as source:
        parser = WorkSheetParser(source, shared_strings, data_only=False, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        decode = _CellDecoder(book, shared_strings, parser)
        # The DOCTYPE/ENTITY refusal already ran (checks._check_xml_prolog); these settings are the
        # second lock: no entity expansion, no DTD, no network, no huge-tree allowance.
        rows = etree.iterparse(source, events=("end",), tag=_ROW, resolve_entities=False, load_dtd=False,
                               no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)
        number = 0
        for _event, element in rows:
            written = element.get("r")
            number = int(float(written)) if written else number + 1
            cells: list[Cell] = []
            column = 0
            for child in element:
                ref = child.get("r")
                column = _column_index(ref, columns) if ref else column + 1
                if column > len(cells) + 1:
                    cells.extend([EMPTY] * (column - 1 - len(cells)))
                cell = decode(child)
                if column <= len(cells):
                    cells[column - 1] = cell
                else:
                    cells.append(cell)
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
            yield number, cells


# .xls — xlrd; formulas located in the BIFF stream, since xlrd gives only their cached results


def _open_xls(data: bytes) -> Workbook:
    import xlrd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                      logfile=io.StringIO())
    except Exception as exc:  # xlrd raises XLRDError, struct.error, AssertionError… for damage
        if "encrypted" in str(exc).lower():
            raise SheetRefused("encrypted", _("工作簿设置了打开密码（已加密），无法读取；"
                                              "请在 Excel/WPS 中取消密码后重新上传")) from exc
        raise SheetRefused("corrupt", _("Excel 97-2003 文件已损坏，无法读取（{error}）"), error=type(exc).__name__) from exc
    sheets = []
    try:
        mem, shift = book.mem, 0
        if mem is None:  # xlrd released it (BIFF5 cannot load on demand): take the stream again
            mem, shift = _xls_stream(data), book.base
        formulas = [_xls_formulas(book, mem, book._sh_abs_posn[index] - shift) for index in range(book.nsheets)]
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            sheets.append(Sheet(name=sheet.name, hidden=sheet.visibility != 0,
                                _reader=_xls_reader(book, sheet, formulas[index])))
    except SheetRefused:
        raise
    except Exception as exc:
        raise SheetRefused("corrupt", _("Excel 97-2003 文件已损坏，无法读取（{error}）"), error=type(exc).__name__) from exc
    finally:
        book.release_resources()
    return Workbook(kind="xls", sheets=sheets)


def _xls_stream(data: bytes) -> bytes:
    import olefile

    with olefile.OleFileIO(data) as ole:
        return ole.openstream("Workbook" if ole.exists("Workbook") else "Book").read()


def _xls_formulas(book, mem: bytes, position: int) -> dict[tuple[int, int], str]:
    """(row, col) → formula text of every FORMULA record in the sheet substream starting at `position`.

    xlrd gives a formula cell only as its cached result, which is what Excel computed: the reader must
    still say it was a formula (F6), so the sheet's FORMULA records are located here; the text comes
    from xlrd's own decompiler where it can render the tokens, else "=…"."""
    from xlrd import formula as xlrd_formula

    found, depth = {}, 0
    if position < 0:
        return found
    for opcode, offset, length in _biff_records(mem, position):
        if opcode in BIFF_BOF_OPCODES:
            depth += 1
        elif opcode == BIFF_EOF:
            depth -= 1
            if depth <= 0:
                break
        elif opcode in BIFF_FORMULA_OPCODES and depth == 1 and length >= 4:
            row, col = struct.unpack_from("<HH", mem, offset)
            text = None
            if length >= 22:
                size = struct.unpack_from("<H", mem, offset + 20)[0]
                try:
                    text = xlrd_formula.decompile_formula(book, mem[offset + 22:offset + 22 + size], size,
                                                          fmlatype=xlrd_formula.FMLA_TYPE_CELL, browx=row, bcolx=col)
                except Exception:  # xlrd's decompiler covers most tokens, not all; the cell is a formula anyway
                    text = None
            found[(row, col)] = "=" + text if text else "=…"
    return found


def _xls_reader(book, sheet, formulas: dict[tuple[int, int], str]):
    import xlrd

    merges = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sheet.merged_cells]
    datemode = book.datemode

    def convert(r: int, c: int, cell) -> Cell:
        if (r, c) in formulas:
            return Cell(formulas[(r, c)], "formula")
        ctype, value = cell.ctype, cell.value
        if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return EMPTY
        if ctype == xlrd.XL_CELL_TEXT:
            return _text_cell(value)
        if ctype == xlrd.XL_CELL_NUMBER:
            return _number_cell(value)
        if ctype == xlrd.XL_CELL_DATE:
            try:
                return _date_cell(xlrd.xldate.xldate_as_datetime(value, datemode))
            except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                return _number_cell(value)
        if ctype == xlrd.XL_CELL_BOOLEAN:
            return Cell("TRUE" if value else "FALSE", "bool", bool(value))
        if ctype == xlrd.XL_CELL_ERROR:
            return Cell(xlrd.error_text_from_code.get(value, "#ERR"), "text")
        return _text_cell(value)

    def read() -> Iterator[tuple[int, list[Cell]]]:
        def raw():
            for r in range(sheet.nrows):
                yield r + 1, [convert(r, c, cell) for c, cell in enumerate(sheet.row(r))]

        return _fill_rows(raw(), merges)

    return read


# .csv


def _open_csv(data: bytes, filename: str, encoding: str | None) -> Workbook:
    text, encoding = _decode_text(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    name = PurePath(filename or "").stem or "CSV"

    def read() -> Iterator[tuple[int, list[Cell]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, record in enumerate(reader, start=1):
            cells = [_csv_cell(value) for value in record]
            if any(cell.kind != "empty" for cell in cells):
                yield number, cells

    return Workbook(kind="csv", sheets=[Sheet(name=name, _reader=read)], encoding=encoding)


def _csv_cell(value: str) -> Cell:
    text = value.strip()
    if not text:
        return EMPTY
    if text.startswith("=") and len(text) > 1:
        return Cell(text, "formula")
    return Cell(text, "text")
