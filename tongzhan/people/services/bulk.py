"""Writes for bulk paths (imports): the same validation as the forms' services, one history row per person.

`create_person` + `join_category` write a history row and an audit row per call; an import of 100,000
rows is one audited event (SECURITY.md E1) with one history row per person it touches, naming the batch
(E4). These functions run the same `_apply` (normalisation, encryption, blind indexes), duplicate check,
`full_clean()` and scope check (`require`) as the single-record services, inside the caller's
transaction; the caller writes the one audit row.
"""

from __future__ import annotations

import base64
import datetime
import functools

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import DETAIL_MODELS, Category, CategoryMembership, Ethnicity, Person, Religion
from .categories import _display, _fill_detail
from .common import DuplicateIdentity, audit, diff, history, require
from .persons import (
    PLAIN_FIELDS,
    SENSITIVE_LABEL,
    PersonInput,
    _apply,
    _check_duplicate,
    index_person,
    snapshot,
)

RESTORABLE = [*PLAIN_FIELDS, "id_number_enc", "id_number_bidx", "id_number_masked", "phone_enc", "phone_bidx",
              "phone_masked", "address_enc", "ethnicity_enc", "ethnicity_bidx", "religion_enc", "religion_bidx",
              "name_sort"]


def input_from_person(person: Person) -> PersonInput:
    """The person's current values as a PersonInput (decrypting its sensitive fields), to change a few."""
    ethnicity, religion = person.decrypt("ethnicity"), person.decrypt("religion")
    return PersonInput(
        name=person.name, region=person.region, sex=person.sex, birth_date=person.birth_date,
        id_kind=person.id_kind, id_number=person.decrypt("id_number"), id_country=person.id_country,
        phone=person.decrypt("phone"), address=person.decrypt("address"),
        ethnicity=Ethnicity.objects.filter(code=ethnicity).first() if ethnicity else None,
        religion=Religion.objects.filter(code=religion).first() if religion else None,
        political_affiliation=person.political_affiliation, education=person.education,
        native_place=person.native_place, work_unit=person.work_unit, job_title=person.job_title, note=person.note,
        legal_basis=person.legal_basis, source=person.source, notice_version=person.notice_version,
        purpose=person.purpose,
    )


def freeze(person: Person) -> dict:
    """The stored columns an import may change, as JSON: ciphertexts stay ciphertexts (base64)."""
    out = {}
    for name in RESTORABLE:
        field = Person._meta.get_field(name)
        value = getattr(person, field.attname)
        if isinstance(value, (bytes, memoryview)):
            value = base64.b64encode(bytes(value)).decode("ascii")
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        out[field.attname] = value
    return out


def _thaw(person: Person, frozen: dict) -> None:
    for name in RESTORABLE:
        field = Person._meta.get_field(name)
        if field.attname not in frozen:
            continue
        value = frozen[field.attname]
        if isinstance(field, models.BinaryField) and value is not None:
            value = base64.b64decode(value)
        elif isinstance(field, models.DateField) and value:
            value = datetime.date.fromisoformat(value)
        setattr(person, field.attname, value)


def _join(person: Person, category: Category, attributes: dict, changes: dict) -> CategoryMembership:
    membership = CategoryMembership(person=person, category=category, since=timezone.localdate())
    membership.full_clean()
    membership.save()
    detail = _fill_detail(membership, attributes)
    detail.save()
    changes[f"{category.short_name}"] = ["", str(_("加入"))]
    for label, value in _display(detail).items():
        if value:
            changes[f"{category.short_name}·{label}"] = ["", value]
    return membership


@functools.lru_cache(maxsize=8)
def _snapshot_labels(language: str) -> tuple:
    labels = []
    for name in PLAIN_FIELDS:
        field = Person._meta.get_field(name)
        choices = {value: str(label) for value, label in field.flatchoices} if field.choices else None
        labels.append((name, str(field.verbose_name), choices))
    sensitive = tuple((name, str(label)) for name, label in
                      (("address", _("详细住址")), ("ethnicity", _("民族")), ("religion", _("宗教信仰"))))
    return tuple(labels), str(_("证件号码")), str(_("联系电话")), sensitive


