"""Re-authentication before unmasking, exporting or changing permissions (SECURITY.md B5).

A session that re-entered its password within the last five minutes may do these things; any other
is sent to the re-authentication page (`accounts:reauth`), which comes back to `next`. The moment is
kept in the session (server side), never in the URL or the browser.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "reauth_at"
WINDOW_SECONDS = 5 * 60


def is_recent(request) -> bool:
    """Whether this session re-entered its password within the window."""
    at = request.session.get(SESSION_KEY)
    return isinstance(at, int | float) and 0 <= time.time() - at <= WINDOW_SECONDS


def mark(request) -> None:
    request.session[SESSION_KEY] = int(time.time())


def safe_next(request, candidate: str | None, default: str = "/") -> str:
    """`candidate` if it is a path on this site, else `default`: no open redirect, no other host."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return default
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return candidate


def redirect_to_reauth(request, next_url: str | None = None):
    """Send the user to re-enter the password, then back to `next_url` (default: this GET page)."""
    target = next_url or request.get_full_path()
    return redirect(f"{reverse('accounts:reauth')}?{urlencode({'next': target})}")


def require_recent_auth(view=None, *, next_url=None):
    """Decorator: the view runs only for a session that re-authenticated within the window.

    Put it inside the permission check, so a user without the grant gets 403 (or 404) rather than
    a request for the password. `next_url(request, *args, **kwargs)` names where to return when the
    view itself is POST-only.
    """

    def decorate(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            if not is_recent(request):
                target = next_url(request, *args, **kwargs) if next_url else None
                return redirect_to_reauth(request, target)
            return func(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
