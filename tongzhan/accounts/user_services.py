"""Account management by the security administrator (SECURITY.md B5, C4, C6).

Every write takes an `actor`, checks the grant, runs in a transaction and records audit (house rule 2).
A user's scope is read from the database on every request, so a change of role or region applies on
the user's next request without ending their session; ending sessions is a separate, explicit act.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongzhan.audit.services import record

from .models import User
from .roles import ADMIN_ROLES
from .user_selectors import sessions_of

LABEL = "accounts.user"


def _require(actor) -> None:
    if not actor.may(LABEL, "change"):
        raise PermissionDenied(_("您没有管理用户账号的权限"))


def _region_code(region) -> str:
    return region.code if region is not None else ""


def _check_role_region(role: str, region) -> None:
    if role in ADMIN_ROLES and region is not None:
        raise ValidationError({"region": _("管理员账号不设所属区划")})
    if role not in ADMIN_ROLES and region is None:
        raise ValidationError({"region": _("请为该角色指定所属区划")})


@transaction.atomic
def create_user(
    *, actor, username: str, first_name: str, role: str, region, password: str, phone_note: str = ""
) -> User:
    """A new account that must change its password at first login (SECURITY.md B1)."""
    _require(actor)
    _check_role_region(role, region)
    user = User(
        username=username.strip(),
        first_name=first_name.strip(),
        role=role,
        region=region,
        phone_note=phone_note.strip(),
        must_change_password=True,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    record(
        actor=actor,
        event="user.create",
        obj=user,
        detail={"username": user.username, "role": role, "region": _region_code(region)},
    )
    return user


@transaction.atomic
def change_role(*, actor, user: User, role: str, region) -> User:
    """Set role and region; the user's next request is scoped by them (C6)."""
    _require(actor)
    if user.pk == actor.pk:
        raise PermissionDenied(_("不能修改自己的角色"))
    _check_role_region(role, region)
    user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
    before = {"role": user.role, "region": _region_code(user.region)}
    user.role, user.region = role, region
    user.full_clean()
    user.version += 1
    user.save(update_fields=["role", "region", "version"])
    after = {"role": role, "region": _region_code(region)}
    record(actor=actor, event="user.role_change", obj=user, detail={"before": before, "after": after})
    return user


def _end_sessions(user: User) -> int:
    sessions = sessions_of(user)
    Session.objects.filter(session_key__in=[s.session_key for s in sessions]).delete()
    return len(sessions)


@transaction.atomic
def end_sessions(*, actor, user: User) -> int:
    """Log the user out everywhere now. Returns how many sessions ended."""
    _require(actor)
    count = _end_sessions(user)
    record(actor=actor, event="user.sessions_end", obj=user, detail={"sessions": count})
    return count


@transaction.atomic
def set_active(*, actor, user: User, active: bool) -> User:
    """Disable (and log out) or re-enable an account. Accounts are never deleted: the audit log names them."""
    _require(actor)
    if user.pk == actor.pk:
        raise PermissionDenied(_("不能停用自己的账号"))
    user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
    user.is_active = active
    user.version += 1
    user.save(update_fields=["is_active", "version"])
    ended = 0 if active else _end_sessions(user)
    record(
        actor=actor,
        event="user.enable" if active else "user.disable",
        obj=user,
        detail={"sessions": ended} if not active else {},
    )
    return user


@transaction.atomic
def reset_password(*, actor, user: User, password: str) -> User:
    """A temporary password the user must change at next login; their sessions end."""
    _require(actor)
    user = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.version += 1
    user.save(update_fields=["password", "must_change_password", "version"])
    ended = _end_sessions(user)
    record(actor=actor, event="user.password_reset", obj=user, detail={"sessions": ended})
    return user


@transaction.atomic
def record_reauth(*, user, success: bool) -> None:
    """A re-entered password, right or wrong (SECURITY.md B5, E1)."""
    record(actor=user, event="auth.reauth", result="success" if success else "failure")
