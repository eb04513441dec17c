"""Reads of user accounts for the account screens.

Accounts are not personal data of the registry and have no region scope of their own: a holder of
("accounts.user", "read") — the security and system administrators — sees every account; nobody else
sees any.
"""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.http import Http404
from django.utils import timezone

from .models import User


def users_visible_to(user, *, q: str = "", role: str = "", active: str = ""):
    if not user.may("accounts.user", "read"):
        return User.objects.none()
    qs = User.objects.select_related("region").order_by("username")
    if q:
        qs = qs.filter(username__icontains=q) | qs.filter(first_name__icontains=q)
    if role:
        qs = qs.filter(role=role)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs


def get_user_for_user(user, pk) -> User:
    try:
        return users_visible_to(user).get(pk=int(pk))
    except (User.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def sessions_of(user: User) -> list[Session]:
    """Django keeps sessions as signed blobs: decode each live one to find the user's."""
    found = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            found.append(session)
    return found
