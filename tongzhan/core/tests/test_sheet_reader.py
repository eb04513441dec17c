"""The sheet reader: real files in, cells as the user sees them out; every refusal before parsing (SECURITY.md F1, F6).

The files are built by tongzhan/imports/tests/files.py with the real libraries (openpyxl, xlwt,
msoffcrypto-tool, zipfile); nothing is mocked.
"""

import datetime
import io
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tongzhan.core.sheet_reader import (
    MAX_UNCOMPRESSED_BYTES,
    Cell,
    SheetRefused,
    check_upload,
    open_workbook,
    scan_merged_ranges,
)
from tongzhan.imports.tests import files


def rows_of(data: bytes, filename: str, sheet: int = 0) -> dict[int, list[Cell]]:
    return dict(open_workbook(data, filename).sheets[sheet].rows())


def texts(cells: list[Cell]) -> list[str]:
    return [cell.text for cell in cells]


def refused(data: bytes, filename: str, **kwargs) -> SheetRefused:
    with pytest.raises(SheetRefused) as info:
        check_upload(data, filename, **kwargs)
    with pytest.raises(SheetRefused) as again:
        open_workbook(data, filename, **kwargs)
    assert again.value.code == info.value.code
    return info.value


# ----------------------------------------------------------------------------------------------------
# The real-shaped sheet in all three formats


@pytest.mark.parametrize("build,filename,kind", [
    (files.office_xlsx, "名册.xlsx", "xlsx"),
    (files.office_xls, "名册.xls", "xls"),
    (lambda: files.office_csv("gbk"), "名册.csv", "csv"),
])
def test_office_sheet_rows_carry_the_row_numbers_excel_shows(build, filename, kind):
    book = open_workbook(build(), filename)
    assert book.kind == kind
    rows = dict(book.sheets[0].rows())
    # Title, 填报单位 row, header, four people with a blank row 7 between, the 合计 row.
    assert sorted(rows) == [1, 2, files.OFFICE_HEADER_ROW, *files.office_row_numbers(), files.OFFICE_TOTAL_ROW]
    assert texts(rows[files.OFFICE_HEADER_ROW]) == list(files.OFFICE_HEADER)
    assert rows[files.OFFICE_TOTAL_ROW][0].text == "合计"
    for number, person in zip(files.office_row_numbers(), files.OFFICE_PEOPLE, strict=True):
        assert rows[number][1].text == person[0]
        assert rows[number][4].text == person[3]
        assert rows[number][4].kind == "text"


@pytest.mark.parametrize("build,filename", [(files.office_xlsx, "名册.xlsx"), (files.office_xls, "名册.xls")])
def test_every_cell_of_a_merged_range_yields_the_top_left_value(build, filename):
    rows = rows_of(build(), filename)
    assert texts(rows[1]) == [files.OFFICE_TITLE] * 11  # A1:K1
    assert texts(rows[2])[:6] == [files.OFFICE_UNIT_ROW[0]] * 6  # A2:F2
    assert texts(rows[2])[6:11] == [files.OFFICE_UNIT_ROW[1]] * 5  # G2:K2
    assert rows[5][6].text == rows[6][6].text == "东海村"  # G5:G6, the village merged down two people


def test_a_label_merged_down_over_blank_rows_does_not_make_them_data_rows():
    data = files.xlsx_bytes({"S": [["类别", "姓名"], ["企业家", "张三"], [None, "李四"], [], [], ["合计"]]},
                            merges={"S": ("A2:A5",)})
    rows = rows_of(data, "a.xlsx")
    assert sorted(rows) == [1, 2, 3, 6]
    assert texts(rows[3]) == ["企业家", "李四"]


@pytest.mark.parametrize("build,filename", [(files.office_xlsx, "名册.xlsx"), (files.office_xls, "名册.xls")])
def test_excel_date_cells_arrive_as_dates_and_typed_dates_as_text(build, filename):
    rows = rows_of(build(), filename)
    born = rows[5][3]
    assert (born.kind, born.text, born.value) == ("date", "1972-03-06", datetime.date(1972, 3, 6))
    assert (rows[6][3].kind, rows[6][3].text) == ("text", "1982.07")


