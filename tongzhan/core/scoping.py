"""THE scope function: every protected read goes through `restrict()` (SECURITY.md C1, C2).

A model opts in by naming the lookup to its region in `scope_region_field` ("region",
"person__region", …). A user sees the subtree under their own region; out of scope is simply absent
from the queryset, so a detail view answers 404 exactly as for a missing row (netbox's `restrict`,
zulip's `access_stream_by_id`).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

READ, CHANGE, DELETE, EXPORT = "read", "change", "delete", "export"


def region_of(user):
    """The region a user's scope is rooted at, or None when the user may see no personal data."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.scope_region()


def restrict(qs: QuerySet, user, action: str = READ) -> QuerySet:
    field = getattr(qs.model, "scope_region_field", None)
    if field is None:
        raise ImproperlyConfigured(f"{qs.model.__name__} has no scope_region_field")
    if not user_may(user, qs.model, action):
        return qs.none()
    root = region_of(user)
    if root is None:
        return qs.none()
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    return qs.filter(**{lookup: root.path})


def user_may(user, model, action: str) -> bool:
    """Whether the user's role grants `action` on `model` at all; the region test comes after."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.may(model._meta.label_lower, action)
