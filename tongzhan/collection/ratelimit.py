"""Rate limits of the public form that hold across server processes (SECURITY.md H1).

Each limit is a scope (what is counted), a key (whose requests), a number of hits and a window. The hits
live in a database row (`RateLimitBucket`) that is locked while it is read and extended, so two server
processes — or two waitress threads — cannot both take the last place. The local-memory cache would
count per process, which is why it is not used.

Keys are keyed hashes (HMAC-SM3 with the blind-index key): the table holds no client address and no ID
number. An IPv6 client is counted by its /64, which is what one household or one machine gets.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from tongzhan.core import crypto

from .models import RateLimitBucket

HOUR, DAY = 3600, 86400

# scope -> (hits allowed, window in seconds). Settings may override any of them (COLLECTION_RATE_LIMITS).
DEFAULT_LIMITS = {
    "submit-ip": (5, HOUR),        # stored submissions from one address: the sixth in an hour is refused
    "submit-id": (3, DAY),         # submissions for one ID number
    "submit-all": (500, HOUR),     # every submission, every collection: a flood stops here
    "attempt-ip": (30, HOUR),      # POSTs of the form from one address, valid or not (captcha guessing)
    "receipt-ip": (30, HOUR),      # receipt look-ups from one address
    "captcha-ip": (120, HOUR),     # new captchas from one address (each one is a row)
}


class RateLimited(Exception):
    """The limit is reached; `retry_after` is the number of seconds until one hit leaves the window."""

    def __init__(self, scope: str, retry_after: int):
        super().__init__(scope)
        self.scope, self.retry_after = scope, max(int(retry_after), 1)


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    window: int


def limit(scope: str) -> Limit:
    count, window = {**DEFAULT_LIMITS, **getattr(settings, "COLLECTION_RATE_LIMITS", {})}[scope]
    return Limit(scope, int(count), int(window))


def address_key(ip: str) -> str:
    """The key of a client address: an IPv6 address by its /64 network."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return crypto.blind_index(ip or "-", purpose="ratelimit-ip")
    if address.version == 6:
        if address.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return crypto.blind_index(str(address.ipv4_mapped), purpose="ratelimit-ip")
        network = ipaddress.ip_network(f"{address}/64", strict=False)
        return crypto.blind_index(str(network), purpose="ratelimit-ip")
    return crypto.blind_index(str(address), purpose="ratelimit-ip")


def id_key(id_number_bidx: str) -> str:
    return id_number_bidx


GLOBAL_KEY = "all"


def _recent(hits: list, now: float, window: int) -> list[float]:
    return [t for t in hits if t > now - window]


def _refuse_if_full(rule: Limit, hits: list[float], now: float) -> None:
    if len(hits) >= rule.count:
        # Room opens when the hit `count` places from the end leaves the window.
        raise RateLimited(rule.scope, math.ceil(hits[-rule.count] + rule.window - now))


def peek(scope: str, key: str, *, now: float | None = None) -> None:
    """Raise RateLimited when the limit is reached; count nothing."""
    rule, now = limit(scope), time.time() if now is None else now
    hits = RateLimitBucket.objects.filter(scope=scope, key=key).values_list("hits", flat=True).first() or []
    _refuse_if_full(rule, _recent(hits, now, rule.window), now)


def take(scope: str, key: str, *, now: float | None = None) -> None:
    """Count one hit, or raise RateLimited (counting nothing) when the limit is reached.

    Runs in the caller's transaction when there is one, so a submission refused later rolls its hits back.
    """
    rule, now = limit(scope), time.time() if now is None else now
    with transaction.atomic():
        RateLimitBucket.objects.get_or_create(scope=scope, key=key)
        bucket = RateLimitBucket.objects.select_for_update().get(scope=scope, key=key)
        hits = _recent(bucket.hits, now, rule.window)
        _refuse_if_full(rule, hits, now)
        bucket.hits = [*hits, now]
        bucket.save(update_fields=["hits", "updated_at"])


def forget_idle(*, older_than: int = 2 * DAY) -> int:
    """Delete buckets untouched for longer than every window: they hold nothing that still counts."""
    from datetime import timedelta

    from django.utils import timezone

    deleted, _ = RateLimitBucket.objects.filter(updated_at__lt=timezone.now() - timedelta(seconds=older_than)).delete()
    return deleted
