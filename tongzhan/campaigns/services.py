"""Every write of a campaign: open, close, the liaison's entries and return, staff review.

Nothing a liaison does writes the registry: `save_entry`, `add_person_entry` and `import_sheet` record
proposed changes (`Entry`). Only `accept` applies them, through tongzhan.people.services
(update_person, create_person, join_category, verify_person), so history and audit are written as for
any edit (SECURITY.md E4). Each service checks the actor's grant and region (`require`, C1), runs in
one transaction and writes its audit row there (E1, E5).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.core import crypto
from tongzhan.people import services as people
from tongzhan.people.columns import detail_columns
from tongzhan.people.models import DETAIL_MODELS, Category, CategoryMembership, Person
from tongzhan.people.services.bulk import input_from_person
from tongzhan.people.services.common import audit, require

from . import fields
from .models import Campaign, Entry, VillageReturn

EDITABLE = {VillageReturn.Status.NOT_STARTED, VillageReturn.Status.IN_PROGRESS, VillageReturn.Status.SENT_BACK}


# ---------------------------------------------------------------------------------------------------
# Staff: open and close


@transaction.atomic
def open_campaign(*, actor, township, title: str, notice: str, categories, villages, field_keys,
                  deadline: datetime.date) -> Campaign:
    require(actor, "campaigns.campaign", "change", township)
    errors = {}
    if not title.strip():
        errors["title"] = [_("请填写补报标题")]
    if not notice.strip():
        errors["notice"] = [_("请填写补报通知")]
    if not categories:
        errors["categories"] = [_("请至少选择一个类别")]
    villages = list(villages)
    if not villages:
        errors["villages"] = [_("请至少选择一个村（社区）")]
    if any(v.parent_id != township.pk or v.level != "village" for v in villages):
        errors["villages"] = [_("只能选择本乡镇的村（社区）")]
    unknown = [k for k in field_keys if k not in fields.BY_KEY]
    codes = {c.code for c in categories}
    if unknown or not field_keys:
        errors["fields"] = [_("请从列出的字段中选择要核对的字段")]
    elif any(fields.category_of(fields.BY_KEY[k]) not in (None, *codes) for k in field_keys):
        errors["fields"] = [_("所选类别信息字段须属于本次补报的类别")]
    if deadline < timezone.localdate():
        errors["deadline"] = [_("截止日期不能早于今天")]
    if errors:
        raise ValidationError(errors)
    campaign = Campaign(township=township, title=title.strip(), notice=notice.strip(), deadline=deadline,
                        fields=[c.key for c in fields.CHECKABLE if c.key in set(field_keys)],
                        created_by=actor if getattr(actor, "pk", None) else None)
    campaign.full_clean()
    campaign.save()
    campaign.categories.set(categories)
    VillageReturn.objects.bulk_create([VillageReturn(campaign=campaign, village=v) for v in villages])
    audit(actor=actor, event="campaign.open", obj=campaign,
          detail={"villages": [v.code for v in villages], "categories": sorted(c.code for c in categories),
                  "fields": campaign.fields, "deadline": deadline.isoformat()})
    return campaign


@transaction.atomic
def close_campaign(*, actor, campaign: Campaign) -> Campaign:
    require(actor, "campaigns.campaign", "change", campaign.township)
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("该补报已经关闭"))
    campaign.status, campaign.closed_at = Campaign.Status.CLOSED, timezone.now()
    campaign.save(update_fields=["status", "closed_at", "updated_at"])
    audit(actor=actor, event="campaign.close", obj=campaign)
    return campaign


# ---------------------------------------------------------------------------------------------------
# Liaison: entries and the return


def records_of(village_return: VillageReturn):
    """The people the village is asked to check: in the village, active in one of the campaign's categories."""
    codes = village_return.campaign.categories.values_list("code", flat=True)
    members = CategoryMembership.objects.filter(status="active", category__in=codes).values("person_id")
    return with_details(Person.objects.filter(region=village_return.village, pk__in=members)
                        .select_related("political_affiliation", "education").order_by("name_sort", "id"))