def test_numbers_arrive_as_numbers_with_integral_floats_shown_without_point_zero():
    data = files.xlsx_bytes({"S": [["序号", "人数", "比例", "身份证号"],
                                   [1, 86.0, 0.25, 330206197001010014],
                                   [2, 3.0, 1 / 3, 3.30206197001011e17]]})
    rows = rows_of(data, "a.xlsx")
    assert [(c.kind, c.text) for c in rows[2][:3]] == [("number", "1"), ("number", "86"), ("number", "0.25")]
    assert rows[2][3].kind == "number" and rows[2][3].text != "330206197001010014"  # Excel keeps 15 digits
    assert rows[3][1].value == 3 and isinstance(rows[3][1].value, int)
    assert rows[3][2].text == "0.333333333333333"
    # An ID typed into a number cell: kind "number", so the importer can refuse it (F2).
    assert (rows[3][3].kind, rows[3][3].text) == ("number", "3.30206197001011e+17")


def test_booleans_and_text_that_looks_like_a_formula_keep_their_kinds():
    data = files.xlsx_bytes({"S": [["是否代表", "备注"], [True, files.Text("=1+1")], [False, files.Text("  带空格  ")]]})
    rows = rows_of(data, "a.xlsx")
    assert (rows[2][0].kind, rows[2][0].value, rows[2][0].text) == ("bool", True, "TRUE")
    assert (rows[2][1].kind, rows[2][1].text) == ("text", "=1+1")
    assert rows[3][1].text == "带空格"


def test_xlsx_formulas_arrive_as_their_text_and_are_never_evaluated():
    data = files.xlsx_bytes({"S": [["a", "b"], [1, 2], ["=SUM(A2:B2)", "=A2*100"]]})
    rows = rows_of(data, "a.xlsx")
    assert [(c.kind, c.text, c.value) for c in rows[3]] == [("formula", "=SUM(A2:B2)", None),
                                                           ("formula", "=A2*100", None)]


def test_xls_formulas_are_found_in_the_biff_stream_although_xlrd_gives_only_results():
    data = files.xls_bytes({"S": [["a", "b"], [1, 2], [files.Formula("SUM(A2:B2)"), files.Formula("A2*100")],
                                  ["文字", 3]]})
    rows = rows_of(data, "a.xls")
    assert [c.kind for c in rows[3]] == ["formula", "formula"]
    assert rows[3][0].text.startswith("=") and "SUM" in rows[3][0].text.upper()
    assert [(c.kind, c.text) for c in rows[4]] == [("text", "文字"), ("number", "3")]


def test_csv_cells_starting_with_an_equals_sign_are_formulas_as_excel_would_run_them():
    data = files.csv_bytes([["姓名", "备注"], ["张三", "=HYPERLINK(\"http://x\")"], ["李四", "a=b"]], encoding="utf-8")
    rows = rows_of(data, "a.csv")
    assert rows[2][1].kind == "formula"
    assert rows[3][1].kind == "text"


def test_sheets_keep_their_names_and_hidden_state():
    data = files.xlsx_bytes({"企业家": [["姓名"], ["张三"]], "说明": [["填表说明"]]}, hidden=("说明",))
    book = open_workbook(data, "a.xlsx")
    assert [(s.name, s.hidden) for s in book.sheets] == [("企业家", False), ("说明", True)]


def test_rows_can_be_read_twice():
    sheet = open_workbook(files.office_xlsx(), "a.xlsx").sheets[0]
    assert list(sheet.rows()) == list(sheet.rows())


# ----------------------------------------------------------------------------------------------------
# CSV encodings


@pytest.mark.parametrize("encoding,bom,expected", [
    ("gbk", False, "gbk"), ("utf-8", False, "utf-8"), ("utf-8", True, "utf-8"), ("utf-16", False, "utf-16"),
])
def test_csv_encoding_is_detected(encoding, bom, expected):
    book = open_workbook(files.office_csv(encoding, bom=bom), "名册.csv")
    assert book.encoding == expected
    rows = dict(book.sheets[0].rows())
    assert rows[1][0].text == files.OFFICE_TITLE  # no BOM left on the first cell
    assert rows[files.office_row_numbers()[2]][1].text == "阿依古丽·买买提"


