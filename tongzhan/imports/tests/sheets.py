"""Real-shaped sheets for the pipeline tests, built with openpyxl (no mocks): a title row, the
"填报单位/填报日期" line, a blank row, the header, data rows as text cells, a 合计 row at the bottom."""

from __future__ import annotations

import io

from tongzhan.core import identity

TITLE_ROWS = 3  # title, 填报单位/填报日期, blank → the header is on row 4, data from row 5


def valid_id(first17: str) -> str:
    return first17 + identity.check_digit(first17)


def xlsx(sheets: dict[str, tuple[list[str], list[list]]], *, title: str = "统战对象花名册", total: bool = True) -> bytes:
    """{sheet name: (header, rows)} → .xlsx bytes. Every value is written as text, as offices type them."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (header, rows) in sheets.items():
        ws = book.create_sheet(name)
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(header), 2))
        ws.append(["填报单位：甲镇统战办", None, "填报日期：2026年11月1日"])
        ws.append([])
        ws.append(header)
        for row in rows:
            ws.append(["" if v is None else v for v in row])
        if total:
            ws.append(["合计", f"{len(rows)}人"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_gbk(header: list[str], rows: list[list[str]]) -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")