def _snapshot(person: Person) -> dict:
    """What `persons.snapshot` returns, with the labels looked up once per import instead of per person."""
    labels, id_label, phone_label, sensitive = _snapshot_labels(translation.get_language() or "")
    values = {}
    for name, label, choices in labels:
        value = getattr(person, name)
        if choices is not None:
            value = choices.get(value, value)
        values[label] = "" if value is None else str(value)
    values[id_label] = person.id_number_masked
    values[phone_label] = person.phone_masked
    for name, label in sensitive:
        values[label] = SENSITIVE_LABEL if getattr(person, f"{name}_enc") else ""
    return values


@functools.lru_cache(maxsize=64)
def _detail_labels(model, language: str) -> tuple:
    from .categories import HIDDEN_FIELDS

    fields = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in HIDDEN_FIELDS:
            continue
        choices = {value: str(label) for value, label in field.flatchoices} if field.choices else None
        fields.append((field.name, str(field.verbose_name), choices))
    return tuple(fields), str(_("是")), str(_("否"))


def _detail_display(detail) -> dict:
    """What `categories._display` returns, with the labels looked up once per model instead of per row."""
    fields, yes, no = _detail_labels(type(detail), translation.get_language() or "")
    values = {}
    for name, label, choices in fields:
        value = getattr(detail, name)
        if choices is not None:
            value = choices.get(value, value)
        elif isinstance(value, bool):
            value = yes if value else no
        values[label] = "" if value is None else str(value)
    return values


def _syllables(person: Person) -> list[str]:
    """The name's pinyin syllables, read back from `name_sort` ("syllables… name", as generate_people
    does) instead of computing the pinyin a second time; a name_sort cut at 160 characters is recomputed."""
    from tongzhan.core import names

    sort, name = person.name_sort, person.name
    if len(sort) < 160 and sort.endswith(" " + name):
        return sort[: -len(name) - 1].split(" ")
    return names.name_pinyin(name)


class _BlankPerson:
    """`Person(created_by=user)` many times over: the defaults Model.__init__ sets, computed once and
    copied; a field whose default is callable (the row's `uid`, which binds its ciphertexts) gets a fresh
    one per person, as __init__ would give it."""

    def __init__(self, user):
        template = Person(created_by=user)
        self.values = {k: v for k, v in template.__dict__.items() if k != "_state"}
        self.fresh = [f for f in Person._meta.concrete_fields if f.has_default() and callable(f.default)]

    def new(self) -> Person:
        person = Person.__new__(Person)
        person.__dict__.update(self.values)
        person._state = ModelState()
        for field in self.fresh:
            setattr(person, field.attname, field.get_default())
        return person


FOREIGN_KEYS = ["region", "political_affiliation", "education", "id_country", "created_by", "last_verified_by"]
BULK_SIZE = 500


