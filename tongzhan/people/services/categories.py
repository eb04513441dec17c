"""Joining and leaving the ten databases, and their typed attributes."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import DETAIL_MODELS, Category, CategoryMembership, Person
from .common import EditConflict, audit, diff, history, require

HIDDEN_FIELDS = {"person", "version", "created_at", "updated_at", "membership"}


def _display(detail) -> dict:
    values = {}
    for field in detail._meta.concrete_fields:
        if field.primary_key or field.name in HIDDEN_FIELDS:
            continue
        value = getattr(detail, field.name)
        if field.choices:
            value = getattr(detail, f"get_{field.name}_display")()
        elif isinstance(value, bool):
            value = _("是") if value else _("否")
        values[str(field.verbose_name)] = "" if value is None else str(value)
    return values


def _fill_detail(membership: CategoryMembership, attributes: dict):
    model = DETAIL_MODELS[membership.category_id]
    detail = getattr(membership, model._meta.model_name, None) or model(membership=membership)
    for name, value in attributes.items():
        setattr(detail, name, value)
    detail.full_clean(exclude=["membership"])
    return detail


@transaction.atomic
def join_category(*, actor, person: Person, category: Category, attributes: dict,
                  since: datetime.date | None = None) -> CategoryMembership:
    require(actor, "people.categorymembership", "change", person.region)
    if CategoryMembership.objects.filter(person=person, category=category, status="active").exists():
        raise ValidationError({"category": [_("%(name)s已在“%(cat)s”库中") % {"name": person.name, "cat": category.name}]})
    membership = CategoryMembership(person=person, category=category, since=since or timezone.localdate())
    membership.full_clean()
    membership.save()
    detail = _fill_detail(membership, attributes)
    detail.save()
    from .persons import index_person

    index_person(person)
    history(person=person, actor=actor, action="join", target=category.short_name, changes=diff({}, _display(detail)))
    audit(actor=actor, event="membership.create", obj=membership, detail={"category": category.code})
    return membership


@transaction.atomic
def update_category_detail(*, actor, membership: CategoryMembership, attributes: dict,
                           expected_version: int) -> CategoryMembership:
    require(actor, "people.categorymembership", "change", membership.person.region)
    current = CategoryMembership.objects.select_for_update().get(pk=membership.pk)
    if current.status != CategoryMembership.Status.ACTIVE:
        raise ValidationError(_("已退出的类别只能查看，不能修改"))
    model = DETAIL_MODELS[current.category_id]
    old = getattr(current, model._meta.model_name, None)
    before = _display(old) if old else {}
    detail = _fill_detail(current, attributes)
    after = _display(detail)
    if current.version != expected_version:
        raise EditConflict(theirs=before, mine=diff(before, after), current_version=current.version)
    changes = diff(before, after)
    if not changes:
        return current
    detail.save()
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    history(person=current.person, actor=actor, action="update", target=current.category.short_name, changes=changes)
    audit(actor=actor, event="membership.update", obj=current, detail={"fields": sorted(changes)})
    return current


@transaction.atomic
def leave_category(*, actor, membership: CategoryMembership, reason: str,
                   on: datetime.date | None = None) -> CategoryMembership:
    """Archive, never delete: the attributes stay with the archived membership."""
    require(actor, "people.categorymembership", "change", membership.person.region)
    if membership.status != CategoryMembership.Status.ACTIVE:
        raise ValidationError(_("该类别已经退出"))
    membership.status = CategoryMembership.Status.ARCHIVED
    membership.until = on or timezone.localdate()
    membership.leave_reason = reason.strip()
    membership.version += 1
    membership.full_clean()
    membership.save(update_fields=["status", "until", "leave_reason", "version", "updated_at"])
    from .persons import index_person

    index_person(membership.person)
    history(person=membership.person, actor=actor, action="leave", target=membership.category.short_name,
            changes={str(_("状态")): [str(_("在库")), str(_("已退出（存档）"))], str(_("退出原因")): ["", membership.leave_reason]})
    audit(actor=actor, event="membership.archive", obj=membership, reason=membership.leave_reason)
    return membership


def detail_initial(membership: CategoryMembership) -> dict:
    detail = membership.detail
    return model_to_dict(detail) if detail is not None else {}
