"""`record()` writes one audit row inside the caller's transaction (house rule 4, SECURITY.md E5)."""

from __future__ import annotations

from django.db import connection, transaction

from tongzhan.core import crypto
from tongzhan.core.context import client_ip

from .models import AuditEvent

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
        last = AuditEvent.objects.order_by("-id").values_list("mac", flat=True).first() or GENESIS
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


def verify_chain() -> tuple[bool, int | None, int]:
    """Walk the chain in id order. Returns (intact, first broken id or None, rows checked)."""
    previous = GENESIS
    checked = 0
    for row in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if crypto.chain_mac(previous, row.chain_payload()) != row.mac:
            return False, row.pk, checked
        previous = row.mac
        checked += 1
    return True, None, checked