@transaction.atomic(savepoint=False)
def import_create_people(*, actor, items: list[tuple[PersonInput, list[tuple[Category, dict]]]],
                         label: str) -> list[Person]:
    """Many new people at once, each validated as `create_person` + `join_category` validate them.

    Per person: the scope check (`require`, once per village), `_apply` (normalisation, encryption, blind
    indexes), `full_clean()` of the person, of each membership and of each category's attributes. What is
    batched is only the database work: one duplicate lookup per 500 ID numbers, bulk INSERTs, search
    documents and one history row per person. No savepoint of its own: inside the import's transaction a failure
    here fails the whole import (atomic(savepoint=False)), and releasing a savepoint per 500 people
    in a transaction of 100,000 was measurable. Foreign keys arrive as instances the caller read from the
    database, so their per-row existence queries are skipped; the database's foreign-key, unique and check
    constraints still hold every row (a violation rolls the whole import back).
    """

    from .. import search
    from ..models import HistoryEntry

    user = actor if getattr(actor, "pk", None) else None
    actor_name = ((actor.get_full_name() or actor.get_username()) if hasattr(actor, "get_full_name")
                  else actor.get_username())
    allowed = set()
    people = []
    blank = _BlankPerson(user)
    for data, _joins in items:
        if data.region.pk not in allowed:
            require(actor, "people.person", "change", data.region)
            allowed.add(data.region.pk)
        person = blank.new()
        _apply(person, data)
        person.full_clean(exclude=[*FOREIGN_KEYS, "id_number_bidx", "name_sort"], validate_unique=False,
                          validate_constraints=False)
        people.append(person)
    numbers = [p.id_number_bidx for p in people if p.id_number_bidx]
    if len(set(numbers)) != len(numbers):
        raise ValidationError(_("同一批新增人员中有重复的证件号码"))
    for start in range(0, len(numbers), BULK_SIZE):
        existing = Person.objects.filter(id_number_bidx__in=numbers[start:start + BULK_SIZE]).first()
        if existing is not None:
            raise DuplicateIdentity(existing)
    for person, pk in zip(people, allocate_ids(Person, len(people)), strict=True):
        person.pk = pk
    RowWriter(Person).objects(people)
    # Every membership the import creates has the same values but for its person (excluded, as in the
    # single path the person is the one just validated): active, since today, no end. They are validated
    # once per category and written as values; each category's attributes are validated row by row.
    today = timezone.localdate()
    pending, checked = [], set()
    for person, (_data, joins) in zip(people, items, strict=True):
        for category, attributes in joins:
            if category.pk not in checked:
                CategoryMembership(person=person, category=category, since=today).full_clean(
                    exclude=["person", "category"], validate_unique=False, validate_constraints=False)
                checked.add(category.pk)
            pending.append((person, category, attributes))
    membership_ids = allocate_ids(CategoryMembership, len(pending))
    RowWriter(CategoryMembership).values(
        {"id": pk, "person_id": person.pk, "category_id": category.pk, "since": today}
        for pk, (person, category, _a) in zip(membership_ids, pending, strict=True))
    details: dict[type, list] = {}
    shown: dict[int, list] = {}
    for pk, (person, category, attributes) in zip(membership_ids, pending, strict=True):
        # A new membership has no detail yet: build it here rather than look one up per row.
        detail = DETAIL_MODELS[category.pk](membership_id=pk, **attributes)
        detail.full_clean(exclude=["membership"])
        details.setdefault(type(detail), []).append(detail)
        shown.setdefault(person.pk, []).append((category, detail))
    for model, rows in details.items():
        RowWriter(model).objects(rows)
    documents, entries = [], []
    joined = str(_("加入"))
    for person, (data, joins) in zip(people, items, strict=True):
        tokens = search.document_tokens(
            person, region_ids=person.region.ancestor_ids(), category_orders=[c.sort_order for c, _a in joins],
            ethnicity=data.ethnicity.code if data.ethnicity else "", religion=data.religion.code if data.religion else "")
        documents.append({"id": search.doc_key(person.pk, _syllables(person)), "person_id": person.pk,
                          "tokens": " ".join(tokens)})
        changes = diff({}, _snapshot(person))
        for category, detail in shown.get(person.pk, []):
            changes[category.short_name] = ["", joined]
            for key, value in _detail_display(detail).items():
                if value:
                    changes[f"{category.short_name}·{key}"] = ["", value]
        entries.append({"person_id": person.pk, "actor_id": user.pk if user else None, "actor_name": actor_name,
                        "action": "import", "target": label, "changes": changes})
    # In key order (the FTS5 rowid): measured about 15% less FTS5 work per chunk than in person order.
    documents.sort(key=lambda document: document["id"])
    write_search_documents(documents)
    RowWriter(HistoryEntry, with_pk=False).values(entries)
    return people


