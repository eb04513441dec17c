"""Pruning the head of the audit log after its retention period (SECURITY.md E3).

Personal-data events are kept at least three years, the rest at least 180 days. Only the audit
administrator prunes, from the command line, and only with an explicit flag. The rows are archived first
(JSON lines, chain values first), then deleted through the `audit_prune_allowed` gate the triggers check,
in one transaction that also writes the archive marker and the chained "audit.prune" event. The kept
chain restarts from the last pruned row's MAC (the anchor), so verify_audit still proves it.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.core import crypto

from .models import AuditArchive, AuditEvent
from .services import _PG_LOCK_KEY, chain_start, record

PERSONAL_DAYS = 3 * 366  # three years, leap days included
OTHER_DAYS = 180
PERSONAL_EVENT_PREFIXES = (
    "person.",
    "membership.",
    "record.",
    "people.",
    "import.",
    "export.",
    "consent.",
    "merge.",
)


def is_personal(event: AuditEvent) -> bool:
    return event.event.startswith(PERSONAL_EVENT_PREFIXES) or event.object_type.startswith("people.")


@dataclass
class PruneResult:
    rows: int
    through_id: int
    anchor: str
    path: str
    sm3: str


def _cutoff(before: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))


def check_retention(before: datetime.date, *, today: datetime.date | None = None) -> None:
    today = today or timezone.localdate()
    if before > today - datetime.timedelta(days=OTHER_DAYS):
        raise ValidationError(
            _("审计记录至少保存 180 天：清理截止日期不能晚于 %(d)s")
            % {"d": today - datetime.timedelta(days=OTHER_DAYS)}
        )


def _row(event: AuditEvent, previous: str) -> dict:
    # Chain values first: a reader of the archive can re-verify it line by line.
    return {
        "mac": event.mac,
        "previous_mac": previous,
        "id": event.id,
        "at": event.at.isoformat(),
        "user_id": event.user_id,
        "username": event.username,
        "role": event.role,
        "ip": event.ip,
        "event": event.event,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "result": event.result,
        "reason": event.reason,
        "detail": event.detail,
    }


def prune(*, actor, before: datetime.date, archive: Path, today: datetime.date | None = None) -> PruneResult:
    """Archive, then delete, the events before `before`. `today` is the day the periods count from."""
    if not actor.may("audit.auditevent", "prune"):
        raise PermissionDenied(_("只有审计管理员可以清理审计日志"))
    today = today or timezone.localdate()
    check_retention(before, today=today)
    archive = Path(archive)
    if archive.exists():
        raise ValidationError(_("归档文件 %(p)s 已存在，不会覆盖") % {"p": archive})
    cutoff = _cutoff(before)
    now = _cutoff(today + datetime.timedelta(days=1))
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
            anchor, after_id = chain_start()
            # A prefix of the chain by id: everything before the first row at or after the cutoff.
            first_kept = AuditEvent.objects.filter(id__gt=after_id, at__gte=cutoff).order_by("id").first()
            head = AuditEvent.objects.filter(id__gt=after_id)
            if first_kept is not None:
                head = head.filter(id__lt=first_kept.id)
            head = head.order_by("id")
            too_young = [
                e
                for e in head.iterator()
                if is_personal(e) and e.at > now - datetime.timedelta(days=PERSONAL_DAYS)
            ]
            if too_young:
                raise ValidationError(
                    _(
                        "涉及个人信息的审计记录至少保存 3 年：截止日期前仍有 %(n)d 条未满 3 年（最早为第 %(id)d 号），"
                        "请提前截止日期"
                    )
                    % {"n": len(too_young), "id": too_young[0].id}
                )
            previous, rows, through_id = anchor, 0, after_id
            archive.parent.mkdir(parents=True, exist_ok=True)
            with open(archive, "x", encoding="utf-8") as out:
                out.write(
                    json.dumps(
                        {
                            "kind": "tongzhan-audit-archive",
                            "before": before.isoformat(),
                            "chain_starts_from": anchor,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                for event in head.iterator(chunk_size=2000):
                    out.write(json.dumps(_row(event, previous), ensure_ascii=False, default=str) + "\n")
                    previous, through_id, rows = event.mac, event.id, rows + 1
                out.flush()
                os.fsync(out.fileno())
            if rows == 0:
                archive.unlink()
                return PruneResult(0, after_id, anchor, "", "")
            digest = crypto.sm3_hex(archive.read_bytes())
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO audit_prune_allowed (id, through_id) VALUES (1, %s)", [through_id]
                )
                cursor.execute(
                    "DELETE FROM audit_auditevent WHERE id > %s AND id <= %s", [after_id, through_id]
                )
                cursor.execute("DELETE FROM audit_prune_allowed")
            AuditArchive.objects.create(
                before=before,
                through_id=through_id,
                anchor_mac=previous,
                rows=rows,
                path=str(archive),
                sm3=digest,
            )
            record(
                actor=actor,
                event="audit.prune",
                detail={
                    "before": before.isoformat(),
                    "through_id": through_id,
                    "rows": rows,
                    "anchor": previous,
                    "archive": archive.name,
                    "sm3": digest,
                },
            )
            return PruneResult(rows, through_id, previous, str(archive), digest)
    except BaseException:
        # Nothing was deleted; an archive written for a rolled-back prune would only mislead.
        if archive.exists() and not AuditArchive.objects.filter(path=str(archive)).exists():
            archive.unlink()
        raise