def test_gb18030_csv_keeps_characters_gbk_does_not_have():
    book = open_workbook(files.gb18030_csv(), "名册.csv")
    assert book.encoding == "gb18030"
    assert dict(book.sheets[0].rows())[2][0].text == files.RARE_NAME


def test_csv_with_a_line_break_inside_a_quoted_cell_counts_it_as_one_row():
    data = "姓名,住址\r\n张三,\"东海村\r\n1号\"\r\n李四,梅东村\r\n".encode("gbk")
    rows = rows_of(data, "a.csv")
    assert sorted(rows) == [1, 2, 3]
    assert rows[2][1].text == "东海村\r\n1号"


def test_tab_separated_text_is_read_with_tabs():
    rows = rows_of(files.csv_bytes([["姓名", "电话"], ["张三", "13800000000"]], delimiter="\t"), "a.txt")
    assert texts(rows[2]) == ["张三", "13800000000"]


@given(st.lists(st.lists(st.text(alphabet="张王李赵甲乙村社区号·0123456789abcXYZ ,\"'\n", max_size=12),
                         min_size=1, max_size=5), min_size=1, max_size=8),
       st.sampled_from(["gbk", "utf-8", "gb18030"]))
@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_written_to_csv_reads_back_stripped_in_any_encoding(table, encoding):
    data = files.csv_bytes([["表头"], *table], encoding=encoding)
    rows = dict(open_workbook(data, "a.csv").sheets[0].rows())
    for number, written in enumerate(table, start=2):
        expected = [value.strip() for value in written]
        if not any(expected):
            assert number not in rows
            continue
        got = texts(rows[number])
        assert got == expected


# ----------------------------------------------------------------------------------------------------
# Refusals, each with its own code and message, before any parsing


def test_a_file_over_the_cap_is_refused_with_both_sizes(settings):
    data = files.simple_xlsx()
    problem = refused(data, "a.xlsx", max_bytes=len(data) - 1)
    assert problem.code == "too_large" and "MB" in str(problem)
    settings.TONGZHAN_UPLOAD_MAX_BYTES = 1000
    assert refused(data, "a.xlsx").code == "too_large"


def test_the_default_cap_is_ten_megabytes(settings):
    assert settings.TONGZHAN_UPLOAD_MAX_BYTES == 10 * 1024 * 1024
    assert refused(b"a" * (10 * 1024 * 1024 + 1), "a.csv").code == "too_large"


def test_an_empty_file_is_refused():
    assert refused(b"", "a.csv").code == "empty"
    assert refused(b" \r\n ", "a.xlsx").code == "empty"


@pytest.fixture(scope="module")
def gigabyte_bomb():
    return files.zip_bomb_xlsx(1024 ** 3)


def test_a_zip_bomb_inflating_to_a_gigabyte_is_refused_from_its_metadata_in_well_under_a_second(gigabyte_bomb):
    assert len(gigabyte_bomb) < 3 * 1024 * 1024
    started = time.perf_counter()
    problem = refused(gigabyte_bomb, "名册.xlsx")
    assert time.perf_counter() - started < 0.5
    assert problem.code == "zip_bomb" and "压缩炸弹" in str(problem)


def test_a_small_bomb_is_caught_by_its_compression_ratio():
    bomb = files.zip_bomb_xlsx(64 * 1024 * 1024)  # under the size cap, but 1000:1
    assert MAX_UNCOMPRESSED_BYTES > 64 * 1024 * 1024
    problem = refused(bomb, "a.xlsx")
    assert problem.code == "zip_bomb" and "压缩比" in str(problem)


def test_a_bomb_that_lies_about_its_size_cannot_inflate_past_what_it_claims():
    bomb = files.lying_zip_bomb_xlsx()
    started = time.perf_counter()
    problem = refused(bomb, "a.xlsx")
    assert time.perf_counter() - started < 0.5
    assert problem.code == "corrupt"


def test_an_archive_with_thousands_of_members_is_refused():
    assert refused(files.many_members_zip(), "a.xlsx").code == "zip_bomb"


