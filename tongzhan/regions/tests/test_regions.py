"""The region tree: create, rename, move, retire and restore; code rules; imports; the audit of each write."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Max

from tongzhan.audit.models import AuditEvent
from tongzhan.audit.services import verify_chain
from tongzhan.core.actors import SYSTEM
from tongzhan.people import selectors as people_selectors
from tongzhan.people.forms import PersonForm, PersonSearchForm
from tongzhan.people.models import Person
from tongzhan.regions import services
from tongzhan.regions.models import Region

pytestmark = pytest.mark.django_db

HEADER = "code,name,parent_code,level\n"
# Children before their parents, as an export sorted by name might list them.
NEW_TOWNSHIP = [
    ("330206103201001", "丙一村一组", "330206103201", "group"),
    ("330206103201", "丙一村", "330206103000", "village"),
    ("330206103202", "丙二村", "330206103000", "village"),
    ("330206103000", "丙镇", "330206000000", "township"),
]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The world creates nine users; the default hasher would spend seconds on each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def csv_bytes(rows, encoding="utf-8", header=HEADER) -> bytes:
    return (header + "".join(",".join(row) + "\n" for row in rows)).encode(encoding)


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def assert_tree_is_consistent():
    """Every path is its parent's path plus its own id; the tree has no orphans."""
    by_id = {r.pk: r for r in Region.objects.all()}
    for region in by_id.values():
        expected = (by_id[region.parent_id].path if region.parent_id else "/") + f"{region.pk}/"
        assert region.path == expected, region.name


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def events_since(mark: int) -> list[str]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("event", flat=True))


def audit_mark() -> int:
    return AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0


def found(user, **criteria) -> list[str]:
    return [
        p.name for p in people_selectors.search_people(user, people_selectors.Criteria(**criteria)).people
    ]


# --- create ----------------------------------------------------------------------------------------


def test_a_region_is_created_under_its_parent_and_audited(world):
    village = services.create_region(
        actor=world.township_staff,
        name=" 甲三村 ",
        code="330206101203",
        level="village",
        parent=world.township_a,
    )
    assert village.name == "甲三村"
    assert village.path == f"{world.township_a.path}{village.pk}/"
    assert village.depth == 3
    event = last_event()
    assert (event.event, event.object_id, event.username) == ("region.create", str(village.pk), "township_a")
    assert event.detail == {"code": "330206101203", "name": "甲三村"}


def test_a_villagers_group_takes_fifteen_digits(world):
    group = services.create_region(
        actor=SYSTEM, name="甲一村一组", code="330206101201001", level="group", parent=world.village_a1
    )
    assert group.path == f"{world.village_a1.path}{group.pk}/"


@pytest.mark.parametrize(
    ("code", "level", "parent", "message"),
    [
        ("33020610120", "village", "township_a", "区划代码应为 12 位数字，收到 “33020610120”"),
        ("3302061012031", "village", "township_a", "区划代码应为 12 位数字"),
        ("33020610120a", "village", "township_a", "区划代码应为 12 位数字"),
        ("330206101201", "group", "village_a1", "村民小组代码应为 15 位数字"),
        ("330206102203", "village", "township_a", "代码 “330206102203” 不在上级代码 “330206101000” 之下"),
        ("330206101201001", "group", "village_a2", "不在上级代码 “330206101202” 之下"),
        ("330206104001", "township", "district", "乡镇（街道）代码第 9 位之后应全为 0，收到 “330206104001”"),
        ("330206101210", "township", "district", "第 9 位之后应全为 0"),
        ("330207104000", "township", "district", "不在上级代码 “330206000000” 之下"),
        ("330206101203", "village", "district", "行政村（社区）的上级必须是乡镇（街道）"),
        ("330206101203", "township", "township_a", "乡镇（街道）的上级必须是区（县）"),
    ],
)
def test_a_bad_code_or_parent_is_refused_with_a_message_that_names_the_problem(
    world, code, level, parent, message
):
    count, mark = Region.objects.count(), audit_mark()
    with pytest.raises(ValidationError) as caught:
        services.create_region(
            actor=SYSTEM, name="新区划", code=code, level=level, parent=getattr(world, parent)
        )
    assert message in " ".join(caught.value.messages)
    assert Region.objects.count() == count
    assert events_since(mark) == []


