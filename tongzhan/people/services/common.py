"""Pieces shared by the registry's services: permission checks, history rows, conflicts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from tongzhan.audit.services import record

from ..models import HistoryEntry, Person


class DuplicateIdentity(Exception):
    """The ID number is already registered; `person` is the existing record (maybe out of scope)."""

    def __init__(self, person: Person):
        super().__init__("duplicate identity")
        self.person = person


class EditConflict(Exception):
    """Someone saved the record after this edit began. `theirs` and `mine` map field labels to values."""

    def __init__(self, theirs: dict, mine: dict, current_version: int):
        super().__init__("edit conflict")
        self.theirs, self.mine, self.current_version = theirs, mine, current_version


def require(actor, label: str, action: str, region=None) -> None:
    """The write-side twin of `restrict`: the role must grant it and the region must be in scope."""
    if not actor.may(label, action):
        raise PermissionDenied(_("您没有执行此操作的权限"))
    if region is not None:
        root = actor.scope_region()
        if root is None or not region.path.startswith(root.path):
            raise PermissionDenied(_("该记录不在您的管辖范围内"))


def history(*, person: Person, actor, action: str, target: str = "", changes: dict | None = None) -> None:
    HistoryEntry.objects.create(
        person=person,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(actor.get_full_name() or actor.get_username()) if hasattr(actor, "get_full_name")
        else actor.get_username(),
        action=action,
        target=target,
        changes=changes or {},
    )


def audit(*, actor, event: str, obj, detail: dict | None = None, reason: str = "") -> None:
    record(actor=actor, event=event, obj=obj, detail=detail or {}, reason=reason)


def diff(before: dict, after: dict) -> dict:
    return {key: [before.get(key, ""), after.get(key, "")] for key in after if before.get(key, "") != after.get(key, "")}