@pytest.mark.parametrize("build,filename", [
    (files.xlsm_bytes, "名册.xlsm"),
    (files.xlsm_bytes, "名册.xlsx"),
    (files.xlsx_with_vba_part, "名册.xlsx"),
    (files.xlsx_with_macro_content_type, "名册.xlsx"),
])
def test_macro_workbooks_are_refused_by_name_part_or_content_type(build, filename):
    problem = refused(build(), filename)
    assert problem.code == "macros" and "宏" in str(problem)


def test_an_encrypted_workbook_is_refused():
    data = files.encrypted_xlsx()
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # an OLE container, as Excel writes one
    problem = refused(data, "名册.xlsx")
    assert problem.code == "encrypted" and "密码" in str(problem)


def test_a_zip_with_password_protected_entries_is_refused():
    assert refused(files.password_zip_xlsx(), "名册.xlsx").code == "encrypted"


def test_a_password_protected_xls_is_refused():
    problem = refused(files.encrypted_xls(), "名册.xls")
    assert problem.code == "encrypted"


@pytest.mark.parametrize("build,filename,named", [
    (files.exe_bytes, "名册.xlsx", "可执行程序"),
    (files.pdf_bytes, "名册.csv", "PDF"),
    (files.plain_zip, "名册.xlsx", "压缩包"),
    (files.docx_bytes, "名册.xlsx", "Word"),
    (files.word97_bytes, "名册.xls", "Word"),
    (files.simple_xlsx, "名册.csv", ".csv"),
    (lambda: files.office_csv("gbk"), "名册.xlsx", "纯文本"),
    (files.simple_xlsx, "名册.pdf", ".pdf"),
    (lambda: b"\x00\x01\x02binary" * 10, "名册.csv", "二进制"),
    (lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>", "名册.csv", "网页"),
    (lambda: "<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode("gbk"), "名册.xls", "网页"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused_naming_what_it_is(build, filename, named):
    problem = refused(build(), filename)
    assert problem.code == "not_a_spreadsheet"
    assert named in str(problem)


@pytest.mark.parametrize("part,encoding", [
    ("xl/worksheets/sheet1.xml", "utf-8"),
    ("xl/styles.xml", "utf-8"),
    ("xl/workbook.xml", "utf-8"),
    ("[Content_Types].xml", "utf-8"),
    ("xl/worksheets/sheet1.xml", "utf-16"),
])
def test_xml_entity_declarations_in_any_part_are_refused(part, encoding):
    problem = refused(files.xlsx_with_entities(part, encoding=encoding), "名册.xlsx")
    assert problem.code == "xml_entities"
    assert part in str(problem)


@pytest.mark.parametrize("build", [files.truncated_xlsx, files.xlsx_missing_workbook_part])
def test_a_corrupt_workbook_is_refused(build):
    assert refused(build(), "名册.xlsx").code == "corrupt"


def test_a_corrupt_legacy_workbook_is_refused():
    data = files.xls_bytes({"S": [["姓名"], ["张三"]]})
    assert refused(data[:600], "名册.xls").code == "corrupt"


def test_damage_found_while_reading_rows_is_a_corrupt_refusal_after_the_good_rows():
    sheet = open_workbook(files.xlsx_with_broken_sheet_xml(), "名册.xlsx").sheets[0]
    seen = []
    with pytest.raises(SheetRefused) as info:
        for number, _cells in sheet.rows():
            seen.append(number)
    assert info.value.code == "corrupt"
    assert seen == list(range(1, 30))


def test_opening_a_workbook_does_not_parse_a_sheet_that_has_no_dimension_element():
    """openpyxl's read-only load parses such a sheet whole to size it; the reader opens without it, so
    damage in the sheet is met only when its rows are read, after the good ones."""
    import re
    import zipfile

    source = files.xlsx_with_broken_sheet_xml()
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<dimension" in xml
    undimensioned = files._rezip(source, replace={
        "xl/worksheets/sheet1.xml": re.sub(rb"<dimension[^>]*/>", b"", xml)})
    book = open_workbook(undimensioned, "名册.xlsx")
    assert [sheet.name for sheet in book.sheets] == ["S"]
    seen = []
    with pytest.raises(SheetRefused) as info:
        for number, _cells in book.sheets[0].rows():
            seen.append(number)
    assert info.value.code == "corrupt"
    assert seen == list(range(1, 30))


def test_an_undecodable_csv_is_refused():
    problem = refused(files.undecodable_csv(), "名册.csv")
    assert problem.code == "encoding" and "UTF-8" in str(problem)


def test_a_big5_csv_is_refused_rather_than_read_as_nonsense():
    data = files.big5_csv()
    assert data.decode("gb18030")  # what a decoder alone would accept
    problem = refused(data, "名册.csv")
    assert problem.code == "encoding" and "Big5" in str(problem)


def test_every_refusal_has_its_own_message():
    cases = {
        "too_large": (files.simple_xlsx(), "a.xlsx", {"max_bytes": 10}),
        "empty": (b"", "a.csv", {}),
        "zip_bomb": (files.many_members_zip(), "a.xlsx", {}),
        "macros": (files.xlsm_bytes(), "a.xlsm", {}),
        "encrypted": (files.encrypted_xlsx(), "a.xlsx", {}),
        "not_a_spreadsheet": (files.exe_bytes(), "a.xlsx", {}),
        "xml_entities": (files.xlsx_with_entities(), "a.xlsx", {}),
        "corrupt": (files.truncated_xlsx(), "a.xlsx", {}),
        "encoding": (files.undecodable_csv(), "a.csv", {}),
    }
    messages = {}
    for code, (data, name, kwargs) in cases.items():
        problem = refused(data, name, **kwargs)
        assert problem.code == code
        messages[code] = str(problem)
    assert len(set(messages.values())) == len(cases)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in message) for message in messages.values())


def test_a_real_xls_saved_as_xlsx_is_read_for_what_it_is():
    assert check_upload(files.office_xls(), "名册.xlsx") == "xls"
    assert check_upload(files.office_xlsx(), "名册.xls") == "xlsx"


# ----------------------------------------------------------------------------------------------------
# Merged ranges at scale: a streaming scan, memory flat in the row count


def test_merged_ranges_are_found_across_chunk_boundaries_exactly_once():
    tag = b'<mergeCell ref="B3:D7"/>'
    for offset in range(-len(tag), 8):
        data = b"<worksheet><sheetData>" + b" " * (1024 * 1024 - 22 + offset) + b"</sheetData><mergeCells>" + tag
        data += b'<x:mergeCell ref="$A$1:$K$1"/></mergeCells></worksheet>'
        assert scan_merged_ranges(io.BytesIO(data)) == [(3, 2, 7, 4), (1, 1, 1, 11)], offset


def _peak_streaming(sheet) -> tuple[int, int]:
    """Rows counted and peak traced memory of one pass over an already opened sheet."""
    list(sheet.rows())  # the first pass also scans the merged ranges (1 MB chunks, then cached)
    tracemalloc.start()
    try:
        count = sum(1 for _ in sheet.rows())
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_ten_times_the_rows_takes_no_more_memory():
    small = open_workbook(files.big_xlsx(400, columns=8), "small.xlsx").sheets[0]
    large = open_workbook(files.big_xlsx(4_000, columns=8), "large.xlsx").sheets[0]
    small_rows, small_peak = _peak_streaming(small)
    large_rows, large_peak = _peak_streaming(large)
    assert (small_rows, large_rows) == (401, 4_001)
    # openpyxl's own read-only worksheet keeps ~700 bytes a row (2.5 MB more here); the stream keeps none.
    assert large_peak < small_peak * 1.5 + 64 * 1024, (small_peak, large_peak)


def test_cells_keep_their_columns_when_the_xml_skips_empty_ones():
    data = files.xlsx_bytes({"S": [["姓名", None, None, "电话"], [None, "张三", None, None, "x"]]})
    rows = rows_of(data, "a.xlsx")
    assert texts(rows[1]) == ["姓名", "", "", "电话"]
    assert texts(rows[2]) == ["", "张三", "", "", "x"]
