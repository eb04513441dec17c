"""Builders of REAL upload files for tests: each returns the bytes a user's file would hold.

Nothing here is a mock: workbooks are written by openpyxl, xlwt and msoffcrypto-tool, archives by
zipfile, so the reader under test meets exactly what Excel, WPS or an attacker would hand it.

Layout of the real-shaped sheet (`office_xlsx`, `office_xls`, `office_csv`), as offices keep them:

    row 1   梅山乡统战对象名册（企业家）              title, merged across the header's width
    row 2   填报单位：梅山乡人民政府   填报日期：2026年11月   merged in two halves
    row 3   (blank)
    row 4   序号 姓名 性别 出生年月 身份证号码 联系电话 所在村 政治面貌 民族 工作单位 备注   the header
    row 5…  one person a row (OFFICE_PEOPLE); 所在村 merged down over the first two people
    one blank row in the middle of the data, then a 合计 row at the bottom

`OFFICE_HEADER`, `OFFICE_PEOPLE`, `OFFICE_HEADER_ROW` and `office_row_numbers()` tell a test where
everything is without re-deriving it.
"""

from __future__ import annotations

import csv
import datetime
import io
import struct
import zipfile
from dataclasses import dataclass

from tongzhan.core import identity


def valid_id(first17: str) -> str:
    """An 18-digit resident ID with the right check digit for the given first 17 digits."""
    return first17 + identity.check_digit(first17)


@dataclass(frozen=True)
class Text:
    """A value to write as a TEXT cell even though it looks like a formula or a number ("=1+1", "0574…")."""

    value: str


OFFICE_TITLE = "梅山乡统战对象名册（企业家）"
OFFICE_UNIT_ROW = ("填报单位：梅山乡人民政府", "填报日期：2026年11月")
OFFICE_HEADER = ("序号", "姓名", "性别", "出生年月", "身份证号码", "联系电话", "所在村", "政治面貌", "民族",
                 "工作单位", "备注")
OFFICE_HEADER_ROW = 4
# (姓名, 性别, 出生年月 as written, ID, phone as written, 村, 政治面貌, 民族, 工作单位)
OFFICE_PEOPLE = (
    ("王海东", "男", datetime.date(1972, 3, 6), valid_id("33020619720306001").lower(), "138 0574 0001", "东海村",
     "中共党员", "汉族", "宁波梅山水产养殖有限公司"),
    ("林海燕", "女", "1982.07", valid_id("33020619820719002"), "0574-8888 8888", "东海村",
     "群众", "汉", "宁波梅山港区国际贸易有限公司"),
    ("阿依古丽·买买提", "女", "1990年5月3日", valid_id("65010219900503004"), "+86 139-0574-0002", "梅东",
     "群众", "维吾尔族", "梅山乡卫生院"),
    ("司马文彬", "男", "19740919", valid_id("33020619740919003"), "13905740003", "梅 中村",
     "民盟", "01", "宁波梅山港码头有限公司"),
)


def office_row_numbers() -> list[int]:
    """The sheet row number of each OFFICE_PEOPLE row: 5, 6, then a blank row 7, then 8, 9."""
    return [5, 6, 8, 9]


OFFICE_TOTAL_ROW = 10


def _office_rows() -> list[list]:
    rows: list[list] = [[OFFICE_TITLE], [OFFICE_UNIT_ROW[0], None, None, None, None, None, OFFICE_UNIT_ROW[1]], [],
                        list(OFFICE_HEADER)]
    for index, person in enumerate(OFFICE_PEOPLE, start=1):
        name, sex, born, number, phone, village, political, ethnicity, unit = person
        if index == 3:
            rows.append([])  # a blank row in the middle, as offices leave them
        rows.append([index, name, sex, born, Text(number), Text(phone), village if index != 2 else None,
                     political, ethnicity, unit, None])
    rows.append(["合计", f"{len(OFFICE_PEOPLE)}人"])
    return rows


OFFICE_MERGES = ("A1:K1", "A2:F2", "G2:K2", "G5:G6")


# ----------------------------------------------------------------------------------------------------
# .xlsx


