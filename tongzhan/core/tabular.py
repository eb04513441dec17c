"""Read small tabular uploads (CSV in UTF-8/GBK/GB18030, .xlsx) into rows of strings.

Formulas are never evaluated: openpyxl is opened without `data_only`, so a formula cell arrives as its
text ("=…") and callers refuse it. defusedxml guards openpyxl's XML parsing once installed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _

MAX_UNCOMPRESSED = 200 * 1024 * 1024


class TabularError(ValueError):
    """The file cannot be read as a table; the message says why, in Chinese."""


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TabularError(_("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV"))


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(data: bytes, filename: str) -> Iterator[list[str]]:
    """Yield each row as a list of stripped strings; the first row is whatever the sheet starts with."""
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        yield from _xlsx_rows(data)
    elif name.endswith((".xlsx", ".xlsm", ".xls")):
        raise TabularError(_("文件内容不是 Excel 工作簿（.xlsx），请检查文件是否损坏或扩展名是否被改动"))
    else:
        text = decode_text(data)
        for row in csv.reader(io.StringIO(text)):
            yield [cell.strip() for cell in row]


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise TabularError(_("Excel 文件已损坏，无法打开")) from exc
    if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED:
        raise TabularError(_("Excel 文件解压后过大，疑似压缩炸弹，已拒绝"))
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a malformed workbook
        raise TabularError(_("无法读取 Excel 文件：%(error)s") % {"error": type(exc).__name__}) from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [cell_text(value) for value in row]
    finally:
        book.close()
