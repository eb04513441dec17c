"""Relatives, posts, education and honours: add, edit (with optimistic locking), delete."""

from __future__ import annotations

from django.db import transaction

from ..models import EducationRecord, Honour, Person, Post, Relative, SavedSearch
from .categories import _display
from .common import EditConflict, audit, diff, history, require

SUB_RECORD_MODELS = {"relative": Relative, "post": Post, "education": EducationRecord, "honour": Honour}


def _label(record) -> str:
    return f"{record._meta.verbose_name}：{record}"


@transaction.atomic
def add_sub_record(*, actor, person: Person, kind: str, attributes: dict):
    model = SUB_RECORD_MODELS[kind]
    require(actor, model._meta.label_lower, "change", person.region)
    record = model(person=person, **attributes)
    record.full_clean()
    record.save()
    history(person=person, actor=actor, action="add", target=_label(record), changes=diff({}, _display(record)))
    audit(actor=actor, event=f"{kind}.create", obj=record)
    return record


@transaction.atomic
def update_sub_record(*, actor, record, attributes: dict, expected_version: int):
    model = type(record)
    require(actor, model._meta.label_lower, "change", record.person.region)
    current = model.objects.select_for_update().get(pk=record.pk)
    before = _display(current)
    for name, value in attributes.items():
        setattr(current, name, value)
    after = _display(current)
    if current.version != expected_version:
        raise EditConflict(theirs=before, mine=diff(before, after), current_version=current.version)
    changes = diff(before, after)
    if not changes:
        return current
    current.full_clean()
    current.version += 1
    current.save()
    history(person=current.person, actor=actor, action="update", target=_label(current), changes=changes)
    audit(actor=actor, event=f"{model._meta.model_name}.update", obj=current, detail={"fields": sorted(changes)})
    return current


@transaction.atomic
def delete_sub_record(*, actor, record) -> None:
    model = type(record)
    require(actor, model._meta.label_lower, "change", record.person.region)
    history(person=record.person, actor=actor, action="delete", target=_label(record),
            changes=diff(_display(record), {k: "" for k in _display(record)}))
    audit(actor=actor, event=f"{model._meta.model_name}.delete", obj=record)
    record.delete()


@transaction.atomic
def save_saved_search(*, actor, name: str, query: str) -> SavedSearch:
    region = actor.scope_region()
    require(actor, "people.savedsearch", "change", region)
    saved, _created = SavedSearch.objects.update_or_create(
        region=region, name=name.strip()[:64], defaults={"query": query[:1000], "owner": actor})
    audit(actor=actor, event="savedsearch.save", obj=saved, detail={"name": saved.name})
    return saved
