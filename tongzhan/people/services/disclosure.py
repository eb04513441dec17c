"""Reads that are themselves audited: viewing a record, searching by ID, unmasking (SECURITY.md D3, E1).

They write nothing but the audit row, so each is a transaction of its own. The audit detail never
carries the ID number or phone itself.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongzhan.audit.services import record

from ..models import Person

UNMASK_REASON_MIN = 4


@transaction.atomic
def record_person_view(*, actor, person: Person) -> None:
    record(actor=actor, event="person.view", obj=person)


@transaction.atomic
def record_id_search(*, actor, results: int) -> None:
    """That an ID search happened and how many it found; the number searched for is not kept."""
    record(actor=actor, event="person.search_id", detail={"results": results})


@transaction.atomic
def unmask_person(*, actor, person: Person, reason: str) -> dict[str, str]:
    """The full ID number and phone, for this one response; audited with the reason.

    The caller has already found `person` through the scope function; this checks the grant and the
    reason. A tampered ciphertext raises IntegrityAlarm and, as the transaction rolls back, leaves no
    "unmasked" row for a disclosure that did not happen.
    """
    if not actor.may("people.person", "unmask"):
        raise PermissionDenied(_("您没有查看完整信息的权限"))
    reason = " ".join(reason.split())
    if len(reason) < UNMASK_REASON_MIN:
        raise ValidationError({"reason": _("请填写查看事由（至少 %(n)d 个字）") % {"n": UNMASK_REASON_MIN}})
    values = {"id_number": person.decrypt("id_number"), "phone": person.decrypt("phone")}
    record(
        actor=actor,
        event="person.unmask",
        obj=person,
        reason=reason,
        detail={"fields": [name for name, value in values.items() if value]},
    )
    return values