def test_a_code_already_in_use_is_refused(world):
    with pytest.raises(ValidationError):
        services.create_region(
            actor=SYSTEM, name="重复", code="330206101201", level="village", parent=world.township_a
        )


def test_nothing_is_created_under_a_retired_region(world):
    services.retire_region(actor=SYSTEM, region=world.village_a2)
    with pytest.raises(ValidationError) as caught:
        services.create_region(
            actor=SYSTEM, name="甲二村一组", code="330206101202001", level="group", parent=world.village_a2
        )
    assert "上级区划“甲二村”已撤销" in caught.value.messages


@pytest.mark.parametrize(
    ("user", "parent"),
    [
        ("township_staff", "township_b"),
        ("liaison", "township_a"),
        ("reviewer", "township_a"),
        ("township_staff", "district"),
    ],
)
def test_regions_are_created_only_inside_the_users_scope_and_role(world, user, parent):
    count = Region.objects.count()
    with pytest.raises(PermissionDenied):
        services.create_region(
            actor=getattr(world, user),
            name="越权",
            code="330206101209",
            level="village",
            parent=getattr(world, parent),
        )
    assert Region.objects.count() == count


def test_the_create_page_creates_a_region(world, as_user):
    response = as_user(world.township_staff).post(
        "/regions/new/",
        {"name": "甲三村", "code": "330206 101203", "level": "village", "parent": world.township_a.pk},
    )
    assert response.status_code == 302
    assert Region.objects.get(code="330206101203").parent == world.township_a
    assert last_event().event == "region.create"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("33020610120", "区划代码应为 12 位数字"),
        ("330206102203", "不在上级代码"),
        ("330206101201", "区划代码 330206101201 已存在"),
    ],
)
def test_the_create_page_shows_the_code_problem(world, as_user, code, message):
    count = Region.objects.count()
    response = as_user(world.township_staff).post(
        "/regions/new/", {"name": "甲三村", "code": code, "level": "village", "parent": world.township_a.pk}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Region.objects.count() == count


def test_the_create_page_does_not_offer_a_parent_outside_the_scope(world, as_user):
    response = as_user(world.township_staff).post(
        "/regions/new/",
        {"name": "乙二村", "code": "330206102202", "level": "village", "parent": world.township_b.pk},
    )
    assert "所选上级区划不存在或不在您的管辖范围内" in response.content.decode()
    assert not Region.objects.filter(code="330206102202").exists()


# --- rename ----------------------------------------------------------------------------------------


def test_renaming_keeps_code_and_path_and_is_audited(world):
    before = (world.village_a1.code, world.village_a1.path)
    services.rename_region(actor=world.township_staff, region=world.village_a1, name="甲一社区")
    world.village_a1.refresh_from_db()
    assert world.village_a1.name == "甲一社区"
    assert (world.village_a1.code, world.village_a1.path) == before
    assert last_event().detail == {"from": "甲一村", "to": "甲一社区"}


def test_the_rename_page_renames(world, as_user):
    response = as_user(world.township_staff).post(
        f"/regions/{world.village_a1.pk}/rename/", {"name": "甲一社区"}
    )
    assert response.status_code == 302
    world.village_a1.refresh_from_db()
    assert world.village_a1.name == "甲一社区"
    assert last_event().event == "region.rename"


# --- move ------------------------------------------------------------------------------------------


def test_moving_a_village_moves_every_descendants_path(world):
    groups = [
        services.create_region(
            actor=SYSTEM,
            name=f"甲一村{n}组",
            code=f"330206101201{n:03d}",
            level="group",
            parent=world.village_a1,
        )
        for n in (1, 2)
    ]
    services.move_region(actor=world.district_staff, region=world.village_a1, new_parent=world.township_b)
    village = Region.objects.get(pk=world.village_a1.pk)
    assert village.parent == world.township_b
    assert village.path == f"{world.township_b.path}{village.pk}/"
    for group in groups:
        group.refresh_from_db()
        assert group.path == f"{village.path}{group.pk}/"
    assert_tree_is_consistent()
    event = last_event()
    assert (event.event, event.detail) == ("region.move", {"from": "330206101000", "to": "330206102000"})


def test_moving_a_township_to_another_district_moves_villages_and_groups(world):
    other = services.create_region(
        actor=SYSTEM, name="邻区", code="330207000000", level="district", parent=None
    )
    services.create_region(
        actor=SYSTEM, name="甲一村一组", code="330206101201001", level="group", parent=world.village_a1
    )
    services.move_region(actor=SYSTEM, region=world.township_a, new_parent=other)
    assert_tree_is_consistent()
    moved = Region.objects.filter(path__startswith=Region.objects.get(pk=world.township_a.pk).path)
    assert sorted(r.name for r in moved) == ["甲一村", "甲一村一组", "甲二村", "甲镇"]
    assert all(r.path.startswith(other.path) for r in moved)


def test_people_below_a_moved_village_are_found_under_the_new_township_and_not_the_old(world):
    services.move_region(actor=world.district_staff, region=world.village_a1, new_parent=world.township_b)
    district = world.district_staff
    assert found(district, region=world.township_b) == ["欧阳修", "曾国藩"]
    assert found(district, region=world.township_a) == ["单田芳"]
    assert found(district, region=world.township_b, q="zgf") == ["曾国藩"]
    assert found(district, region=world.township_a, q="zgf") == []
    # And the scopes follow: township B's office now has the person, township A's no longer.
    assert found(world.township_b_staff, q="zgf") == ["曾国藩"]
    assert found(world.township_staff, q="zgf") == []


def test_the_search_page_follows_a_move(world, as_user):
    services.move_region(actor=world.district_staff, region=world.village_a1, new_parent=world.township_b)
    client = as_user(world.district_staff)
    assert "曾国藩" in client.get("/people/", {"region": world.township_b.pk}).content.decode()
    assert "曾国藩" not in client.get("/people/", {"region": world.township_a.pk}).content.decode()


def test_a_tampered_record_does_not_block_a_move(world):
    person = world.person_a1
    blob = bytearray(bytes(person.ethnicity_enc))
    blob[-1] ^= 0xFF
    Person.objects.filter(pk=person.pk).update(ethnicity_enc=bytes(blob))
    services.move_region(actor=world.district_staff, region=world.village_a1, new_parent=world.township_b)
    assert found(world.district_staff, region=world.township_b, q="zgf") == ["曾国藩"]
    assert found(world.district_staff, region=world.township_a, q="zgf") == []


@pytest.mark.parametrize(
    ("region", "new_parent", "message"),
    [
        ("township_a", "village_a1", "不能把区划移到它自己或它的下级之下"),
        ("township_a", "township_a", "不能把区划移到它自己或它的下级之下"),
        ("village_a1", "district", "行政村（社区）的上级必须是乡镇（街道）"),
    ],
)
def test_a_move_that_would_break_the_tree_is_refused(world, region, new_parent, message):
    paths = list(Region.objects.order_by("pk").values_list("path", flat=True))
    with pytest.raises(ValidationError) as caught:
        services.move_region(
            actor=SYSTEM, region=getattr(world, region), new_parent=getattr(world, new_parent)
        )
    assert message in " ".join(caught.value.messages)
    assert list(Region.objects.order_by("pk").values_list("path", flat=True)) == paths


def test_a_township_user_cannot_move_a_village_out_of_the_township(world):
    with pytest.raises(PermissionDenied):
        services.move_region(actor=world.township_staff, region=world.village_a1, new_parent=world.township_b)
    world.village_a1.refresh_from_db()
    assert world.village_a1.parent == world.township_a


def test_the_move_page_moves(world, as_user):
    response = as_user(world.district_staff).post(
        f"/regions/{world.village_a2.pk}/move/", {"new_parent": world.township_b.pk}
    )
    assert response.status_code == 302
    assert Region.objects.get(pk=world.village_a2.pk).parent == world.township_b
    assert found(world.township_b_staff, q="stf") == ["单田芳"]


def test_the_move_page_explains_a_refused_move(world, as_user):
    response = as_user(world.district_staff).post(
        f"/regions/{world.village_a2.pk}/move/", {"new_parent": world.district.pk}
    )
    assert response.status_code == 200
    assert "的上级必须是" in response.content.decode()


# --- retire and restore ----------------------------------------------------------------------------


def test_retiring_keeps_the_people_and_stops_offering_the_region_for_new_records(world):
    services.retire_region(actor=world.township_staff, region=world.village_a2)
    world.village_a2.refresh_from_db()
    assert world.village_a2.is_retired and world.village_a2.retired_at is not None
    assert last_event().event == "region.retire"
    assert Person.objects.get(pk=world.person_a2.pk).region == world.village_a2
    assert world.village_a2 not in PersonForm(user=world.township_staff).fields["region"].queryset
    assert world.village_a2 in PersonSearchForm(user=world.township_staff).fields["region"].queryset
    assert found(world.township_staff, q="stf") == ["单田芳"]


def test_a_region_with_live_children_cannot_be_retired(world):
    with pytest.raises(ValidationError) as caught:
        services.retire_region(actor=SYSTEM, region=world.township_a)
    assert "“甲镇”下还有未撤销的下级区划" in caught.value.messages[0]


def test_restoring_brings_a_region_back(world):
    services.retire_region(actor=SYSTEM, region=world.village_a2)
    services.restore_region(actor=SYSTEM, region=world.village_a2)
    world.village_a2.refresh_from_db()
    assert not world.village_a2.is_retired and world.village_a2.retired_at is None
    assert last_event().event == "region.restore"


def test_a_child_of_a_retired_region_cannot_be_restored_first(world):
    for region in (world.village_a1, world.village_a2, world.township_a):
        services.retire_region(actor=SYSTEM, region=region)
    with pytest.raises(ValidationError) as caught:
        services.restore_region(actor=SYSTEM, region=world.village_a1)
    assert "上级区划已撤销，请先恢复上级" in caught.value.messages


def test_the_retire_button_retires_and_then_restores(world, as_user):
    client = as_user(world.township_staff)
    assert client.post(f"/regions/{world.village_a2.pk}/retire/").status_code == 302
    assert Region.objects.get(pk=world.village_a2.pk).is_retired
    assert client.post(f"/regions/{world.village_a2.pk}/retire/").status_code == 302
    assert not Region.objects.get(pk=world.village_a2.pk).is_retired
    assert events_since(0)[-2:] == ["region.retire", "region.restore"]


def test_the_retire_button_explains_why_a_township_cannot_go(world, as_user):
    response = as_user(world.township_staff).post(f"/regions/{world.township_a.pk}/retire/", follow=True)
    assert "下还有未撤销的下级区划" in response.content.decode()
    assert not Region.objects.get(pk=world.township_a.pk).is_retired


def test_the_region_list_shows_the_users_subtree_in_tree_order(world, as_user):
    html = as_user(world.township_staff).get("/regions/").content.decode()
    assert html.index("甲镇") < html.index("甲一村") < html.index("甲二村")
    assert "乙一村" not in html


# --- import ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_csv_imports_parents_after_children_in_file_order(world, encoding):
    mark = audit_mark()
    result = services.import_regions(
        actor=world.district_staff, data=csv_bytes(NEW_TOWNSHIP, encoding), filename="regions.csv"
    )
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    township = Region.objects.get(code="330206103000")
    assert (township.name, township.parent, township.level) == ("丙镇", world.district, "township")
    assert Region.objects.get(code="330206103201001").parent == Region.objects.get(code="330206103201")
    assert_tree_is_consistent()
    assert events_since(mark).count("region.create") == 4
    assert events_since(mark)[-1] == "region.import"


def test_chinese_level_words_are_understood(world):
    rows = [
        ("330206103000", "丙镇", "330206000000", "镇"),
        ("330206103201", "丙一村", "330206103000", "行政村"),
        ("330206103202", "丙社区", "330206103000", "社区"),
        ("330206103201001", "一组", "330206103201", "村民小组"),
    ]
    result = services.import_regions(actor=SYSTEM, data=csv_bytes(rows, "gbk"), filename="区划.csv")
    assert result.errors == [] and result.created == 4
    assert Region.objects.get(code="330206103202").level == "village"


def test_an_xlsx_built_in_excel_imports_too(world):
    rows = [list(row) for row in NEW_TOWNSHIP]
    rows[1][0] = 330206103201  # Excel keeps a typed-in code as a number
    result = services.import_regions(actor=SYSTEM, data=xlsx_bytes(rows), filename="区划.xlsx")
    assert result.errors == []
    assert result.created == 4
    assert Region.objects.get(code="330206103201").name == "丙一村"


def test_importing_the_same_file_again_changes_nothing(world):
    data = csv_bytes(NEW_TOWNSHIP)
    services.import_regions(actor=SYSTEM, data=data, filename="regions.csv")
    snapshot = list(Region.objects.order_by("pk").values_list("pk", "name", "path", "parent_id"))
    result = services.import_regions(actor=SYSTEM, data=data, filename="regions.csv")
    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, 4, [])
    assert list(Region.objects.order_by("pk").values_list("pk", "name", "path", "parent_id")) == snapshot


