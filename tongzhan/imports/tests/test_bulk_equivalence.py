"""The import's bulk writes (people.services.bulk: RowWriter, pre-allocated ids) against the per-person
services: the same sheet, imported once through the import and once through `create_person` +
`join_category`, leaves the same rows in every table, modulo ids, uids, ciphertexts' nonces and times.

SECURITY.md C1/C2 (sensitive values only as SM4 ciphertext, blind indexes by HMAC-SM3: compared here
decrypted and by index), E1 (one audit row per import), E4 (one history row per person naming the batch,
saying what create + join would have said together).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tongzhan.audit.models import AuditEvent
from tongzhan.imports import services
from tongzhan.imports.models import ImportChange, ImportRow
from tongzhan.imports.pipeline import Options, _person_input, build_plan
from tongzhan.people import search
from tongzhan.people.models import (
    DETAIL_MODELS,
    Category,
    CategoryMembership,
    HistoryEntry,
    Person,
    PersonSearchDoc,
)
from tongzhan.people.services import PersonInput, create_person, join_category
from tongzhan.people.tests.search_world import check_index

from .sheets import valid_id, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号码", "性别", "联系电话", "村（社区）", "详细住址", "民族", "宗教信仰", "政治面貌", "学历",
          "籍贯", "职务", "备注", "企业名称", "统一社会信用代码", "所属行业", "员工人数", "企业职务"]
ROWS = [
    ["李明", valid_id("33020619800101001"), "男", "139-0000-1111", "甲一村", "甲一村 3 号", "回族", "伊斯兰教",
     "中共党员", "大学本科毕业", "浙江宁波", "厂长", "老会员", "海达水产有限公司", "91330206MA2AB1CD3E", "水产养殖",
     "35", "董事长"],
    ["欧阳明远", valid_id("33020619620415002"), "", "", "甲二村", "", "", "", "", "", "", "", "", "醉翁亭茶业", "", "", "",
     ""],
    ["曾小单", valid_id("33020619991231003"), "女", "0574-8765 4321", "甲一村", "", "汉族", "", "群众", "", "", "", "",
     "单家小厂", "", "食品", "", "总经理"],
    ["王芳", "", "女", "13800138000", "甲二村", "", "", "", "", "", "", "", "", "恒信五金厂", "", "", "3", ""],
]
NAMES = ["李明", "欧阳明远", "曾小单", "王芳"]
SKIP = {"id", "uid", "created_at", "updated_at", "id_number_enc", "phone_enc", "address_enc", "ethnicity_enc",
        "religion_enc"}


class _Rollback(Exception):
    pass


def registry_state() -> dict:
    """Everything the four people have in the registry, without ids, uids, nonces or times."""
    state = {}
    for person in Person.objects.filter(name__in=NAMES).select_related("region"):
        row = {f.attname: getattr(person, f.attname) for f in Person._meta.concrete_fields if f.attname not in SKIP}
        row.update({f"{n} (decrypted)": person.decrypt(n) for n in ("id_number", "phone", "address", "ethnicity",
                                                                   "religion")})
        memberships = []
        for membership in CategoryMembership.objects.filter(person=person):
            detail = membership.detail
            memberships.append((membership.category_id, membership.status, membership.since, membership.until,
                                membership.leave_reason, membership.version,
                                {f.attname: getattr(detail, f.attname) for f in detail._meta.concrete_fields
                                 if not f.primary_key}))
        doc = PersonSearchDoc.objects.get(person=person)
        assert doc.pk & search.ID_MASK == person.pk
        row["memberships"] = sorted(memberships, key=repr)
        row["search"] = (doc.pk >> search.ID_BITS, doc.tokens)
        state[person.name] = row
    return state


def test_the_import_writes_what_create_person_and_join_category_would_write(world):
    actor = world.township_staff
    data = xlsx({"企业家": (HEADER, ROWS)})
    events_before = AuditEvent.objects.count()
    try:
        with transaction.atomic():
            batch = services.start_import(actor=actor, data=data, filename="名单.xlsx")
            services.save_mapping(actor=actor, batch=batch, mapping=dict(batch.mapping))
            services.run_check(actor=actor, batch=batch)
            batch.refresh_from_db()
            services.run_commit(actor=actor, batch=batch)
            batch.refresh_from_db()
            assert (batch.created, batch.rejected, batch.status) == (4, 0, "done")
            check_index()  # the bulk writer fed the index itself (write_search_documents)
            imported = registry_state()
            people = {p.name: p for p in Person.objects.filter(name__in=NAMES)}
            histories = {name: list(HistoryEntry.objects.filter(person=p).values_list("action", "target", "changes"))
                         for name, p in people.items()}
            changes = sorted(ImportChange.objects.filter(batch=batch).values_list("kind", "person_id", "before"))
            report = sorted(ImportRow.objects.filter(batch=batch).values_list("row", "status", "label", "problems"))
            audits = list(AuditEvent.objects.filter(pk__gt=0).order_by("-pk").values_list("event", flat=True)
                          [:AuditEvent.objects.count() - events_before])
            # The pre-allocated ids left the counters past them: the next person gets a fresh id.
            later = create_person(actor=actor, data=PersonInput(name="后来者", region=world.village_a1))
            assert later.pk > max(p.pk for p in people.values())
            raise _Rollback
    except _Rollback:
        pass
    assert not Person.objects.filter(name__in=NAMES).exists()

    assert sorted(changes) == sorted(("created", people[n].pk, {}) for n in NAMES)
    assert [r[1] for r in report] == ["create"] * 4 and all(r[3] == [] for r in report)
    assert sorted(r[2] for r in report) == sorted(NAMES)
    assert audits.count("import.commit") == 1 and "person.create" not in audits  # one audit row (E1)

    # The same parsed rows through the per-person services.
    workbook = services.open_upload(data, "名单.xlsx")
    layouts = services.layouts_mod.describe(workbook, None)
    plan = build_plan(workbook, layouts, services.layouts_mod.propose(layouts, None),
                      Options(actor=actor, scope_root=world.township_a, township=world.township_a))
    categories = {c.code: c for c in Category.objects.all()}
    single_histories = {}
    for group in plan.groups:
        person = create_person(actor=actor, data=_person_input(group.values()))
        for code, attributes in group.joins.items():
            join_category(actor=actor, person=person, category=categories[code], attributes=attributes)
        single_histories[person.name] = list(HistoryEntry.objects.filter(person=person).order_by("id")
                                             .values_list("action", "target", "changes"))
    assert registry_state() == imported

    for name in NAMES:
        (action, target, bulk_changes), = histories[name]
        assert action == "import" and target == f"表格导入（批次 {batch.pk}）"
        (_c, _t, created), (_j, short_name, joined) = single_histories[name]
        expected = {**created, short_name: ["", "加入"], **{f"{short_name}·{k}": v for k, v in joined.items()}}
        assert bulk_changes == expected


def test_the_row_writer_writes_the_columns_bulk_create_would(world):
    """RowWriter against Django's own bulk_create, column by column, for every field kind it meets."""
    from tongzhan.people.services.bulk import RowWriter, allocate_ids

    category = Category.objects.get(code="entrepreneur")
    person = Person.objects.get(name="曾国藩")
    model = DETAIL_MODELS["entrepreneur"]

    def build():
        membership = CategoryMembership(person=person, category=category, since=timezone.localdate(), status="archived",
                                        until=timezone.localdate(), leave_reason="离开")
        return membership

    with transaction.atomic():
        ours, theirs = build(), build()
        (ours.pk,) = allocate_ids(CategoryMembership, 1)
        RowWriter(CategoryMembership).objects([ours])
        CategoryMembership.objects.bulk_create([theirs])
        RowWriter(model).objects([model(membership=ours, enterprise_name="甲", staff_count=7, credit_code="")])
        model.objects.bulk_create([model(membership=theirs, enterprise_name="甲", staff_count=7, credit_code="")])
        RowWriter(HistoryEntry, with_pk=False).values([{"person_id": person.pk, "action": "import",
                                                         "changes": {"姓名": ["", "曾国藩"]}}])
        HistoryEntry.objects.bulk_create([HistoryEntry(person=person, action="import",
                                                       changes={"姓名": ["", "曾国藩"]})])
    columns = {f.column for f in CategoryMembership._meta.concrete_fields} - {"id", "created_at", "updated_at"}
    with connection.cursor() as cursor:
        for table, key, pks in (("people_categorymembership", "id", (ours.pk, theirs.pk)),):
            cursor.execute(f"SELECT {', '.join(sorted(columns))} FROM {table} WHERE {key} IN (%s, %s) ORDER BY {key}",
                           list(pks))
            first, second = cursor.fetchall()
            assert first == second
        cursor.execute(f"SELECT enterprise_name, credit_code, industry, staff_count, position FROM {model._meta.db_table}"
                       " WHERE membership_id IN (%s, %s)", [ours.pk, theirs.pk])
        first, second = cursor.fetchall()
        assert first == second == ("甲", "", "", 7, "")
        cursor.execute("SELECT actor_id, actor_name, action, target, changes FROM people_historyentry"
                       " WHERE person_id = %s AND action = 'import' ORDER BY id", [person.pk])
        first, second = cursor.fetchall()
        assert first == second
    assert CategoryMembership.objects.get(pk=ours.pk).created_at is not None


def test_the_bulk_history_labels_of_every_category_are_what_join_category_writes(world):
    from tongzhan.people.services.bulk import _detail_display
    from tongzhan.people.services.categories import _display

    for code, model in DETAIL_MODELS.items():
        related = {f.name: f.related_model.objects.order_by("pk").first() for f in model._meta.concrete_fields
                   if f.is_relation and not f.primary_key}
        assert all(related.values()), code
        blank = model(membership_id=1, **related)
        assert _detail_display(blank) == _display(blank), code
        choices = {f.name: f.choices[-1][0] for f in model._meta.concrete_fields if f.choices}
        flags = {f.name: True for f in model._meta.concrete_fields if f.get_internal_type() == "BooleanField"}
        filled = model(membership_id=1, **related, **choices, **flags)
        assert _detail_display(filled) == _display(filled), code
