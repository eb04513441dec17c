"""CSV of audit events that Excel and WPS open as text, never as formulas (SECURITY.md G1)."""

from __future__ import annotations

import csv
import io
import json

from django.utils import timezone

from tongzhan.core.sheet_writer import neutralise

BOM = "\ufeff"


def events_csv(events, *, headers: list[str], role_labels: dict) -> bytes:
    """UTF-8 with a BOM, so Excel recognises the encoding; every cell neutralised."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for event in events:
        writer.writerow(
            [
                neutralise(cell)
                for cell in (
                    event.id,
                    timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                    event.username,
                    role_labels.get(event.role, event.role),
                    event.ip,
                    event.event,
                    event.object_type,
                    event.object_id,
                    event.result,
                    event.reason,
                    json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
                )
            ]
        )
    return buffer.getvalue().encode("utf-8")


def export_events(*, actor, events, criteria_detail: dict, headers: list[str], role_labels: dict) -> bytes:
    """Build the CSV and record "audit.export" with the filter, the row count and the file's SM3 (D5)."""
    from django.db import transaction

    from tongzhan.core import crypto

    from .services import record

    rows = list(events)
    data = events_csv(rows, headers=headers, role_labels=role_labels)
    with transaction.atomic():
        record(
            actor=actor,
            event="audit.export",
            detail={"filter": criteria_detail, "rows": len(rows), "sm3": crypto.sm3_hex(data)},
        )
    return data
