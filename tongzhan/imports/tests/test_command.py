"""`manage.py import_people`: the same pipeline from the command line, its summary and its JSON report."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from tongzhan.core.actors import SYSTEM
from tongzhan.imports.models import ImportBatch
from tongzhan.people.models import HistoryEntry, Person

from .sheets import csv_gbk, valid_id, xlsx
from .test_pipeline import FIRST_DATA_ROW, NEW_ID, ZENG_ID, entrepreneurs, standard_rows

pytestmark = pytest.mark.django_db


def command(*args) -> str:
    out = io.StringIO()
    call_command("import_people", *args, stdout=out)
    return out.getvalue()


def test_the_command_dry_run_writes_nothing_and_its_report_adds_up(world, tmp_path):
    path = tmp_path / "企业家.xlsx"
    path.write_bytes(entrepreneurs(standard_rows()))
    report = tmp_path / "report.json"
    before = Person.objects.count()
    out = command(str(path), "--region", world.township_a.code, "--dry-run", "--report", str(report))
    assert "预检" in out and "新增 2" in out and "拒绝 1" in out
    assert Person.objects.count() == before and not ImportBatch.objects.exists()
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["created"] + data["updated"] + data["unchanged"] + data["rejected"] == len(data["rows"]) == 4
    assert [r["row"] for r in data["rows"]] == [FIRST_DATA_ROW + i for i in range(4)]  # as the sheet shows
    rejected = next(r for r in data["rows"] if r["status"] == "rejected")
    assert rejected["problems"][0]["column"] == "身份证号码"
    assert set(rejected["problems"][0]) == {"column", "value", "message"}
    assert not re.search(r"\d{17}[\dXx]", report.read_text(encoding="utf-8"))  # masked (D3, D6)


def test_the_command_commits_one_batch_and_a_second_run_changes_nothing(world, tmp_path):
    path = tmp_path / "企业家.xlsx"
    path.write_bytes(entrepreneurs(standard_rows()))
    out = command(str(path), "--region", world.township_a.code)
    batch = ImportBatch.objects.get()
    assert f"批次 {batch.pk}" in out and batch.status == "done" and batch.created == 2
    assert batch.created_by is None and batch.actor_name == "system"
    history = HistoryEntry.objects.count()
    report = tmp_path / "again.json"
    command(str(path), "--region", world.township_a.code, "--report", str(report))
    data = json.loads(report.read_text(encoding="utf-8"))
    assert (data["created"], data["updated"], data["unchanged"], data["rejected"]) == (0, 0, 3, 1)
    assert HistoryEntry.objects.count() == history


def test_the_command_keeps_conflicting_values_and_lists_them_as_warnings(world, tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(entrepreneurs([["1", "曾国藩", ZENG_ID, "", "13912345678", "甲一村", "被服厂", "", ""]]))
    report = tmp_path / "r.json"
    command(str(path), "--user", world.township_staff.username, "--report", str(report))
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["warnings"] >= 1
    assert data["rows"][0]["warnings"][0]["column"] == "联系电话"
    assert Person.objects.get(pk=world.person_a1.pk).decrypt("phone") == "13800000000"


def test_the_command_reads_a_gbk_csv_with_a_category_and_a_village_for_the_whole_file(world, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes(csv_gbk(["姓名", "身份证号码", "企业名称"], [["李明", NEW_ID, "海达水产"],
                                                                ["王五", valid_id("33020619850505002"), "五金"]]))
    out = command(str(path), "--category", "entrepreneur", "--region", world.village_a2.code)
    assert "新增 2" in out
    assert set(Person.objects.filter(name__in=["李明", "王五"]).values_list("region", flat=True)) == {
        world.village_a2.pk}


def test_the_command_refuses_a_bad_file_a_missing_user_and_a_region_out_of_scope(world, tmp_path):
    bad = tmp_path / "a.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a sheet")
    with pytest.raises(CommandError, match="PDF"):
        command(str(bad))
    good = tmp_path / "b.xlsx"
    good.write_bytes(xlsx({"企业家": (["姓名", "身份证号"], [["李明", NEW_ID]])}))
    with pytest.raises(CommandError):
        command(str(good), "--user", "nobody")
    with pytest.raises(CommandError):
        command(str(good), "--user", world.reviewer.username)
    with pytest.raises(CommandError):
        command(str(good), "--user", world.township_staff.username, "--region", world.village_b1.code)
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv"])
def test_the_offices_real_shaped_sheet_imports_as_is_in_every_format_and_again_changes_nothing(kind, db, tmp_path):
    """The reader engineer's real-shaped sheet (title, 填报单位 line, merged village cells, a blank row, a
    合计 row) against the demo township: every person created, row numbers as the sheet shows them."""
    from tongzhan.imports.tests import files
    from tongzhan.regions.models import Region
    from tongzhan.regions.services import create_region

    call_command("load_demo", stdout=io.StringIO())
    township = Region.objects.get(name="梅山乡")
    create_region(actor=SYSTEM, name="东海村", code="330206105299", level="village", parent=township)
    data = {"xlsx": lambda: files.office_xlsx("少数民族"), "xls": lambda: files.office_xls("少数民族"),
            "csv": lambda: files.office_csv()}[kind]()
    path = tmp_path / f"少数民族.{kind}"
    path.write_bytes(data)
    report = tmp_path / "r.json"
    extra = ["--category", "ethnic_minority"] if kind == "csv" else []  # a CSV has no sheet name
    command(str(path), "--region", township.code, "--report", str(report), *extra)
    got = json.loads(report.read_text(encoding="utf-8"))
    assert [r["row"] for r in got["rows"]] == files.office_row_numbers()
    # A CSV cannot merge cells: the second person's village is empty there, and the row says so.
    second = "rejected" if kind == "csv" else "create"
    assert [r["status"] for r in got["rows"]] == ["create", second, "create", "create"], got["rows"]
    dotted = Person.objects.get(name="阿依古丽·买买提", source="import")
    assert dotted.region.name == "梅东村" and dotted.memberships.get().category_id == "ethnic_minority"
    if kind == "csv":
        assert got["rows"][1]["problems"][0]["column"] == "所在村"
    else:
        assert Person.objects.get(name="林海燕", source="import").region.name == "东海村"  # the merged village cell
    command(str(path), "--region", township.code, "--report", str(report), *extra)
    again = json.loads(report.read_text(encoding="utf-8"))
    second = "rejected" if kind == "csv" else "unchanged"
    assert [r["status"] for r in again["rows"]] == ["unchanged", second, "unchanged", "unchanged"]
