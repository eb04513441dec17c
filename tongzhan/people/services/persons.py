"""Create, update, verify and delete people; keep their search documents in step."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.core import crypto, identity, names
from tongzhan.core.crypto import IntegrityAlarm

from .. import search
from ..models import CategoryMembership, Ethnicity, Person, PersonSearchDoc, Religion
from .common import DuplicateIdentity, EditConflict, audit, diff, history, require

PLAIN_FIELDS = ["name", "sex", "birth_date", "id_kind", "id_country", "political_affiliation", "education",
                "region", "native_place", "work_unit", "job_title", "note", "legal_basis", "source",
                "notice_version", "purpose"]
SENSITIVE_LABEL = "（敏感信息，已加密）"


ONE_DAY = datetime.timedelta(days=1)


@dataclass
class PersonInput:
    """What a form, an import row or a command supplies. Code-table values are model instances."""

    name: str
    region: object
    sex: str = ""
    birth_date: datetime.date | None = None
    id_kind: str = Person.IdKind.RESIDENT
    id_number: str = ""
    id_country: object = None
    phone: str = ""
    address: str = ""
    ethnicity: object = None
    religion: object = None
    political_affiliation: object = None
    education: object = None
    native_place: str = ""
    work_unit: str = ""
    job_title: str = ""
    note: str = ""
    legal_basis: str = Person.LegalBasis.STATUTORY
    source: str = Person.Source.STAFF
    notice_version: str = ""
    purpose: str = "统战工作联系服务"


def normalize_identity(data: PersonInput) -> tuple[str, str]:
    """Return (normalised number, masked number); fill birth date and sex from a resident ID."""
    raw = (data.id_number or "").strip()
    if not raw:
        if data.id_kind not in (Person.IdKind.NONE, ""):
            data.id_kind = Person.IdKind.NONE
        return "", ""
    kind = data.id_kind
    if kind in (Person.IdKind.RESIDENT, Person.IdKind.HK_PERMIT, Person.IdKind.MACAU_PERMIT,
                Person.IdKind.TAIWAN_PERMIT, Person.IdKind.NONE):
        parsed = identity.parse_id_number(raw)
        data.id_kind = parsed.kind
        data.birth_date, data.sex = parsed.birth_date, parsed.sex
        return parsed.number, identity.mask_id_number(parsed.number)
    if kind == Person.IdKind.PASSPORT:
        number = identity.normalize_passport(raw)
    elif kind == Person.IdKind.HK_MACAU_PASS:
        number = identity.normalize_permit_number(raw, "hk_macau")
    else:
        number = identity.normalize_permit_number(raw, "taiwan")
    return number, number[:2] + "*" * max(len(number) - 4, 0) + number[-2:]


def _field_error(field: str, exc: Exception) -> ValidationError:
    return ValidationError({field: [str(getattr(exc, "message", exc))]})


def _apply(person: Person, data: PersonInput) -> None:
    try:
        number, masked = normalize_identity(data)
    except identity.IdentityError as exc:
        raise _field_error("id_number", exc) from exc
    try:
        phone = identity.normalize_phone(data.phone) if data.phone.strip() else ""
    except identity.PhoneError as exc:
        raise _field_error("phone", exc) from exc
    person.name = names.normalize_name(data.name)
    person.name_sort = search.name_sort(person.name)[:160]
    for name in PLAIN_FIELDS:
        if name not in ("name",):
            setattr(person, name, getattr(data, name))
    person.encrypt("id_number", number)
    person.id_number_masked = masked
    person.encrypt("phone", phone)
    person.phone_masked = identity.mask_phone(phone) if phone else ""
    person.encrypt("address", data.address.strip())
    person.encrypt("ethnicity", data.ethnicity.code if data.ethnicity else "")
    person.encrypt("religion", data.religion.code if data.religion else "")
    # date.today() first: a C call, where timezone.localdate() converts zones (a bulk import runs this per
    # person); it differs from the local date by at most a day, so only a date near today needs the latter.
    if person.birth_date and person.birth_date >= datetime.date.today() - ONE_DAY and \
            person.birth_date > timezone.localdate():
        raise ValidationError({"birth_date": [_("出生日期不能晚于今天")]})


def snapshot(person: Person) -> dict:
    """Displayable values for history and conflicts; sensitive ones masked or hidden."""
    values = {}
    for name in PLAIN_FIELDS:
        field = Person._meta.get_field(name)
        value = getattr(person, name)
        if field.choices:
            value = getattr(person, f"get_{name}_display")()
        values[str(field.verbose_name)] = "" if value is None else str(value)
    values[str(_("证件号码"))] = person.id_number_masked
    values[str(_("联系电话"))] = person.phone_masked
    for name, label in (("address", _("详细住址")), ("ethnicity", _("民族")), ("religion", _("宗教信仰"))):
        values[str(label)] = SENSITIVE_LABEL if getattr(person, f"{name}_enc") else ""
    return values


def _sensitive_fingerprint(person: Person) -> dict:
    # Compare sensitive values by blind index / plaintext hash so history says "changed" truthfully.
    return {name: crypto.sm3_hex(person.decrypt(name).encode()) for name in ("address", "ethnicity", "religion")}


def _check_duplicate(person: Person) -> None:
    if person.id_number_bidx:
        existing = Person.objects.filter(id_number_bidx=person.id_number_bidx).exclude(pk=person.pk).first()
        if existing is not None:
            raise DuplicateIdentity(existing)


@transaction.atomic
def create_person(*, actor, data: PersonInput) -> Person:
    require(actor, "people.person", "change", data.region)
    person = Person(created_by=actor if getattr(actor, "pk", None) else None)
    _apply(person, data)
    _check_duplicate(person)
    person.full_clean(exclude=["id_number_bidx", "name_sort"])
    person.save()
    index_person(person, ethnicity=data.ethnicity, religion=data.religion)
    history(person=person, actor=actor, action="create", target=str(_("基本信息")), changes=diff({}, snapshot(person)))
    audit(actor=actor, event="person.create", obj=person, detail={"source": person.source})
    return person


@transaction.atomic
def update_person(*, actor, person: Person, data: PersonInput, expected_version: int) -> Person:
    require(actor, "people.person", "change", person.region)
    require(actor, "people.person", "change", data.region)
    current = Person.objects.select_for_update().get(pk=person.pk)
    before, before_secret = snapshot(current), _sensitive_fingerprint(current)
    _apply(current, data)
    after = snapshot(current)
    if current.version != expected_version:
        raise EditConflict(theirs=before, mine=diff(before, after), current_version=current.version)
    _check_duplicate(current)
    changes = diff(before, after)
    for name, fingerprint in _sensitive_fingerprint(current).items():
        if fingerprint != before_secret[name]:
            label = str(Person._meta.get_field(f"{name}_enc").verbose_name).replace("（密文）", "")
            changes[label] = [SENSITIVE_LABEL if before_secret[name] != crypto.sm3_hex(b"") else "",
                              SENSITIVE_LABEL if current.decrypt(name) else ""]
    if not changes:
        return current
    current.full_clean(exclude=["id_number_bidx", "name_sort"])
    current.version += 1
    current.save()
    index_person(current, ethnicity=data.ethnicity, religion=data.religion)
    history(person=current, actor=actor, action="update", target=str(_("基本信息")), changes=changes)
    audit(actor=actor, event="person.update", obj=current, detail={"fields": sorted(changes)})
    return current


@transaction.atomic
def verify_person(*, actor, person: Person, on: datetime.date | None = None) -> Person:
    """"经核实无误": the record was checked against reality today."""
    require(actor, "people.person", "change", person.region)
    on = on or timezone.localdate()
    before = person.last_verified_on
    person.last_verified_on, person.last_verified_by = on, actor if getattr(actor, "pk", None) else None
    person.save(update_fields=["last_verified_on", "last_verified_by", "updated_at"])
    history(person=person, actor=actor, action="verify", target=str(_("核实")),
            changes={str(_("最近核实日期")): [str(before or ""), str(on)]})
    audit(actor=actor, event="person.verify", obj=person)
    return person


@transaction.atomic
def delete_person(*, actor, person: Person, reason: str) -> None:
    require(actor, "people.person", "delete", person.region)
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写删除原因")]})
    audit(actor=actor, event="person.delete", obj=person, reason=reason.strip())
    person.delete()


def index_person(person: Person, *, ethnicity=None, religion=None) -> None:
    """Rewrite the person's search document (its key moves when the name's pinyin changes)."""
    ethnicity_code = ethnicity.code if isinstance(ethnicity, Ethnicity) else (ethnicity or person.decrypt("ethnicity"))
    religion_code = religion.code if isinstance(religion, Religion) else (religion or person.decrypt("religion"))
    orders = CategoryMembership.objects.filter(person=person, status="active").values_list(
        "category__sort_order", flat=True)
    tokens = search.document_tokens(
        person, region_ids=person.region.ancestor_ids(), category_orders=list(orders),
        ethnicity=ethnicity_code, religion=religion_code,
    )
    key = search.doc_key(person.pk, names.name_pinyin(person.name))
    PersonSearchDoc.objects.filter(person=person).exclude(pk=key).delete()
    PersonSearchDoc.objects.update_or_create(pk=key, defaults={"person": person, "tokens": " ".join(tokens)})


def reindex_region(region) -> None:
    """After `region`'s subtree moved (regions.services.SUBTREE_MOVED): every person filed below it gets
    a fresh search document, since documents carry a token per ancestor region."""
    people = Person.objects.filter(region__path__startswith=region.path).select_related("region")
    for person in people.iterator(chunk_size=500):
        try:
            index_person(person)
        except IntegrityAlarm:
            # A tampered record must not block a move: rewrite only its region tokens (and, where the
            # document carries them, its village-qualified category tokens).
            doc = PersonSearchDoc.objects.filter(person=person).first()
            if doc is not None:
                region_ids = person.region.ancestor_ids()
                kept = {t for t in doc.tokens.split() if not t.startswith(search.filter_token("r", "")) and "^" not in t}
                kept.update(search.filter_token("r", rid) for rid in region_ids)
                if search.qualified_in_document():
                    kept |= search.place_tokens(kept, region_ids)
                doc.tokens = " ".join(sorted(kept))
                doc.save(update_fields=["tokens"])