@transaction.atomic
def import_update_person(*, actor, person: Person, data: PersonInput | None,
                         joins: list[tuple[Category, dict]],
                         detail_changes: list[tuple[CategoryMembership, dict]], label: str) -> dict:
    """Fill fields, join categories and change category attributes of an existing person; one history row.

    Returns what undo needs: {"person": frozen columns before, "details": {membership id: attributes
    before}, "joined": [membership ids]}.
    """
    require(actor, "people.person", "change", person.region)
    current = Person.objects.select_for_update().select_related("region").get(pk=person.pk)
    undo = {"person": None, "details": {}, "joined": []}
    changes: dict = {}
    if data is not None:
        require(actor, "people.person", "change", data.region)
        undo["person"] = freeze(current)
        before = snapshot(current)
        secrets = {n: bool(getattr(current, f"{n}_enc")) for n in ("address", "ethnicity", "religion")}
        old = {n: current.decrypt(n) for n in ("address", "ethnicity", "religion")}
        _apply(current, data)
        _check_duplicate(current)
        changes.update(diff(before, snapshot(current)))
        for name in ("address", "ethnicity", "religion"):
            if old[name] != current.decrypt(name):
                field_label = str(Person._meta.get_field(f"{name}_enc").verbose_name).replace("（密文）", "")
                changes[field_label] = [SENSITIVE_LABEL if secrets[name] else "", SENSITIVE_LABEL]
        current.full_clean(exclude=["id_number_bidx", "name_sort"])
        current.version += 1
        current.save()
    for category, attributes in joins:
        undo["joined"].append(_join(current, category, attributes, changes).pk)
    for membership, attributes in detail_changes:
        require(actor, "people.categorymembership", "change", current.region)
        detail = membership.detail
        before_display = _display(detail) if detail is not None else {}
        undo["details"][str(membership.pk)] = {
            name: _attr_json(detail, name) for name in attributes} if detail is not None else {}
        detail = _fill_detail(membership, attributes)
        detail.save()
        for key, pair in diff(before_display, _display(detail)).items():
            changes[f"{membership.category.short_name}·{key}"] = pair
        membership.version += 1
        membership.save(update_fields=["version", "updated_at"])
    if data is not None or joins:
        index_person(current, ethnicity=data.ethnicity if data else None, religion=data.religion if data else None)
    if changes:
        history(person=current, actor=actor, action="import", target=label, changes=changes)
    return undo


def _attr_json(detail, name: str):
    field = detail._meta.get_field(name)
    value = getattr(detail, field.attname)
    return value.isoformat() if isinstance(value, datetime.date) else value


@transaction.atomic
def undo_import(*, actor, created: list[Person], restored: list[tuple[Person, dict | None, dict, list]],
                label: str, audit_obj, audit_detail: dict) -> None:
    """Revert an import: delete the people it created; restore the fields, attributes and categories
    it changed (`restored`: person, frozen columns or None, {membership id: attributes}, joined
    membership ids). One history row per restored person, one audit row for the undo."""
    for person in created:
        require(actor, "people.person", "delete", person.region)
    for person in created:
        person.delete()
    for person, frozen, details, joined in restored:
        require(actor, "people.person", "change", person.region)
        current = Person.objects.select_for_update().select_related("region").get(pk=person.pk)
        changes = {}
        if frozen is not None:
            before = snapshot(current)
            _thaw(current, frozen)
            changes.update(diff(before, snapshot(current)))
            current.full_clean(exclude=["id_number_bidx", "name_sort"])
            current.version += 1
            current.save()
        for membership in CategoryMembership.objects.filter(pk__in=joined, person=current).select_related("category"):
            changes[membership.category.short_name] = [str(_("加入")), str(_("撤销"))]
            membership.delete()
        for membership_id, attributes in details.items():
            membership = CategoryMembership.objects.filter(pk=int(membership_id), person=current).first()
            if membership is None or membership.detail is None:
                continue
            detail = membership.detail
            before = _display(detail)
            for name, value in attributes.items():
                field = detail._meta.get_field(name)
                if isinstance(field, models.DateField) and value:
                    value = datetime.date.fromisoformat(value)
                setattr(detail, field.attname, value)
            detail.full_clean(exclude=["membership"])
            detail.save()
            for key, pair in diff(before, _display(detail)).items():
                changes[f"{membership.category.short_name}·{key}"] = pair
            membership.version += 1
            membership.save(update_fields=["version", "updated_at"])
        index_person(current)
        history(person=current, actor=actor, action="undo", target=label, changes=changes)
    audit(actor=actor, event="import.undo", obj=audit_obj, detail=audit_detail)


# --- Many rows at once without Django's per-row INSERT compilation --------------------------------------------

