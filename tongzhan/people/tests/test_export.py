"""Exports of query results and categories (issue #4 item 3; SECURITY.md D3, D5, G1, G3, B5, E1, F7).

Every test reads the real file back: .xlsx with openpyxl (and its XML with zipfile), .csv with csv.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import time
import zipfile
from urllib.parse import unquote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PASSWORD
from tongzhan.audit.models import AuditEvent
from tongzhan.core import crypto, sheet_writer
from tongzhan.core.actors import SYSTEM
from tongzhan.people.columns import columns_for, match_header
from tongzhan.people.excel import ExportSpec
from tongzhan.people.models import Category, Person
from tongzhan.people.selectors import Criteria
from tongzhan.people.services import PersonInput, create_person, join_category
from tongzhan.people.services import exports as export_services

pytestmark = pytest.mark.django_db
PURPOSE = "核对侨情普查名单"


@pytest.fixture(autouse=True)
def export_folder(settings, tmp_path):
    """Exports write their temporary files under DATA_DIR: a folder of this test's own."""
    settings.DATA_DIR = tmp_path
    return tmp_path / "tmp" / "exports"


# --- helpers, shared with the approval and template tests ----------------------------------------------

def reauthenticate(client) -> None:
    response = client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": "/"})
    assert response.status_code == 302


def export(client, criteria: dict | None = None, **fields):
    data = {"file_format": "xlsx", "layout": "mixed", "purpose": PURPOSE, **(criteria or {}), **fields}
    return client.post(reverse("people:export"), data)


def served(response) -> bytes:
    assert response.status_code == 200 and response.streaming, response.status_code
    return b"".join(response.streaming_content)


