"""`record()` writes one audit row inside the caller's transaction (house rule 4, SECURITY.md E5)."""

from __future__ import annotations

from django.db import connection, transaction

from tongzhan.core import crypto
from tongzhan.core.context import client_ip

from .models import AuditArchive, AuditEvent

GENESIS = "0" * 64
_PG_LOCK_KEY = 7_402_113  # one advisory lock serialises the chain's tail on PostgreSQL


def record(
    *, actor, event: str, obj=None, result: str = "success", reason: str = "", detail=None, username: str = ""
) -> AuditEvent:
    """Append an event. Must run inside the transaction of the change it describes."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("mac", flat=True).first() or chain_start()[0]
        is_user = getattr(actor, "pk", None) is not None
        row = AuditEvent(
            user=actor if is_user else None,
            username=(actor.get_username() if actor is not None else username)[:150],
            role=getattr(actor, "role", "") if actor is not None else "",
            ip=client_ip.get(),
            event=event,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            result=result,
            reason=reason[:500],
            detail=detail or {},
            mac="pending",
        )
        row.save()
        # The id is part of the payload, so the MAC is written by the one UPDATE the trigger allows:
        # from the placeholder to the real value, once.
        row.mac = crypto.chain_mac(last, row.chain_payload())
        AuditEvent.objects.filter(pk=row.pk, mac="pending").update(mac=row.mac)
        return row


def chain_start() -> tuple[str, int]:
    """(MAC the kept chain starts from, last pruned id): the genesis, or the latest archive's anchor (E3)."""
    marker = AuditArchive.objects.order_by("-through_id").values_list("anchor_mac", "through_id").first()
    return marker if marker else (GENESIS, 0)


def verify_chain() -> tuple[bool, int | None, int]:
    """Walk the chain in id order. Returns (intact, first broken id or None, rows checked).

    After a prune the chain starts at the archive marker's anchor; the marker itself must be the one the
    chained "audit.prune" event recorded, so a forged marker breaks verification too.
    """
    anchor, after_id = chain_start()
    previous = anchor
    checked = 0
    confirmed = after_id == 0
    for row in AuditEvent.objects.filter(id__gt=after_id).order_by("id").iterator(chunk_size=2000):
        if crypto.chain_mac(previous, row.chain_payload()) != row.mac:
            return False, row.pk, checked
        if (not confirmed and row.event == "audit.prune" and row.detail.get("anchor") == anchor
                and row.detail.get("through_id") == after_id):
            confirmed = True
        previous = row.mac
        checked += 1
    if not confirmed:
        first = AuditEvent.objects.filter(id__gt=after_id).order_by("id").values_list("id", flat=True).first()
        return False, first, checked
    return True, None, checked