def with_details(people_qs):
    """People with their active memberships and category details loaded (`active_memberships`): no query per row."""
    relations = [model._meta.model_name for model in DETAIL_MODELS.values()]
    return people_qs.prefetch_related(Prefetch(
        "memberships", queryset=CategoryMembership.objects.filter(status="active").select_related(*relations),
        to_attr="active_memberships"))


def _editable(actor, village_return: VillageReturn) -> VillageReturn:
    require(actor, "campaigns.villagereturn", "change", village_return.village)
    current = VillageReturn.objects.select_for_update(of=("self",)).select_related("campaign", "village__parent").get(
        pk=village_return.pk)
    if current.campaign.status != Campaign.Status.OPEN:
        raise ValidationError(_("该补报已经关闭，不能再填报"))
    if current.status not in EDITABLE:
        raise ValidationError(_("本村已报送，等待审核期间不能修改"))
    return current


def _started(village_return: VillageReturn) -> None:
    if village_return.status != VillageReturn.Status.IN_PROGRESS:
        village_return.status = VillageReturn.Status.IN_PROGRESS
        village_return.version += 1
        village_return.save(update_fields=["status", "version", "updated_at"])


def _entry_for(village_return, person, *, source: str) -> Entry:
    entry = Entry.objects.filter(village_return=village_return, person=person).first()
    if entry is not None and entry.status == Entry.Status.ACCEPTED:
        raise ValidationError(_("%(name)s的补报已采纳，不能再修改") % {"name": person.name})
    return entry or Entry(village_return=village_return, person=person, source=source)


def _record_entry(village_return, person, written: dict, *, source: str) -> tuple[Entry | None, dict]:
    columns = fields.columns_of(village_return.campaign.fields)
    changed, problems = fields.changes(person, columns, written, fields.context_for(village_return))
    if problems:
        return None, problems
    entry = _entry_for(village_return, person, source=source)
    if entry.pk is not None and entry.kind == Entry.Kind.CHANGE:
        # A sensitive value is never shown back in full, so a blank one keeps what was proposed before.
        earlier = entry.values
        for column in columns:
            if column.sensitive and not (written.get(column.key) or "").strip() and column.key in earlier:
                changed[column.key] = earlier[column.key]
    entry.kind = Entry.Kind.CHANGE if changed else Entry.Kind.CONFIRM
    entry.changed = sorted(changed)
    entry.seen = {key: fields.shown(person, fields.BY_KEY[key]) for key in changed}
    entry.set_values(changed)
    entry.base_version = person.version
    memberships = {m.category_id: m.version for m in getattr(person, "active_memberships", None)
                   or person.memberships.filter(status="active")}
    entry.base_versions = {code: memberships.get(code) for code in
                           {fields.category_of(fields.BY_KEY[key]) for key in changed} - {None}}
    entry.status, entry.note, entry.source = Entry.Status.PENDING, "", source
    entry.save()
    return entry, {}


@transaction.atomic
def save_entry(*, actor, village_return: VillageReturn, person: Person, written: dict) -> Entry:
    """Mark one record checked: with the corrections written (checked, changed) or none (no change)."""
    current = _editable(actor, village_return)
    if not records_of(current).filter(pk=person.pk).exists():
        raise PermissionDenied(_("该记录不在本次补报范围内"))
    entry, problems = _record_entry(current, person, written, source="online")
    if problems:
        raise ValidationError(problems)
    _started(current)
    return entry


def _new_person_problems(village_return, category, written: dict, detail: dict) -> tuple[dict, dict]:
    context = fields.context_for(village_return)
    values, problems = {}, {}
    for column in fields.columns_of(village_return.campaign.fields):
        if fields.category_of(column):
            continue  # a category attribute of a new person comes from its own category's columns below
        text = (written.get(column.key) or "").strip()
        try:
            value = fields.parse(column, text, context)
        except fields.ValueProblem as exc:
            problems[column.key] = str(exc)
            continue
        if value is not None:
            values[column.key] = text
    attributes = {}
    for column in detail_columns(category.code):
        text = (detail.get(column.field) or "").strip()
        try:
            value = fields.parse(column, text, context)
        except fields.ValueProblem as exc:
            problems[f"detail.{column.field}"] = str(exc)
            continue
        if value is not None:
            attributes[column.field] = text
    if values.get("person.id_number"):
        number = fields.parse(fields.BY_KEY["person.id_number"], values["person.id_number"], context)
        if Person.objects.filter(id_number_bidx=crypto.blind_index(number, purpose="id")).exists():
            problems["person.id_number"] = _("该证件号码已在库中登记，请在上方名单中核对该人员，不要重复新增")
    return {**values, **{f"detail.{k}": v for k, v in attributes.items()}}, problems