def xlsx_bytes(sheets: dict[str, list[list]], *, merges: dict[str, tuple[str, ...]] | None = None,
               hidden: tuple[str, ...] = ()) -> bytes:
    """A real .xlsx written by openpyxl. Values: str → text (a str starting with "=" is a FORMULA),
    `Text(...)` → text whatever it looks like, int/float → number, date/datetime → a date cell
    (number format yyyy-mm-dd), bool → boolean, None → nothing."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, Text):
                    cell.value = value.value
                    cell.data_type = "s"
                else:
                    cell.value = value
                if isinstance(value, (datetime.date, datetime.datetime)):
                    cell.number_format = "yyyy-mm-dd"
        for ref in (merges or {}).get(title, ()):
            sheet.merge_cells(ref)
        if title in hidden:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def office_xlsx(sheet_name: str = "企业家") -> bytes:
    """The real-shaped sheet described in the module docstring, as .xlsx."""
    return xlsx_bytes({sheet_name: _office_rows()}, merges={sheet_name: OFFICE_MERGES})


def big_xlsx(rows: int, columns: int = 12) -> bytes:
    """A plain sheet of `rows` data rows under one header row, written in openpyxl's write-only mode
    (for memory and speed checks). Text comes from a small pool, as in a real register (names and
    villages repeat), so the shared-strings table stays small and only the rows grow."""
    import openpyxl

    pool = [f"{surname}{given}" for surname in "王李张刘陈杨" for given in ("海东", "海燕", "文彬", "建国", "丽君")]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("名册")
    sheet.append([f"列{c}" for c in range(1, columns + 1)])
    for r in range(rows):
        sheet.append([pool[(r + c) % len(pool)] if c % 2 else r * columns + c for c in range(columns)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """Copy an archive, replacing or adding members."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


def simple_xlsx() -> bytes:
    """A small valid workbook: a header and two people."""
    return xlsx_bytes({"Sheet1": [["姓名", "身份证号码"], ["张三", Text(valid_id("33020619700101001"))],
                                  ["李四", Text(valid_id("33020619800202002"))]]})


def zip_bomb_xlsx(inflated_bytes: int = 1024 ** 3) -> bytes:
    """A real zip bomb dressed as a workbook: the parts of a valid .xlsx, with the sheet XML replaced by
    `inflated_bytes` (default 1 GiB) streamed into the archive — an XML prolog, then zeros — so the
    file is about 1 MB per GiB and its central directory tells the truth about what it would inflate to."""
    source = simple_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in original.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                continue
            target.writestr(info.filename, original.read(info.filename))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
            head = b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet>'
            stream.write(head)
            chunk = b"\0" * (16 * 1024 * 1024)
            left = inflated_bytes - len(head)
            while left > 0:
                stream.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return out.getvalue()


def lying_zip_bomb_xlsx(inflated_bytes: int = 64 * 1024 * 1024, claimed_bytes: int = 2000) -> bytes:
    """A zip bomb whose central directory LIES: the sheet part inflates to `inflated_bytes` but the
    directory claims `claimed_bytes`, so a metadata check alone would pass it. Python's zipfile stops
    inflating at the claimed size and then fails the CRC, which is what the reader relies on."""
    source = simple_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in original.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, original.read(info.filename))
        with target.open("xl/worksheets/sheet1.xml", "w") as stream:
            stream.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet>')
            chunk = b"\0" * (16 * 1024 * 1024)
            for _ in range(inflated_bytes // len(chunk)):
                stream.write(chunk)
    data = bytearray(out.getvalue())
    name = b"xl/worksheets/sheet1.xml"
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + name_length]) == name:
            struct.pack_into("<I", data, at + 24, claimed_bytes)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError("central directory entry not found")


def many_members_zip(count: int = 20_000) -> bytes:
    """A workbook-looking archive with `count` tiny members (a bomb by member count)."""
    return _rezip(simple_xlsx(), add={f"xl/media/x{i}.bin": b"" for i in range(count)})


def xlsm_bytes() -> bytes:
    """A macro-enabled workbook: a vbaProject.bin part and the macroEnabled main content type, as Excel
    writes an .xlsm (the VBA part's bytes are an OLE header; the reader refuses on the part's presence)."""
    source = simple_xlsx()
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        types = archive.read("[Content_Types].xml").decode()
    types = types.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    types = types.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                                      "</Types>")
    return _rezip(source, replace={"[Content_Types].xml": types.encode()},
                  add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504})


def xlsx_with_vba_part() -> bytes:
    """An ordinary-looking .xlsx (normal content types) that still carries xl/vbaProject.bin."""
    return _rezip(simple_xlsx(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504})


