"""Read uploaded spreadsheets (.xlsx, legacy .xls, .csv) safely, cell by cell, as the user sees them.

Two steps, and the order matters (SECURITY.md F1):

1. `check_upload` decides what the bytes really are — by content, never by the file name — and runs
   every refusal before any parser sees them: the size cap, a zip bomb judged on the archive's own
   metadata (member count, total inflated size, compression ratio), macros (.xlsm, vbaProject.bin, a
   macro-enabled content type, an OLE macro storage), encryption (an OLE container holding
   EncryptionInfo/EncryptedPackage, a FILEPASS record in a legacy .xls, a password-protected zip), a
   file that is not what its name says, XML with a DOCTYPE/ENTITY declaration in any part, a corrupt
   archive, an undecodable CSV. Each refusal is a `SheetRefused` with its own code and Chinese message.
2. `open_workbook` hands the bytes to openpyxl (read-only, streaming), xlrd or the csv module and
   yields rows of `Cell`s. Formulas are never evaluated (F6): openpyxl is opened without `data_only`,
   so a formula arrives as its text; in a legacy .xls, whose cells xlrd only gives as cached results,
   the sheet's FORMULA records are located in the BIFF stream and those cells marked "formula"; in a
   CSV a cell starting with "=" is what Excel would run as a formula, so it is marked too.

Row numbers are the ones Excel and WPS show (1-based; blank rows are counted but not yielded), so a
problem reported "第 12 行" is found on row 12. Every cell of a merged range yields the top-left
cell's value — but only in rows that have a value of their own, so a label merged down the side of a
block does not turn blank rows into data rows. openpyxl's read-only mode does not read merged
ranges, so they are taken from the sheet XML in a streaming byte scan before the rows (the
`<mergeCells>` element follows the cell data); memory stays flat whatever the row count.
"""

from __future__ import annotations

from .base import EMPTY, Cell, Sheet, SheetRefused, Workbook
from .checks import (
    DEFAULT_MAX_BYTES,
    MAX_COMPRESSION_RATIO,
    MAX_UNCOMPRESSED_BYTES,
    _check,
)
from .formats import _open_csv, _open_xls, _open_xlsx, scan_merged_ranges

__all__ = [
    "DEFAULT_MAX_BYTES", "EMPTY", "MAX_COMPRESSION_RATIO", "MAX_UNCOMPRESSED_BYTES", "Cell", "Sheet",
    "SheetRefused", "Workbook", "check_upload", "open_workbook", "scan_merged_ranges",
]


def check_upload(data: bytes, filename: str, *, max_bytes: int | None = None) -> str:
    """The file's real kind by content ("xlsx"/"xls"/"csv"), or SheetRefused. Runs every refusal BEFORE parsing."""
    return _check(data, filename, max_bytes)[0]


def open_workbook(data: bytes, filename: str, *, max_bytes: int | None = None) -> Workbook:
    """Check the upload (every refusal first), then open it for streaming reads."""
    kind, encoding = _check(data, filename, max_bytes)
    if kind == "xlsx":
        return _open_xlsx(data)
    if kind == "xls":
        return _open_xls(data)
    return _open_csv(data, filename, encoding)