@transaction.atomic
def add_person_entry(*, actor, village_return: VillageReturn, category: Category, written: dict,
                     detail: dict | None = None, source: str = "online") -> Entry:
    """Propose a new person for the village (the village is the return's, never the liaison's choice: C3)."""
    current = _editable(actor, village_return)
    if not current.campaign.categories.filter(pk=category.pk).exists():
        raise ValidationError({"category": [_("该类别不在本次补报范围内")]})
    values, problems = _new_person_problems(current, category, written, detail or {})
    if problems:
        raise ValidationError(problems)
    entry = Entry(village_return=current, kind=Entry.Kind.CREATE, category=category, source=source,
                  changed=sorted(values))
    entry.set_values(values)
    entry.save()
    _started(current)
    return entry


@transaction.atomic
def remove_entry(*, actor, entry: Entry) -> None:
    current = _editable(actor, entry.village_return)
    if entry.status == Entry.Status.ACCEPTED:
        raise ValidationError(_("已采纳的条目不能撤回"))
    Entry.objects.filter(pk=entry.pk, village_return=current).delete()


@transaction.atomic
def submit_return(*, actor, village_return: VillageReturn) -> VillageReturn:
    """报送: the village's work goes to the township for review; the liaison can no longer change it."""
    current = _editable(actor, village_return)
    pending = current.entries.exclude(status=Entry.Status.ACCEPTED)
    if not pending.exists():
        raise ValidationError(_("还没有核对任何记录，不能报送"))
    pending.update(status=Entry.Status.PENDING)
    current.status, current.submitted_at = VillageReturn.Status.RETURNED, timezone.now()
    current.submitted_by = actor if getattr(actor, "pk", None) else None
    current.version += 1
    current.save(update_fields=["status", "submitted_at", "submitted_by", "version", "updated_at"])
    audit(actor=actor, event="campaign.return_submitted", obj=current,
          detail={"campaign": current.campaign_id, "village": current.village.code, "entries": pending.count()})
    return current


# ---------------------------------------------------------------------------------------------------
# Staff: review


def _reviewable(actor, village_return: VillageReturn) -> VillageReturn:
    require(actor, "campaigns.villagereturn", "review", village_return.village)
    current = VillageReturn.objects.select_for_update(of=("self",)).select_related("campaign", "village__parent").get(
        pk=village_return.pk)
    if current.status != VillageReturn.Status.RETURNED:
        raise ValidationError(_("只能审核已报送的村级材料"))
    return current


def _apply(actor, entry: Entry, village, context) -> None:
    values = entry.values
    if entry.kind == Entry.Kind.CREATE:
        data = people.PersonInput(name="", region=village, source=Person.Source.CAMPAIGN)
        attributes = {}
        for key, text in values.items():
            if key.startswith("detail."):
                column = next(c for c in detail_columns(entry.category_id) if c.field == key[7:])
                attributes[column.field] = fields.parse(column, text, context)
            else:
                setattr(data, fields.BY_KEY[key].field, fields.parse(fields.BY_KEY[key], text, context))
        person = people.create_person(actor=actor, data=data)
        people.join_category(actor=actor, person=person, category=entry.category, attributes=attributes)
        people.verify_person(actor=actor, person=person)
        entry.person = person
        return
    person = Person.objects.select_related("region").get(pk=entry.person_id)
    if person.version != entry.base_version:
        raise people.EditConflict(theirs={}, mine={}, current_version=person.version)
    if entry.kind == Entry.Kind.CHANGE:
        own = {k: v for k, v in values.items() if not fields.category_of(fields.BY_KEY[k])}
        if own:
            data = input_from_person(person)
            for key, text in own.items():
                setattr(data, fields.BY_KEY[key].field, fields.parse(fields.BY_KEY[key], text, context))
            person = people.update_person(actor=actor, person=person, data=data,
                                          expected_version=entry.base_version)
        by_category: dict[str, dict] = {}
        for key, text in values.items():
            column = fields.BY_KEY[key]
            if fields.category_of(column):
                by_category.setdefault(fields.category_of(column), {})[fields.ORIGINAL[key].field] = fields.parse(
                    column, text, context)
        for code, attributes in by_category.items():
            membership = CategoryMembership.objects.select_related("person__region").filter(
                person=person, category=code, status="active").first()
            if membership is None:
                raise ValidationError(_("该人员已不在“%(code)s”库中") % {"code": code})
            people.update_category_detail(actor=actor, membership=membership, attributes=attributes,
                                          expected_version=(entry.base_versions or {}).get(code) or 0)
    people.verify_person(actor=actor, person=person)