_PLAIN_TYPES = {
    models.CharField: (str,), models.TextField: (str,), models.BooleanField: (bool,),
    models.IntegerField: (int,), models.PositiveIntegerField: (int,), models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,), models.BigIntegerField: (int,), models.AutoField: (int,),
    models.BigAutoField: (int,),
}
# Fields whose get_db_prep_save(None) is None (a JSONField's is not: it may write JSON null).
_NONE_AS_NULL = (*_PLAIN_TYPES, models.BinaryField, models.DateField, models.DateTimeField, models.UUIDField)


def _plain_types(field) -> tuple:
    """The Python types whose value `field.get_db_prep_save` returns unchanged (checked by exact type, so a
    subclass with its own conversion, a TextChoices member or a lazy string takes the field's own path)."""
    if type(field) in (models.ForeignKey, models.OneToOneField):
        return _PLAIN_TYPES.get(type(field.target_field), ())
    return _PLAIN_TYPES.get(type(field), ())


def _none_as_null(field) -> bool:
    if type(field) in (models.ForeignKey, models.OneToOneField):
        field = field.target_field
    return type(field) in _NONE_AS_NULL


class RowWriter:
    """INSERTs of many rows of one model through `cursor.executemany`, one statement per table.

    `bulk_create` compiles every row's SQL and placeholders anew through the query compiler: a third of
    a 100,000-row import. This writes the very column values the model would: each field's `pre_save`
    (auto_now / auto_now_add) and `get_db_prep_save` (JSON, dates, the SM4 ciphertexts' binary
    adaptation), skipped only where that is the identity (a str for a CharField, an int for an integer
    column, checked by exact type per value; None for a nullable column). Like `bulk_create`, no signals
    and no `save()`. Primary keys are either given (pre-allocated with `allocate_ids`, or not auto) or
    left to the database.
    """

    CHUNK = 2000

    def __init__(self, model, *, with_pk: bool = True):
        meta = model._meta
        if meta.parents:
            raise TypeError(f"{model.__name__}: multi-table inheritance is not supported")
        self.model = model
        self.fields = [f for f in meta.local_concrete_fields
                       if with_pk or not (f.primary_key and isinstance(f, models.AutoField))]
        quote = connection.ops.quote_name
        # Identifiers from the model's own meta, quoted; values only as parameters.
        self.sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in self.fields)}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(self.fields))})")
        self.plan = [(field, field.attname, type(field).pre_save is not models.Field.pre_save,
                      _plain_types(field), _none_as_null(field)) for field in self.fields]

    def _prepared(self, raw: list) -> tuple:
        # The connection itself, not django.db.connection: every field's get_db_prep_value reads
        # `connection.ops`, and through the thread-local proxy that was a tenth of an import's Python time.
        db = connections[DEFAULT_DB_ALIAS]
        row = []
        for (field, _name, _hooks, plain, none_as_null), value in zip(self.plan, raw, strict=True):
            if value is None:
                if not none_as_null:
                    value = field.get_db_prep_save(value, db)
            elif type(value) not in plain:
                value = field.get_db_prep_save(value, db)
            row.append(value)
        return tuple(row)

    def objects(self, objs) -> None:
        """Insert model instances (as bulk_create would; their pk set beforehand unless the model's is auto)."""
        rows = []
        for obj in objs:
            stored = obj.__dict__
            rows.append(self._prepared([field.pre_save(obj, True) if hooks
                                        else stored[name] if name in stored else getattr(obj, name)
                                        for field, name, hooks, _plain, _null in self.plan]))
            obj._state.adding, obj._state.db = False, connection.alias
            if len(rows) >= self.CHUNK:
                self._execute(rows)
                rows = []
        self._execute(rows)

    def values(self, rows_of_values) -> None:
        """Insert rows given as {attname: value}: a missing field takes what Model(...) would give it (its
        default; "" for a text field without one; None), an auto_now(_add) field the time of this call."""
        now = timezone.now()
        fixed, factories = {}, {}
        for field, name, _hooks, _plain, _null in self.plan:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                fixed[name] = now
            elif callable(field.default):
                factories[name] = field.get_default
            else:
                fixed[name] = field.get_default()
        # A fixed value (a default, the time of this call) is the same in every row: prepared once.
        db = connections[DEFAULT_DB_ALIAS]
        ready = {}
        for (_field, name, *_rest), value in zip(self.plan, self._prepared(
                [fixed.get(name) for _f, name, *_rest in self.plan]), strict=True):
            if name in fixed:
                ready[name] = value
        rows = []
        for given in rows_of_values:
            row = []
            for field, name, _hooks, plain, none_as_null in self.plan:
                if name in given:
                    value = given[name]
                    if value is None:
                        if not none_as_null:
                            value = field.get_db_prep_save(value, db)
                    elif type(value) not in plain:
                        value = field.get_db_prep_save(value, db)
                elif name in ready:
                    value = ready[name]
                else:
                    value = field.get_db_prep_save(factories[name](), db)
                row.append(value)
            rows.append(tuple(row))
            if len(rows) >= self.CHUNK:
                self._execute(rows)
                rows = []
        self._execute(rows)

    def _execute(self, rows: list) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, rows)


