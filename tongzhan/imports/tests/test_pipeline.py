"""The import pipeline end to end with real files: upload → mapping → dry run → commit → undo.

SECURITY.md F2–F5 (problems by row, column and value; counts add up; duplicates merge; conflicts wait;
a liaison's row for another village is rejected), E1 (one audit event, no personal data), E4 (a history
row naming the batch for every person touched), F7 (the upload is deleted after the commit).
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tongzhan.audit.models import AuditEvent
from tongzhan.imports import services
from tongzhan.imports.models import ImportBatch, ImportRow
from tongzhan.people.models import CategoryMembership, HistoryEntry, Person

from .sheets import TITLE_ROWS, valid_id, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["序号", "姓名", "身份证号码", "出生年月", "联系电话", "村（社区）", "企业名称", "职务", "工作单位"]
NEW_ID = "330206198001010019"
X_ID = "33020619820322105X"
ZENG_ID = "330206196503120016"  # the world's 曾国藩 in 甲一村
FIRST_DATA_ROW = TITLE_ROWS + 2


def entrepreneurs(rows) -> bytes:
    return xlsx({"企业家": (HEADER, rows)})


def standard_rows():
    return [
        ["1", "李明", NEW_ID, "1980.01", "139-0000-1111", "甲一村", "海达水产有限公司", "总经理", ""],
        ["2", "王芳", X_ID.lower(), "", "", " 甲二 ", "恒信五金厂", "董事长", ""],
        ["3", "张三", NEW_ID[:17] + "8", "", "", "甲一村", "某厂", "", ""],  # bad check digit
        ["4", "曾国藩", ZENG_ID, "", "", "甲一村", "湘军被服厂", "", "湘乡县团练"],
    ]


def run(actor, data: bytes, *, name="名单.xlsx", decisions=None, commit=True, **options) -> ImportBatch:
    batch = services.start_import(actor=actor, data=data, filename=name, **options)
    services.save_mapping(actor=actor, batch=batch, mapping=dict(batch.mapping))
    services.run_check(actor=actor, batch=batch)
    batch.refresh_from_db()
    if decisions:
        services.save_decisions(actor=actor, batch=batch, decisions=decisions)
    if commit:
        services.run_commit(actor=actor, batch=batch)
        batch.refresh_from_db()
    return batch


def rows_of(batch) -> dict[int, ImportRow]:
    return {r.row: r for r in ImportRow.objects.filter(batch=batch)}


def test_a_real_shaped_sheet_goes_from_upload_to_commit_and_the_counts_add_up(world):
    people_before = Person.objects.count()
    batch = services.start_import(actor=world.township_staff, data=entrepreneurs(standard_rows()),
                                  filename="企业家名单.xlsx")
    sheet = batch.sheets[0]
    assert sheet["header_row"] == TITLE_ROWS + 1  # title, 填报单位 line and blank row skipped
    assert sheet["category"] == "entrepreneur"  # the sheet's name is the category's
    assert batch.mapping["0"][:3] == ["", "person.name", "person.id_number"]  # 序号 is not mapped
    assert batch.mapping["0"][6] == "detail.enterprise_name"

    services.save_mapping(actor=world.township_staff, batch=batch, mapping=dict(batch.mapping))
    services.run_check(actor=world.township_staff, batch=batch)
    batch.refresh_from_db()
    assert Person.objects.count() == people_before  # the dry run writes nothing to the registry
    rows = rows_of(batch)
    assert sorted(rows) == [FIRST_DATA_ROW + i for i in range(4)]  # the 合计 row is not data
    assert [rows[FIRST_DATA_ROW + i].status for i in range(4)] == ["create", "create", "rejected", "update"]
    (problem,) = rows[FIRST_DATA_ROW + 2].problems
    assert problem["column"] == "身份证号码"
    assert "校验位" in problem["message"]
    assert problem["value"] == "330206********0018"  # masked, never the full number (D3)
    assert (batch.created, batch.updated, batch.unchanged, batch.rejected) == (2, 1, 0, 1)
    assert batch.data_rows == 4

    services.run_commit(actor=world.township_staff, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "done"
    assert Person.objects.count() == people_before + 2
    wang = Person.objects.get(name="王芳")
    assert wang.region == world.village_a2  # " 甲二 " matched to 甲二村
    assert wang.id_number_masked.endswith("105X") and wang.sex == "M"
    assert wang.source == Person.Source.IMPORT
    assert wang.memberships.get().entrepreneurdetail.enterprise_name == "恒信五金厂"
    zeng = Person.objects.get(pk=world.person_a1.pk)
    assert zeng.work_unit == "湘乡县团练"  # an empty field was filled
    assert set(zeng.memberships.filter(status="active").values_list("category", flat=True)) == {
        "notable", "entrepreneur"}
    # E4: a history row naming the batch for every person touched
    label = f"批次 {batch.pk}"
    touched = set(HistoryEntry.objects.filter(target__contains=label).values_list("person__name", flat=True))
    assert touched == {"李明", "王芳", "曾国藩"}
    # E1: one audit event for the import, with counts and the file's hash, no personal data
    event = AuditEvent.objects.get(event="import.commit")
    assert event.detail["sm3"] == batch.file_sm3 and event.detail["created"] == 2
    assert not AuditEvent.objects.filter(event="person.create", at__gte=batch.created_at).exists()
    text = json.dumps(event.detail, ensure_ascii=False)
    assert "李明" not in text and NEW_ID not in text
    # F7: the encrypted upload and the progress file are gone
    assert not services.upload_path(batch).exists() and not services.progress_path(batch).exists()


def test_the_upload_waits_encrypted_and_only_readable_by_its_batch(world):
    data = entrepreneurs(standard_rows())
    batch = services.start_import(actor=world.township_staff, data=data, filename="a.xlsx")
    stored = services.upload_path(batch).read_bytes()
    assert NEW_ID.encode() not in stored and b"PK" not in stored[:4]
    assert services.upload_path(batch).stat().st_mode & 0o777 == 0o600
    assert services.load_upload(batch) == data
    services.discard_files(batch)


def test_reimporting_the_same_file_changes_nothing(world):
    data = entrepreneurs(standard_rows())
    first = run(world.township_staff, data)
    people, history = Person.objects.count(), HistoryEntry.objects.count()
    again = run(world.township_staff, data)
    assert (again.created, again.updated, again.rejected) == (0, 0, 1)
    assert again.unchanged == 3 and again.data_rows == first.data_rows == 4
    assert Person.objects.count() == people
    assert HistoryEntry.objects.count() == history  # nothing was touched


def test_duplicates_in_the_file_and_against_the_registry_merge_into_one_person(world):
    rows = [
        ["1", "李明", NEW_ID, "", "", "甲一村", "海达水产有限公司", "", ""],
        ["2", "李明", " ".join([NEW_ID[:6], NEW_ID[6:14], NEW_ID[14:]]), "", "13900001111", "甲一村", "海达水产有限公司",
         "", ""],
        ["3", "王芳", X_ID.lower(), "", "", "甲二村", "恒信五金厂", "", ""],
        ["4", "王芳", X_ID, "", "", "甲二村", "恒信五金厂", "", ""],
        ["5", "赵六", "", "1990-09-09", "", "甲一村", "赵氏茶叶", "", ""],
        ["6", "赵六", "", "1990年9月9日", "", "甲一村", "赵氏茶叶", "经理", ""],
    ]
    before = Person.objects.count()
    batch = run(world.township_staff, entrepreneurs(rows))
    rows_ = rows_of(batch)
    statuses = [rows_[FIRST_DATA_ROW + i].status for i in range(6)]
    # a later row of the same person: "update" when it adds a value, "unchanged" when it adds nothing
    assert statuses == ["create", "update", "create", "unchanged", "create", "update"]
    assert Person.objects.count() == before + 3
    li = Person.objects.get(name="李明")
    assert li.phone_masked == "139****1111"
    assert Person.objects.get(name="赵六").job_title == "经理"
    assert batch.created + batch.updated + batch.unchanged + batch.rejected == 6


def test_conflicting_values_wait_for_a_decision_and_are_kept_until_then(world):
    rows = [["1", "曾国藩", ZENG_ID, "", "13912345678", "甲一村", "湘军被服厂", "", ""]]
    data = entrepreneurs(rows)
    batch = run(world.township_staff, data, commit=False)
    (row,) = ImportRow.objects.filter(batch=batch)
    (conflict,) = row.conflicts
    assert conflict["column"] == "联系电话" and conflict["decision"] == "keep"
    assert conflict["current"] == "138****0000" and conflict["incoming"] == "139****5678"
    services.run_commit(actor=world.township_staff, batch=batch)
    zeng = Person.objects.get(pk=world.person_a1.pk)
    assert zeng.decrypt("phone") == "13800000000"  # kept, not overwritten (F4)

    taken = run(world.township_staff, data, decisions={conflict["key"]: "take"})
    assert taken.updated == 1
    zeng.refresh_from_db()
    assert zeng.decrypt("phone") == "13912345678"


def test_liaison_cannot_import_rows_for_another_village(world):
    rows = [
        ["1", "李明", NEW_ID, "", "", "甲一村", "海达水产有限公司", "", ""],
        ["2", "王芳", X_ID, "", "", "甲二村", "恒信五金厂", "", ""],
        ["3", "钱七", valid_id("33020619700707004"), "", "", "乙一村", "乙一农场", "", ""],
    ]
    before = Person.objects.count()
    batch = run(world.liaison, entrepreneurs(rows))
    got = rows_of(batch)
    assert got[FIRST_DATA_ROW].status == "create"
    other = got[FIRST_DATA_ROW + 1]
    assert other.status == "rejected"
    assert other.problems[0]["column"] == "村（社区）" and other.problems[0]["value"] == "甲二村"
    assert "不是您负责的村" in other.problems[0]["message"]
    assert got[FIRST_DATA_ROW + 2].status == "rejected"  # another township: not even matched
    assert Person.objects.count() == before + 1
    assert not Person.objects.filter(name__in=["王芳", "钱七"]).exists()


def test_a_person_registered_outside_the_users_scope_is_rejected_not_touched(world):
    rows = [["1", "欧阳修", valid_id("33020619880215003"), "", "", "甲一村", "醉翁亭酒坊", "", ""]]
    batch = run(world.township_staff, entrepreneurs(rows))
    (row,) = ImportRow.objects.filter(batch=batch)
    assert row.status == "rejected" and "管辖范围以外" in row.problems[0]["message"]
    assert world.person_b1.memberships.count() == 1


def test_undo_removes_created_people_and_restores_what_was_changed(world):
    zeng_before = Person.objects.get(pk=world.person_a1.pk)
    batch = run(world.township_staff, entrepreneurs(standard_rows()))
    assert Person.objects.filter(name__in=["李明", "王芳"]).count() == 2
    services.undo_batch(actor=world.township_staff, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "undone"
    assert not Person.objects.filter(name__in=["李明", "王芳"]).exists()
    zeng = Person.objects.get(pk=world.person_a1.pk)
    assert zeng.work_unit == zeng_before.work_unit == ""
    assert list(CategoryMembership.objects.filter(person=zeng).values_list("category", flat=True)) == ["notable"]
    assert zeng.decrypt("id_number") == ZENG_ID and zeng.decrypt("phone") == "13800000000"
    assert AuditEvent.objects.filter(event="import.undo", object_id=str(batch.pk)).exists()
    with pytest.raises(ValidationError):
        services.undo_batch(actor=world.township_staff, batch=batch)  # only once


def test_undo_is_refused_naming_the_people_changed_since_the_import(world):
    from tongzhan.people.services import verify_person

    batch = run(world.township_staff, entrepreneurs(standard_rows()))
    verify_person(actor=world.township_staff, person=Person.objects.get(name="王芳"))
    with pytest.raises(ValidationError) as refused:
        services.undo_batch(actor=world.township_staff, batch=batch)
    assert "王芳" in " ".join(refused.value.messages)
    assert Person.objects.filter(name="李明").exists()  # nothing was undone


def test_a_liaison_may_import_but_not_undo_and_a_reviewer_may_not_import(world):
    batch = run(world.liaison, entrepreneurs(standard_rows()[:1]))
    with pytest.raises(PermissionDenied):
        services.undo_batch(actor=world.liaison, batch=batch)
    with pytest.raises(PermissionDenied):
        services.start_import(actor=world.reviewer, data=entrepreneurs(standard_rows()), filename="a.xlsx")


def test_a_category_column_sheet_with_unknown_columns_reports_them(world):
    header = ["姓名", "公民身份号码", "所在村", "类别", "知名领域", "爱好"]
    rows = [["苏轼", valid_id("33020619750303005"), "甲一村", "知名人士", "诗词", "美食"],
            ["黄庭坚", "", "甲一村", "", "", ""]]
    batch = run(world.township_staff, xlsx({"名单": (header, rows)}))
    assert "爱好" in batch.sheets[0]["unknown"]  # reported, not silently dropped (F2)
    got = rows_of(batch)
    assert got[FIRST_DATA_ROW].status == "create"
    assert got[FIRST_DATA_ROW + 1].status == "rejected"
    assert any(p["column"] == "类别" for p in got[FIRST_DATA_ROW + 1].problems)
    su = Person.objects.get(name="苏轼")
    assert su.memberships.get().notabledetail.field == "诗词"


def test_a_region_for_the_whole_file_replaces_the_region_column(world):
    header = ["姓名", "身份证号", "企业名称"]
    rows = [["李明", NEW_ID, "海达水产"]]
    batch = run(world.township_staff, xlsx({"企业家": (header, rows)}), target_region=world.village_a2)
    assert batch.created == 1
    assert Person.objects.get(name="李明").region == world.village_a2
    without = run(world.township_staff, xlsx({"企业家": (header, [["王芳", X_ID, "恒信"]])}), commit=False)
    (row,) = ImportRow.objects.filter(batch=without)
    assert row.status == "rejected" and "所在村（社区）" in row.problems[0]["message"]


def test_a_mapping_is_remembered_for_the_offices_next_file_with_the_same_headers(world):
    header = ["姓名", "身份证号", "村", "单位名称"]  # 单位名称 is not a known synonym
    data = xlsx({"企业家": (header, [["李明", NEW_ID, "甲一村", "海达水产"]])})
    batch = services.start_import(actor=world.township_staff, data=data, filename="a.xlsx")
    assert batch.mapping["0"][3] == ""
    mapping = {"0": ["person.name", "person.id_number", "person.region", "detail.enterprise_name"]}
    services.save_mapping(actor=world.township_staff, batch=batch, mapping=mapping)
    again = services.start_import(actor=world.township_staff, data=data, filename="b.xlsx")
    assert again.mapping["0"][3] == "detail.enterprise_name"
    other_office = services.start_import(actor=world.township_b_staff, data=data, filename="c.xlsx")
    assert other_office.mapping["0"][3] == ""
    with pytest.raises(ValidationError):
        services.save_mapping(actor=world.township_staff, batch=again,
                              mapping={"0": ["person.name", "person.name", "", ""]})
    for b in (batch, again, other_office):
        services.discard_files(b)


def test_refused_files_leave_no_batch_and_say_why(world):
    with pytest.raises(ValidationError) as refused:
        services.start_import(actor=world.township_staff, data=b"MZ\x90\x00" + b"\x00" * 100, filename="名单.xlsx")
    assert "可执行程序" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError):
        services.start_import(actor=world.township_staff, data="标题\n一,二\n".encode(), filename="a.csv")
    assert not ImportBatch.objects.exists()


def test_no_full_id_number_is_stored_in_the_report_rows(world):
    batch = run(world.township_staff, entrepreneurs(standard_rows()), commit=False)
    text = json.dumps(list(ImportRow.objects.filter(batch=batch).values("problems", "warnings", "conflicts")),
                      ensure_ascii=False)
    assert not re.search(r"\d{17}[\dXx]", text)
    services.discard_files(batch)


@pytest.mark.parametrize(("layout", "fmt", "masked"), [("mixed", "xlsx", True), ("category", "csv", False),
                                                      ("category", "xlsx", True)])
def test_an_export_of_this_project_imports_as_is_and_changes_nothing(world, layout, fmt, masked):
    """The export's watermark row sits above the header; masked values (330206********0016, ****) are
    not values: the person is matched by name and birth date instead, and nothing is overwritten."""
    from tongzhan.people.excel import ExportSpec
    from tongzhan.people.models import Category
    from tongzhan.people.selectors import Criteria
    from tongzhan.people.services import exports

    notable = Category.objects.get(code="notable")
    spec = ExportSpec(layout=layout, category=notable, fmt=fmt, masked=masked, purpose="核对表格导入")
    exported = exports.export_people(actor=world.township_staff, criteria=Criteria(category=notable), spec=spec,
                                     description={})
    data = exported.handle.read()
    exported.handle.close()
    history = HistoryEntry.objects.count()
    batch = run(world.township_staff, data, name=exported.filename)  # a CSV's category is in its name
    assert (batch.created, batch.updated, batch.rejected) == (0, 0, 0), list(
        ImportRow.objects.filter(batch=batch).values("row", "status", "problems", "warnings"))
    assert batch.unchanged == 2  # 曾国藩 and 单田芳, township A's notables
    assert HistoryEntry.objects.count() == history


def test_an_upload_left_for_a_day_is_swept_and_the_batch_asks_for_it_again(world):
    import os
    import time

    batch = services.start_import(actor=world.township_staff, data=entrepreneurs(standard_rows()), filename="a.xlsx")
    old = time.time() - services.ABANDONED_SECONDS - 60
    os.utime(services.upload_path(batch), (old, old))
    assert services.sweep_abandoned() == 1
    with pytest.raises(ValidationError, match="重新上传"):
        services.load_upload(batch)


def test_the_bulk_history_row_says_what_the_single_record_services_would(world):
    from tongzhan.people.services.bulk import _snapshot
    from tongzhan.people.services.persons import snapshot

    run(world.township_staff, entrepreneurs(standard_rows()))
    for person in Person.objects.filter(name__in=["李明", "王芳"]).select_related("region"):
        assert _snapshot(person) == snapshot(person)
        entry = HistoryEntry.objects.get(person=person)
        assert entry.action == "import" and entry.changes["证件号码"] == ["", person.id_number_masked]
        assert entry.changes["企业家·企业名称"][1] in ("海达水产有限公司", "恒信五金厂")


def test_imported_people_are_found_by_the_search_like_people_entered_by_hand(world):
    from tongzhan.core import names
    from tongzhan.people import search
    from tongzhan.people.models import PersonSearchDoc

    run(world.township_staff, entrepreneurs(standard_rows()))
    for person in Person.objects.filter(name__in=["李明", "王芳"]):
        doc = PersonSearchDoc.objects.get(person=person)
        assert doc.pk == search.doc_key(person.pk, names.name_pinyin(person.name))
        assert set(names.search_tokens(person.name)) <= set(doc.tokens.split())