def _decide(entry: Entry, status: str, note: str = "") -> None:
    entry.status, entry.note = status, note[:500]
    entry.save(update_fields=["status", "note", "person", "updated_at"])


@transaction.atomic
def accept(*, actor, village_return: VillageReturn, entry: Entry | None = None) -> dict:
    """Apply the pending entries (or one): each through the people services, in a savepoint of its own.

    An entry whose record changed in the registry since the liaison saw it becomes a conflict and
    changes nothing (J1); so does one the registry refuses (a duplicate ID, say), with the reason.
    When nothing is left pending or in conflict the return is accepted.
    """
    current = _reviewable(actor, village_return)
    context = fields.context_for(current)
    todo = current.entries.filter(status__in=[Entry.Status.PENDING, Entry.Status.CONFLICT])
    if entry is not None:
        todo = todo.filter(pk=entry.pk)
    counts = {"accepted": 0, "conflicts": 0}
    for item in todo.select_related("category"):
        try:
            with transaction.atomic():
                _apply(actor, item, current.village, context)
        except people.EditConflict:
            _decide(item, Entry.Status.CONFLICT, _("该记录在填报后已被他人修改，请退回村里按最新记录重新核对"))
            counts["conflicts"] += 1
        except people.DuplicateIdentity:
            _decide(item, Entry.Status.CONFLICT, _("该证件号码已在库中登记"))
            counts["conflicts"] += 1
        except (ValidationError, fields.ValueProblem) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            _decide(item, Entry.Status.CONFLICT, "；".join(messages))
            counts["conflicts"] += 1
        else:
            _decide(item, Entry.Status.ACCEPTED)
            counts["accepted"] += 1
    open_items = current.entries.exclude(status=Entry.Status.ACCEPTED)
    if not open_items.exists():
        current.status = VillageReturn.Status.ACCEPTED
    current.reviewed_at, current.reviewed_by = timezone.now(), actor if getattr(actor, "pk", None) else None
    current.version += 1
    current.save(update_fields=["status", "reviewed_at", "reviewed_by", "version", "updated_at"])
    audit(actor=actor, event="campaign.accepted", obj=current,
          detail={"campaign": current.campaign_id, "village": current.village.code, **counts,
                  **({"entry": entry.pk} if entry is not None else {})})
    return counts


@transaction.atomic
def send_back(*, actor, village_return: VillageReturn, note: str, entry: Entry | None = None) -> VillageReturn:
    """退回: the village (or one of its records) goes back to the liaison with a note."""
    current = _reviewable(actor, village_return)
    if not note.strip():
        raise ValidationError({"note": [_("请填写退回说明")]})
    items = current.entries.exclude(status=Entry.Status.ACCEPTED)
    if entry is not None:
        items = items.filter(pk=entry.pk)
        if not items.exists():
            raise ValidationError(_("该条目已采纳，不能退回"))
    items.update(status=Entry.Status.SENT_BACK, note=note.strip()[:500])
    current.status, current.review_note = VillageReturn.Status.SENT_BACK, note.strip()[:500]
    current.reviewed_at, current.reviewed_by = timezone.now(), actor if getattr(actor, "pk", None) else None
    current.version += 1
    current.save(update_fields=["status", "review_note", "reviewed_at", "reviewed_by", "version", "updated_at"])
    audit(actor=actor, event="campaign.sent_back", obj=current, reason=note.strip(),
          detail={"campaign": current.campaign_id, "village": current.village.code,
                  **({"entry": entry.pk} if entry is not None else {})})
    return current