def test_a_reimport_renames_and_moves_back_what_changed(world):
    services.import_regions(actor=SYSTEM, data=csv_bytes(NEW_TOWNSHIP), filename="regions.csv")
    services.move_region(
        actor=SYSTEM, region=Region.objects.get(code="330206103202"), new_parent=world.township_b
    )
    rows = [*NEW_TOWNSHIP, ("330206101201", "甲一社区", "330206101000", "village")]
    result = services.import_regions(actor=SYSTEM, data=csv_bytes(rows), filename="regions.csv")
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 2, 3)
    assert Region.objects.get(code="330206101201").name == "甲一社区"
    assert Region.objects.get(code="330206103202").parent.code == "330206103000"
    assert_tree_is_consistent()


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        (
            NEW_TOWNSHIP[:1] + [("3302061032", "丙三村", "330206103000", "village")] + NEW_TOWNSHIP[1:],
            HEADER,
            "第 3 行：区划代码应为 12 位数字",
        ),
        (
            NEW_TOWNSHIP + [("330206104201", "丁一村", "330206103000", "village")],
            HEADER,
            "第 6 行：代码 “330206104201” 不在上级代码",
        ),
        (
            NEW_TOWNSHIP + [("330206103203", "丙三村", "330206103000", "hamlet")],
            HEADER,
            "第 6 行：层级 “hamlet” 无法识别",
        ),
        (NEW_TOWNSHIP + [("330206103203", "", "330206103000", "village")], HEADER, "第 6 行：名称为空"),
        (
            NEW_TOWNSHIP + [("330206103202", "丙二村", "330206103000", "village")],
            HEADER,
            "第 6 行：代码 330206103202 与第 4 行重复",
        ),
        (NEW_TOWNSHIP, "编码,名称,上级,层级\n", "第 1 行应为表头 code,name,parent_code,level"),
        (
            NEW_TOWNSHIP + [("330206105201", "戊一村", "330206105000", "village")],
            HEADER,
            "第 6 行：上级代码 330206105000 既不在文件中也不在系统中",
        ),
    ],
)
def test_any_error_in_an_import_writes_nothing(world, rows, header, message):
    count, mark = Region.objects.count(), audit_mark()
    result = services.import_regions(
        actor=SYSTEM, data=csv_bytes(rows, header=header), filename="regions.csv"
    )
    assert any(message in error for error in result.errors), result.errors
    assert (result.created, result.updated) == (0, 0)
    assert Region.objects.count() == count
    assert events_since(mark) == []