def sheet_rows(data: bytes) -> list[list]:
    """The first sheet's rows, values as stored, trailing empty cells dropped."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = []
    for row in sheet.iter_rows(values_only=True):
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    return rows


def csv_rows(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding))))


def xml_parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")}


def by_header(rows: list[list], name: str) -> dict:
    """The data row of person `name` as {header: value} (rows[1] is the header row)."""
    header = rows[1]
    row = next(r for r in rows[2:] if r and r[0] == name)
    return dict(zip(header, row + [None] * (len(header) - len(row)), strict=True))


def export_events():
    return AuditEvent.objects.filter(event="person.export")


# --- what is in the file -------------------------------------------------------------------------------

def test_an_export_has_the_import_headers_under_one_watermark_row_in_pinyin_order(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    rows = sheet_rows(served(export(client)))
    assert "导出人" in rows[0][0] and "township_a" in rows[0][0] and PURPOSE in rows[0][0]
    assert rows[1] == [str(c.header) for c in columns_for(None)]
    assert [r[0] for r in rows[2:]] == ["单田芳", "曾国藩"]  # shan before zeng; 乙乡's 欧阳修 is out of scope
    zeng = by_header(rows, "曾国藩")
    assert zeng["性别"] == "男" and zeng["出生日期"] == "1965-03-12" and zeng["证件类型"] == "居民身份证"
    assert zeng["所在村（社区）"] == "甲一村" and zeng["类别"] == "本地籍知名人士"


def test_a_category_export_has_that_categorys_attributes_as_columns(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    data = served(export(client, {"category": "notable"}, layout="category"))
    rows = sheet_rows(data)
    assert rows[1] == [str(c.header) for c in columns_for("notable")]
    assert by_header(rows, "曾国藩")["知名领域"] == "文史"
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["本地籍知名人士"]


@pytest.mark.parametrize(("layout", "criteria", "code"), [("mixed", {}, None),
                                                          ("category", {"category": "notable"}, "notable")])
def test_an_exports_header_row_maps_back_through_match_header(world, as_user, layout, criteria, code):
    client = as_user(world.township_staff)
    reauthenticate(client)
    rows = sheet_rows(served(export(client, criteria, layout=layout)))
    columns = columns_for(code)
    assert [match_header(header, columns) for header in rows[1]] == list(columns)
    # The importer takes the first row with two known headers as the header row: never the watermark.
    assert sum(match_header(cell, columns) is not None for cell in rows[0]) < 2


def test_an_export_is_masked_by_default_and_holds_no_raw_sensitive_value(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    person = world.person_a1
    secrets = [person.decrypt("id_number"), person.decrypt("phone"), "甲一村1号", "汉族"]
    xlsx = served(export(client))
    rows = sheet_rows(xlsx)
    zeng = by_header(rows, "曾国藩")
    assert zeng["证件号码"] == person.id_number_masked == "330206********0016"
    assert zeng["联系电话"] == person.phone_masked
    assert zeng["详细住址"] == zeng["民族"] == "****" and zeng["宗教信仰"] is None
    assert "敏感信息已脱敏" in rows[0][0]
    files = [*xml_parts(xlsx).values(), served(export(client, file_format="csv")).decode("utf-8-sig"),
             served(export(client, file_format="csv-gb18030")).decode("gb18030")]
    for text in files:
        assert not any(secret in text for secret in secrets)
    assert all(event.detail["masked"] is True for event in export_events())


def test_every_export_asks_for_the_password_again_first(world, as_user):
    client = as_user(world.township_staff)
    for unmasked in ("", "on"):
        response = export(client, unmasked=unmasked)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:reauth"))
        assert unquote(response["Location"]).endswith("next=/people/export/")
    assert not export_events().exists()
    page = client.get(reverse("people:export")).content.decode()
    assert 'id="reauth-link"' in page


def test_an_unmasked_export_needs_a_purpose_and_shows_every_sensitive_value(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    response = export(client, unmasked="on", purpose="看看")
    assert response.status_code == 200 and not response.streaming
    assert "导出用途至少 4 个字" in response.content.decode()
    rows = sheet_rows(served(export(client, unmasked="on")))
    zeng = by_header(rows, "曾国藩")
    person = world.person_a1
    assert zeng["证件号码"] == person.decrypt("id_number") and zeng["联系电话"] == person.decrypt("phone")
    assert zeng["详细住址"] == "甲一村1号" and zeng["民族"] == "汉族"
    assert "含完整敏感信息" in rows[0][0]
    event = export_events().get()
    assert event.detail["masked"] is False and event.reason == PURPOSE


@pytest.mark.parametrize("role", ["liaison", "reviewer"])
def test_a_liaison_or_reviewer_cannot_export_unmasked(world, as_user, role):
    client = as_user(getattr(world, role))
    reauthenticate(client)
    response = export(client, unmasked="on")
    assert response.status_code == 403
    assert world.person_a1.decrypt("id_number").encode() not in response.content
    assert not export_events().exists()


def test_a_reviewer_and_an_auditor_cannot_export_at_all(world, as_user):
    for user in (world.reviewer, world.auditor):
        client = as_user(user)
        assert client.get(reverse("people:export")).status_code == 403
        reauthenticate(client)
        assert export(client).status_code == 403
    assert not export_events().exists()


def test_a_tampered_value_is_marked_in_an_unmasked_export_and_counted(world, as_user):
    """D4: a ciphertext moved from another row fails authentication; the export says so, never a 500."""
    Person.objects.filter(pk=world.person_a1.pk).update(address_enc=world.person_a2.address_enc)
    client = as_user(world.township_staff)
    reauthenticate(client)
    rows = sheet_rows(served(export(client, unmasked="on")))
    assert by_header(rows, "曾国藩")["详细住址"] == "（校验失败）"
    assert by_header(rows, "单田芳")["详细住址"] == "甲二村1号"
    assert export_events().get().detail["integrity_failures"] == 1


# --- formulas (G1) ---------------------------------------------------------------------------------------

FORMULA_NAMES = ["=1+1", "+8613800000000", "@SUM(1)", "＝1"]
FORMULA_UNITS = ["－1", "＠A1", "＋1", "\t=cmd|' /C calc'!A0"]


@pytest.fixture
def formula_people(world):
    for name, unit in zip(FORMULA_NAMES, FORMULA_UNITS, strict=True):
        create_person(actor=SYSTEM, data=PersonInput(name=name, region=world.village_a1, work_unit=unit,
                                                     note="-2+3", native_place="\r=1"))


def test_formula_like_values_are_text_with_an_apostrophe_in_xlsx(world, as_user, formula_people):
    client = as_user(world.township_staff)
    reauthenticate(client)
    data = served(export(client))
    for name, xml in xml_parts(data).items():
        assert not re.search(r"<f[ >/]", xml), name  # no formula element anywhere in the package
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    rows = sheet_rows(data)
    names = [r[0] for r in rows[2:] if r[0] not in ("单田芳", "曾国藩")]
    assert sorted(names) == sorted("'" + n.replace("＝", "=") for n in FORMULA_NAMES)  # names are NFKC-stored
    for name in names:
        person = by_header(rows, name)
        assert all(person[h].startswith("'") for h in ("工作单位", "备注", "籍贯")), person
    assert {by_header(rows, n)["工作单位"] for n in names} == {"'" + u for u in FORMULA_UNITS}


@pytest.mark.parametrize(("fmt", "encoding"), [("csv", "utf-8-sig"), ("csv-gb18030", "gb18030")])
def test_formula_like_values_are_text_with_an_apostrophe_in_csv(world, as_user, formula_people, fmt, encoding):
    client = as_user(world.township_staff)
    reauthenticate(client)
    rows = csv_rows(served(export(client, file_format=fmt)), encoding)
    header = rows[1]
    cells = [dict(zip(header, row, strict=True)) for row in rows[2:]]
    odd = [c for c in cells if c["姓名"] not in ("单田芳", "曾国藩")]
    assert len(odd) == 4
    for person in odd:
        assert all(person[h].startswith("'") for h in ("姓名", "工作单位", "备注", "籍贯")), person
    assert not any(cell.startswith(sheet_writer.FORMULA_STARTS) for row in rows for cell in row)


def test_neutralise_prefixes_every_formula_start_and_nothing_else():
    for start in sheet_writer.FORMULA_STARTS:
        assert sheet_writer.neutralise(f"{start}1") == f"'{start}1"
    assert sheet_writer.neutralise("曾国藩") == "曾国藩" and sheet_writer.neutralise(None) == ""
    assert sheet_writer.neutralise("1+1") == "1+1" and sheet_writer.neutralise(" =1") == " =1"


# --- watermark, audit, file name (D5, E1, G3) ------------------------------------------------------------

def test_the_watermark_is_also_in_the_document_properties_and_the_printed_header(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    book = openpyxl.load_workbook(io.BytesIO(served(export(client))))
    assert book.properties.creator == "township_a（township_a）"
    assert PURPOSE in book.properties.description and "导出人" in book.properties.description
    sheet = book.worksheets[0]
    assert PURPOSE in sheet.oddHeader.left.text and "township_a" in sheet.oddFooter.left.text
    csv_first = csv_rows(served(export(client, file_format="csv")))[0]
    assert len(csv_first) == 1 and PURPOSE in csv_first[0] and "导出时间" in csv_first[0]


def test_every_export_is_audited_with_the_filter_rows_columns_and_the_sm3_of_the_bytes_served(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    for fmt in ("xlsx", "csv"):
        data = served(export(client, {"category": "notable", "sex": "M"}, file_format=fmt))
        event = export_events().latest("id")
        assert event.detail["sm3"] == crypto.sm3_hex(data)
        assert event.detail["rows"] == 1 and event.detail["format"] == fmt
        assert event.detail["columns"] == [str(c.header) for c in columns_for(None)]
        assert event.detail["filter"] == {"类别": "本地籍知名人士", "性别": "男"}
        assert event.reason == PURPOSE and event.username == "township_a"


def test_an_id_query_is_exported_but_the_number_is_never_recorded(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    number = world.person_a1.decrypt("id_number")
    rows = sheet_rows(served(export(client, {"q": number.lower()})))
    assert [r[0] for r in rows[2:]] == ["曾国藩"]
    event = export_events().get()
    assert event.detail["filter"] == {"查询内容": "（按证件号码查询，号码不记录）"}
    assert number not in json.dumps(event.detail, ensure_ascii=False) and number not in event.reason


def test_the_file_name_is_made_by_the_server_and_the_file_is_not_cached(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    response = export(client, {"category": "notable"}, layout="category", purpose="x/../../etc 用途测试")
    disposition = response["Content-Disposition"]
    match = re.fullmatch(r'attachment; filename="(tongzhan-export-notable-\d{8}-\d{6}\.xlsx)"; '
                         r"filename\*=UTF-8''(\S+)", disposition)
    assert match, disposition
    assert re.fullmatch(r"统战对象导出-本地籍知名人士-\d{8}-\d{6}\.xlsx", unquote(match.group(2)))
    assert "no-store" in response["Cache-Control"]
    served(response)


def test_csv_is_utf8_with_a_bom_or_gb18030_on_request(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    utf8 = served(export(client, file_format="csv"))
    assert utf8.startswith(codecs.BOM_UTF8) and "曾国藩" in utf8.decode("utf-8-sig")
    gbk = served(export(client, file_format="csv-gb18030"))
    assert not gbk.startswith(codecs.BOM_UTF8) and "曾国藩" in gbk.decode("gb18030")
    assert gbk.decode("gb18030").splitlines()[1].startswith("姓名,性别,出生日期")


# --- scope (C1, G3) ----------------------------------------------------------------------------------------

def test_a_liaison_exports_only_their_village_masked(world, as_user):
    client = as_user(world.liaison)
    reauthenticate(client)
    rows = sheet_rows(served(export(client)))
    assert [r[0] for r in rows[2:]] == ["曾国藩"]
    assert by_header(rows, "曾国藩")["证件号码"] == world.person_a1.id_number_masked
    response = export(client, {"region": world.village_a2.pk})
    assert response.status_code == 200 and not response.streaming
    assert "所选区划不存在或不在您的管辖范围内" in response.content.decode()
    assert export_events().count() == 1


def test_township_staff_export_their_township_and_district_staff_everything(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    assert [r[0] for r in sheet_rows(served(export(client)))[2:]] == ["单田芳", "曾国藩"]
    response = export(client, {"region": world.village_b1.pk})
    assert not response.streaming and "欧阳修" not in response.content.decode()
    client = as_user(world.district_staff)
    reauthenticate(client)
    assert [r[0] for r in sheet_rows(served(export(client)))[2:]] == ["欧阳修", "单田芳", "曾国藩"]


def test_the_search_page_offers_the_export_of_its_results_but_not_of_a_number_search(world, as_user):
    client = as_user(world.township_staff)
    html = client.get(reverse("people:person-list"), {"q": "zgf"}).content.decode()
    link = re.search(r'href="([^"]+)" id="export-link"', html)
    assert link and link.group(1) == reverse("people:export") + "?q=zgf"
    number = world.person_a1.decrypt("id_number")
    assert 'id="export-link"' not in client.post(reverse("people:person-list"), {"q": number}).content.decode()
    assert 'id="export-link"' not in as_user(world.reviewer).get(reverse("people:person-list")).content.decode()


def test_the_export_page_names_the_criteria_and_the_count(world, as_user):
    client = as_user(world.township_staff)
    html = client.get(reverse("people:export"), {"q": "zgf", "category": "notable"}).content.decode()
    assert "zgf" in html and "本地籍知名人士" in html
    assert re.search(r"共 <strong>1</strong> 人", html)
    assert '<input type="hidden" name="q" value="zgf">' in html


# --- no query per row (house rule 7) ------------------------------------------------------------------------

def _queries_for_export(user, spec, criteria) -> int:
    with CaptureQueriesContext(connection) as captured:
        exported = export_services.export_people(actor=user, criteria=criteria, spec=spec, description={})
    exported.handle.close()
    return len(captured.captured_queries)


@pytest.mark.parametrize(("layout", "masked"), [("mixed", True), ("category", False)])
def test_an_export_reads_the_same_number_of_queries_for_2_or_42_people(world, layout, masked):
    notable = Category.objects.get(code="notable")
    spec = ExportSpec(layout=layout, category=notable, fmt="xlsx", masked=masked, purpose=PURPOSE)
    criteria = Criteria(category=notable)
    _queries_for_export(world.township_staff, spec, criteria)  # warm: the user's region is read once, then kept
    few = _queries_for_export(world.township_staff, spec, criteria)
    for number in range(40):
        person = create_person(actor=SYSTEM, data=PersonInput(name=f"曾{'国家华明'[number % 4]}{number}",
                                                              region=world.village_a2, address="甲二村2号"))
        join_category(actor=SYSTEM, person=person, category=notable, attributes={"field": "书法"})
    many = _queries_for_export(world.township_staff, spec, criteria)
    assert many == few
    assert export_events().latest("id").detail["rows"] == 42


def test_a_name_query_export_follows_the_token_index_and_the_filters(world, as_user):
    client = as_user(world.township_staff)
    reauthenticate(client)
    for number in range(3):
        create_person(actor=SYSTEM, data=PersonInput(name=f"曾小{'甲乙丙'[number]}", region=world.village_a2))
    rows = sheet_rows(served(export(client, {"q": "曾"})))
    assert [r[0] for r in rows[2:]] == ["曾国藩", "曾小丙", "曾小甲", "曾小乙"]  # zeng guo / xiao bing, jia, yi
    rows = sheet_rows(served(export(client, {"q": "曾", "region": world.village_a1.pk})))
    assert [r[0] for r in rows[2:]] == ["曾国藩"]


# --- temporary files (F7) -------------------------------------------------------------------------------------

def test_no_temporary_file_is_left_after_an_export_or_after_a_failed_one(world, as_user, export_folder,
                                                                         monkeypatch):
    client = as_user(world.township_staff)
    reauthenticate(client)
    served(export(client))
    served(export(client, file_format="csv"))
    assert list(export_folder.iterdir()) == []

    def audit_fails(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(export_services, "record", audit_fails)
    spec = ExportSpec(layout="mixed", category=None, fmt="xlsx", masked=True, purpose=PURPOSE)
    with pytest.raises(RuntimeError):
        export_services.export_people(actor=world.township_staff, criteria=Criteria(), spec=spec, description={})
    assert list(export_folder.iterdir()) == []
    assert export_events().count() == 2


def test_a_temporary_file_is_removed_when_writing_fails_and_stale_ones_are_swept(export_folder):
    with pytest.raises(ValueError), sheet_writer.temporary_file("xlsx") as temp:
        temp.path.write_bytes(b"half a file")
        (temp.path.parent / "tmp-row-data").write_bytes(b"xlsxwriter's own scratch file")
        raise ValueError("disk full")
    assert not temp.path.exists() and list(export_folder.iterdir()) == []
    leftover = export_folder / "export-left-by-a-killed-worker"
    leftover.mkdir()
    (leftover / "export.xlsx").write_bytes(b"x")
    fresh = export_folder / "export-of-a-running-worker"
    fresh.mkdir()
    old = time.time() - 2 * sheet_writer.STALE_SECONDS
    os.utime(leftover, (old, old))
    assert sheet_writer.sweep_stale() == 1
    assert list(export_folder.iterdir()) == [fresh]


@pytest.mark.parametrize("criteria", [{}, {"q": "曾"}, {"q": "zgf"}, {"q": "欧阳"}, {"q": "330206196503120016"},
                                      {"sex": "M"}, {"q": "没有这个人"}])
def test_the_export_page_counts_exactly_the_people_an_export_would_write(world, criteria):
    from tongzhan.people.export_selectors import export_count, export_ids
    from tongzhan.people.selectors import Criteria

    for user in (world.district_staff, world.township_staff, world.liaison):
        assert export_count(user, Criteria(**criteria)) == len(export_ids(user, Criteria(**criteria)))
    assert export_count(world.district_staff, Criteria()) == 3
