"""Login lockout (SECURITY.md B3): by username through django-axes, by IP through axes' failure log.

Axes has one failure limit, and it is spent on the username rule (5 failures, 30 minutes' cool-off,
settings.AXES_*). The IP rule counts axes' AccessFailureLog rows — one per failed login, in the
database — so it holds across server processes: an address with AXES_IP_LIMIT failures within
AXES_IP_WINDOW is refused before any password is checked. Refusals are logged as failures too, so an
address that keeps trying stays locked; one that stops is let in again once the window has passed.
"""

from __future__ import annotations

import ipaddress

from axes.helpers import get_client_ip_address, get_client_path_info, get_client_user_agent
from axes.models import AccessFailureLog
from django.conf import settings
from django.utils import timezone


def request_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or behind our proxy the address it forwards.

    deploy/nginx sets X-Forwarded-For to its own $remote_addr (one value, not appended to), so the
    last entry is the client as the proxy saw it; anything unparsable falls back to REMOTE_ADDR.
    """
    if settings.AXES_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or None


def client_address(request) -> str | None:
    """The address exactly as axes computes it, so both rules speak of the same client."""
    return get_client_ip_address(request)


def ip_failures(ip: str | None) -> int:
    if not ip:
        return 0
    since = timezone.now() - settings.AXES_IP_WINDOW
    return AccessFailureLog.objects.filter(ip_address=ip, attempt_time__gte=since).count()


def ip_locked(ip: str | None) -> bool:
    return ip_failures(ip) >= settings.AXES_IP_LIMIT


def note_refused(request, username: str) -> None:
    """Log a login refused because its address is locked, the way axes logs a failure."""
    AccessFailureLog.objects.create(
        username=username[:255] or None,
        ip_address=client_address(request),
        user_agent=get_client_user_agent(request)[:255],
        http_accept=request.META.get("HTTP_ACCEPT", "<unknown>")[:1025],
        path_info=get_client_path_info(request)[:255],
        locked_out=True,
    )


def username_lock_just_began(request) -> bool:
    """True on the failure that reached the username limit (axes notes the count on the request)."""
    return getattr(request, "axes_failures_since_start", None) == settings.AXES_FAILURE_LIMIT


def same_as_wrong_password(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a locked account sees the login page with the wrong-password message.

    The login view has already rendered exactly that (LoginForm's one message), so a stranger cannot
    tell a locked account from a wrong password or an unknown user.
    """
    return original_response