def test_an_import_reaching_outside_the_scope_writes_nothing(world):
    rows = [
        ("330206101203", "甲三村", "330206101000", "village"),
        ("330206102202", "乙二村", "330206102000", "village"),
    ]
    count = Region.objects.count()
    result = services.import_regions(actor=world.township_staff, data=csv_bytes(rows), filename="regions.csv")
    assert result.errors and "不在您的管辖范围内" in result.errors[0]
    assert Region.objects.count() == count


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"\xff\xfe\x00\x00garbage\x81\x30", "regions.csv", "无法识别文件编码"),
        (b"not a workbook", "regions.xlsx", "不是 Excel 工作簿"),
        (b"PK\x03\x04broken", "regions.xlsx", "Excel 文件已损坏"),
        (b"", "regions.csv", "第 1 行应为表头"),
    ],
)
def test_an_unreadable_file_is_explained(world, data, filename, message):
    result = services.import_regions(actor=SYSTEM, data=data, filename=filename)
    assert any(message in error for error in result.errors), result.errors


def test_the_import_page_imports_and_reports(world, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user(world.district_staff)
    upload = SimpleUploadedFile("regions.csv", csv_bytes(NEW_TOWNSHIP, "gbk"), content_type="text/csv")
    response = client.post("/regions/import/", {"file": upload}, follow=True)
    assert "导入完成：新增 4，更新 0，未变 0" in response.content.decode()
    bad = SimpleUploadedFile("regions.csv", csv_bytes([("1", "坏", "", "village")]), content_type="text/csv")
    response = client.post("/regions/import/", {"file": bad})
    assert response.status_code == 200
    assert "未导入任何数据" in response.content.decode()


def test_the_import_command_prints_a_summary(world, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_bytes(csv_bytes(NEW_TOWNSHIP, "gbk"))
    out = io.StringIO()
    call_command("import_regions", str(path), stdout=out)
    assert "导入完成：新增 4，更新 0，未变 0" in out.getvalue()
    assert last_event().event == "region.import" and last_event().username == "system"
    out = io.StringIO()
    call_command("import_regions", str(path), stdout=out)
    assert "导入完成：新增 0，更新 0，未变 4" in out.getvalue()


def test_the_import_command_fails_loudly_and_writes_nothing(world, tmp_path):
    path = tmp_path / "regions.xlsx"
    rows = [list(r) for r in NEW_TOWNSHIP] + [["330206103", "坏码", "330206103000", "village"]]
    path.write_bytes(xlsx_bytes(rows))
    count = Region.objects.count()
    with pytest.raises(CommandError) as caught:
        call_command("import_regions", str(path), stdout=io.StringIO())
    assert "导入失败，未写入任何数据" in str(caught.value)
    assert "第 6 行" in str(caught.value)
    assert Region.objects.count() == count
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_regions", str(tmp_path / "missing.csv"))


# --- audit -----------------------------------------------------------------------------------------


def test_every_region_write_is_audited_and_the_chain_holds(world):
    mark = audit_mark()
    actor = world.district_staff
    village = services.create_region(
        actor=actor, name="甲三村", code="330206101203", level="village", parent=world.township_a
    )
    services.rename_region(actor=actor, region=village, name="甲三社区")
    services.move_region(actor=actor, region=village, new_parent=world.township_b)
    services.retire_region(actor=actor, region=village)
    services.restore_region(actor=actor, region=village)
    services.import_regions(actor=actor, data=csv_bytes(NEW_TOWNSHIP[3:]), filename="regions.csv")
    assert events_since(mark) == [
        "region.create",
        "region.rename",
        "region.move",
        "region.retire",
        "region.restore",
        "region.create",
        "region.import",
    ]
    assert set(AuditEvent.objects.filter(id__gt=mark).values_list("username", flat=True)) == {"district"}
    intact, broken, _checked = verify_chain()
    assert (intact, broken) == (True, None)
