"""Reads of the audit log for the audit screens.

Scope, stated plainly: the audit administrator (grant "all") sees every event; an auditor sees the events
of users whose region lies inside the auditor's region (their own township's staff, liaisons …), not the
administrators' events nor the command line's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from tongzhan.core.scoping import region_of

from .models import AuditEvent

LABEL = "audit.auditevent"


@dataclass
class EventFilter:
    username: str = ""
    event: str = ""
    object_type: str = ""
    object_id: str = ""
    result: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None

    def as_detail(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in vars(self).items() if v}


def events_visible_to(user):
    if not getattr(user, "is_authenticated", False) or not user.may(LABEL, "read"):
        return AuditEvent.objects.none()
    if user.may(LABEL, "all"):
        return AuditEvent.objects.all()
    root = region_of(user)
    if root is None or getattr(root, "pk", None) is None:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(user__region__path__startswith=root.path)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filtered_events(user, criteria: EventFilter):
    """The events the user may read, filtered, newest first. `event` matches a prefix ("person.")."""
    qs = events_visible_to(user)
    if criteria.username:
        qs = qs.filter(username=criteria.username)
    if criteria.event:
        qs = qs.filter(event__startswith=criteria.event)
    if criteria.object_type:
        qs = qs.filter(object_type=criteria.object_type)
    if criteria.object_id:
        qs = qs.filter(object_id=criteria.object_id)
    if criteria.result:
        qs = qs.filter(result=criteria.result)
    if criteria.since:
        qs = qs.filter(at__gte=_day_start(criteria.since))
    if criteria.until:
        qs = qs.filter(at__lt=_day_start(criteria.until + datetime.timedelta(days=1)))
    return qs.order_by("-id")