def xlsx_with_macro_content_type() -> bytes:
    """An .xlsx whose [Content_Types].xml declares the macro-enabled main part, without a VBA part."""
    source = simple_xlsx()
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        types = archive.read("[Content_Types].xml").decode()
    types = types.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    return _rezip(source, replace={"[Content_Types].xml": types.encode()})


def encrypted_xlsx(password: str = "1234") -> bytes:
    """A password-protected workbook as Excel writes it: an OLE compound file holding EncryptionInfo and
    EncryptedPackage (ECMA-376 agile encryption, by msoffcrypto-tool)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(simple_xlsx())).encrypt(password, out)
    return out.getvalue()


def xlsx_with_entities(part: str = "xl/worksheets/sheet1.xml", *, encoding: str = "utf-8") -> bytes:
    """A workbook whose `part` declares entities in a DOCTYPE (a billion-laughs prologue). With
    encoding="utf-16" the part is re-encoded, to prove the scan is not fooled by the byte form."""
    source = simple_xlsx()
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        xml = archive.read(part).decode("utf-8")
    body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    doctype = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
               '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
    text = f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n{doctype}{body}'
    return _rezip(source, replace={part: text.encode(encoding)})


def truncated_xlsx() -> bytes:
    """A workbook cut off in the middle (a broken download): the zip's central directory is gone."""
    data = simple_xlsx()
    return data[: len(data) // 2]


def xlsx_missing_workbook_part() -> bytes:
    """An archive with the workbook's content types but no xl/workbook.xml."""
    source = simple_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            if info.filename != "xl/workbook.xml":
                target.writestr(info.filename, original.read(info.filename))
    return out.getvalue()


def password_zip_xlsx() -> bytes:
    """A workbook whose zip entries are flagged as password-encrypted (general purpose bit 0), as a zip
    tool's "add a password" leaves them (not Office's own encryption, which is an OLE container)."""
    data = bytearray(simple_xlsx())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        flags = struct.unpack_from("<H", data, at + 8)[0]
        struct.pack_into("<H", data, at + 8, flags | 0x1)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def xlsx_with_broken_sheet_xml() -> bytes:
    """A workbook whose sheet XML starts well and breaks in the middle (a damaged file): the damage is
    only found while reading rows."""
    source = xlsx_bytes({"S": [["姓名"], *[[f"张{i}"] for i in range(50)]]})
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    middle = xml.index(b"<row r=\"30\"")
    return _rezip(source, replace={"xl/worksheets/sheet1.xml": xml[:middle] + b"<row r=\"30\"><c r=\"A30\" <<"})


def plain_zip() -> bytes:
    """A zip archive that is not a workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "说明")
        archive.writestr("data/名单.csv", "姓名\n张三\n")
    return out.getvalue()


def docx_bytes() -> bytes:
    """A real Word document (python-docx)."""
    import docx

    document = docx.Document()
    document.add_paragraph("梅山乡统战工作情况汇报")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def exe_bytes() -> bytes:
    """The start of a Windows executable: DOS header ("MZ"), stub message and a PE signature."""
    header = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 48)
    struct.pack_into("<I", header, 0x3C, 0x80)
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    body = bytes(header) + stub
    body += b"\0" * (0x80 - len(body)) + b"PE\0\0" + b"\x4c\x01" + b"\0" * 2000
    return body


def pdf_bytes() -> bytes:
    """A minimal one-page PDF."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


# ----------------------------------------------------------------------------------------------------
# .xls (xlwt)


@dataclass(frozen=True)
class Formula:
    """A formula cell for `xls_bytes`, e.g. Formula("SUM(A1:A3)") (no leading "=")."""

    text: str


def xls_bytes(sheets: dict[str, list[list]], *, merges: dict[str, tuple[tuple[int, int, int, int], ...]] | None = None
              ) -> bytes:
    """A real legacy .xls written by xlwt 1.3.0. Values as `xlsx_bytes`, plus `Formula(...)`. Merges are
    (first_row, last_row, first_col, last_col), 0-based inclusive, and take the top-left value written."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for title, rows in sheets.items():
        sheet = book.add_sheet(title)
        merged = {(r1, c1): (r2, c2) for r1, r2, c1, c2 in (merges or {}).get(title, ())}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, Formula):
                    value = xlwt.Formula(value.text)
                elif isinstance(value, Text):
                    value = value.value
                style = date_style if isinstance(value, (datetime.date, datetime.datetime)) else xlwt.Style.default_style
                if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                    value = datetime.datetime.combine(value, datetime.time())
                if (r, c) in merged:
                    r2, c2 = merged[(r, c)]
                    sheet.write_merge(r, r2, c, c2, value, style)
                else:
                    sheet.write(r, c, value, style)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def office_xls(sheet_name: str = "企业家") -> bytes:
    """The real-shaped sheet of the module docstring, as a legacy .xls."""
    from openpyxl.utils.cell import range_boundaries

    merges = []
    for ref in OFFICE_MERGES:
        c1, r1, c2, r2 = range_boundaries(ref)
        merges.append((r1 - 1, r2 - 1, c1 - 1, c2 - 1))
    return xls_bytes({sheet_name: _office_rows()}, merges={sheet_name: tuple(merges)})


def encrypted_xls() -> bytes:
    """A legacy .xls marked password-protected: the workbook globals carry a FILEPASS record (RC4, as
    Excel 97-2003 writes for an open password) right after BOF, in a real OLE container written by
    xlwt. The cell records themselves are not actually enciphered — the reader refuses on FILEPASS."""
    import xlwt
    from xlwt import CompoundDoc

    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("Sheet1").write(0, 0, "姓名")
    stream = book.get_biff_data()
    bof_length = struct.unpack_from("<H", stream, 2)[0]
    split = 4 + bof_length
    payload = struct.pack("<HHH", 1, 1, 1) + b"\x11" * 48  # RC4, version 1.1, salt/verifier/hash
    filepass = struct.pack("<HH", 0x002F, len(payload)) + payload
    out = io.BytesIO()
    CompoundDoc.XlsDoc().save(out, stream[:split] + filepass + stream[split:])
    return out.getvalue()


def word97_bytes() -> bytes:
    """An OLE compound file that is not a workbook (its only stream is WordDocument)."""
    from xlwt import CompoundDoc

    out = io.BytesIO()
    CompoundDoc.XlsDoc().save(out, b"\0" * 4096)
    data = bytearray(out.getvalue())
    # xlwt names its stream "Workbook"; rename the directory entry to "WordDocument" (UTF-16, padded).
    old, new = "Workbook".encode("utf-16-le"), "WordDocument".encode("utf-16-le")
    at = bytes(data).find(old)
    data[at:at + 64] = (new + b"\0\0").ljust(64, b"\0")
    struct.pack_into("<H", data, at + 64, len(new) + 2)
    return bytes(data)


# ----------------------------------------------------------------------------------------------------
# .csv


def csv_bytes(rows: list[list], *, encoding: str = "gbk", bom: bool = False, delimiter: str = ",") -> bytes:
    """A CSV as WPS (GBK) or Excel ("CSV UTF-8", with BOM) saves it. Dates are written 1965-03-12."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v.value if isinstance(v, Text) else
                         v.isoformat() if isinstance(v, datetime.date) else str(v) for v in row])
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def office_csv(encoding: str = "gbk", *, bom: bool = False) -> bytes:
    """The real-shaped sheet of the module docstring as CSV (merged cells become what CSV has: the
    value in the top-left cell only)."""
    return csv_bytes(_office_rows(), encoding=encoding, bom=bom)


RARE_NAME = "刘䶮"  # U+4DAE is in GB18030 but not in GBK


def gb18030_csv() -> bytes:
    """A CSV in GB18030 that GBK cannot decode (a name with a CJK Extension A character)."""
    return csv_bytes([["姓名", "身份证号码"], [RARE_NAME, valid_id("33020619700101001")]], encoding="gb18030")


def undecodable_csv() -> bytes:
    """Bytes that are neither UTF-8 nor GBK nor GB18030 (0x80 and 0xFF never start a GB18030 character)."""
    return "姓名,电话\n".encode("gbk") + b"\x80\xff\x80\xff,138\n"


def big5_csv() -> bytes:
    """A CSV in traditional-Chinese Big5 (from Taiwan or Hong Kong): its bytes also decode as GB18030,
    into nonsense, so only a detector can tell."""
    rows = [["序號", "姓名", "性別", "出生年月", "身份證號碼", "聯繫電話", "所在村"],
            ["1", "王海東", "男", "1972.03", valid_id("33020619720306001"), "13805740001", "東海村"],
            ["2", "林海燕", "女", "1982.07", valid_id("33020619820719002"), "057488888888", "梅東村"]]
    return csv_bytes(rows, encoding="big5")