INSERT_TRIGGER = "people_psd_ai"  # SQLite: feeds FTS5 one document per inserted row (migrations 0002, 0007)


def write_search_documents(documents: list[dict]) -> None:
    """Insert search documents ({id, person_id, tokens}) and index them.

    On SQLite the FTS5 insert trigger is dropped and FTS5 gets each chunk's rows in one executemany:
    fed by the trigger, one document per nested statement, it does three to four times the work
    (measured in isolation), and a trigger that is merely switched off (migration 0006's pause row)
    still costs a test per row that grew with the import's transaction, to 14–21 s of a 100,000-row
    import (migration 0007). The trigger is created again from the SQL SQLite stored for it, in the
    same transaction as the drop, the documents and the index; no savepoint of its own (releasing one
    per chunk cost an import 2 s): a failure inside an enclosing transaction dooms all of it (Django's
    atomic(savepoint=False)), so the drop is never committed without the re-creation. The import holds SQLite's one write lock from its start, so no other writer
    meets the table without its trigger; readers see the schema as committed.

    On PostgreSQL each chunk is one INSERT from arrays: the posting table's triggers run once per
    statement (migration 0005), and `executemany` would make every document a statement of its own.
    """
    from ..models import PersonSearchDoc

    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(PersonSearchDoc._meta.db_table)
        with connection.cursor() as cursor:
            for start in range(0, len(documents), RowWriter.CHUNK):
                chunk = documents[start:start + RowWriter.CHUNK]
                cursor.execute(
                    f"INSERT INTO {table} (id, person_id, tokens)"  # noqa: S608 — the model's own table name
                    " SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[])",
                    [[d["id"] for d in chunk], [d["person_id"] for d in chunk], [d["tokens"] for d in chunk]])
        return
    if not documents:
        return
    writer = RowWriter(PersonSearchDoc)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [INSERT_TRIGGER])
        found = cursor.fetchone()
        if found is None:
            raise RuntimeError(f"SQLite trigger {INSERT_TRIGGER} is missing: the search index would not be kept")
        cursor.execute(f"DROP TRIGGER {INSERT_TRIGGER}")
        for start in range(0, len(documents), RowWriter.CHUNK):
            chunk = documents[start:start + RowWriter.CHUNK]
            writer.values(chunk)
            cursor.executemany("INSERT INTO people_person_fts (rowid, tokens) VALUES (%s, %s)",
                               [(document["id"], document["tokens"]) for document in chunk])
        cursor.execute(found[0])


def allocate_ids(model, count: int) -> list[int]:
    """`count` fresh primary keys for `model`, to insert rows with their ids known (for the rows that point
    at them). PostgreSQL: from the identity column's sequence. SQLite: above both the table's largest id
    and its AUTOINCREMENT counter — safe because the import's transaction holds SQLite's one write lock
    from its start (transaction_mode IMMEDIATE); inserting them moves the counter past them."""
    if count <= 0:
        return []
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, column, count])
            return sorted(row[0] for row in cursor.fetchall())
        if connection.vendor != "sqlite":
            raise NotImplementedError(connection.vendor)
        if not connection.in_atomic_block:
            raise RuntimeError("allocate_ids must run inside the import's transaction")
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")  # noqa: S608 — the model's own names
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        start = max(highest, found[0] if found else 0) + 1
    return list(range(start, start + count))
