"""Account writes and login events, each audited (SECURITY.md B1–B4, E1).

Views call these; the management command `create_admin` calls `create_administrator`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhan.audit.services import record

from .models import PasswordHistory, User
from .passwords import history_count
from .roles import ADMIN_ROLES, Role

# -- login events ---------------------------------------------------------------------------------


@transaction.atomic
def record_login(*, user) -> None:
    record(actor=user, event="auth.login")


@transaction.atomic
def record_login_failure(*, username: str, reason: str = "") -> None:
    """`reason` is for the audit reader only ("ip_locked", "locked"); the user sees one message."""
    record(actor=None, username=username[:150], event="auth.login_failed", result="failure", reason=reason)


@transaction.atomic
def record_lockout(*, username: str, scope: str) -> None:
    """A username (5 failures) or an address (20 in 10 minutes) has just been locked."""
    record(
        actor=None, username=username[:150], event="auth.lockout", result="denied", detail={"scope": scope}
    )


@transaction.atomic
def record_logout(*, user) -> None:
    record(actor=user, event="auth.logout")


# -- second factor --------------------------------------------------------------------------------


def pending_totp_device(*, user):
    """The user's unconfirmed TOTP device, created on first need; its key is shown once for enrolment."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("手机验证器"), confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(*, user, device, token: str) -> bool:
    """Confirm an enrolment with the first code from the user's app; other pending devices go away."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(token):
        record(actor=user, event="auth.otp_failed", result="failure", reason="enrolment")
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    record(actor=user, event="auth.otp_enrolled", obj=user)
    return True


def verify_totp(*, user, token: str):
    """The confirmed device that accepts `token`, or None (audited). A used code never works twice:
    the device remembers the last accepted time step (TOTPDevice.last_t)."""
    from django_otp import verify_token
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        return None
    accepted = verify_token(user, device.persistent_id, token)
    with transaction.atomic():
        if accepted is None:
            record(actor=user, event="auth.otp_failed", result="failure")
        else:
            record(actor=user, event="auth.otp_verified")
    return accepted


def has_totp(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(user) -> bool:
    """Level 3: every account. Level 2: those who chose to enrol."""
    return settings.SECURITY_LEVEL >= 3 or has_totp(user)


# -- passwords ------------------------------------------------------------------------------------


def _store_password(*, user, raw_password: str, must_change: bool) -> None:
    """Set the password, keep its hash in the history, drop history beyond what the profile checks."""
    user.set_password(raw_password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    user.version += 1
    user.save(update_fields=["password", "password_changed_at", "must_change_password", "version"])
    PasswordHistory.objects.create(user=user, password=user.password)
    keep = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[: history_count()]
    PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()


@transaction.atomic
def change_own_password(*, user, new_password: str) -> None:
    """The user's own change (the form has checked the old password). Clears a forced change."""
    validate_password(new_password, user)
    _store_password(user=user, raw_password=new_password, must_change=False)
    record(actor=user, event="auth.password_changed", obj=user)


@transaction.atomic
def reset_password(*, actor, user, new_password: str) -> None:
    """A security administrator sets someone's password: the owner must change it at the next login."""
    if not (actor.role == Role.SECURITY_ADMIN or actor.role == "system") or actor.pk == user.pk:
        raise PermissionDenied
    validate_password(new_password, user)
    _store_password(user=user, raw_password=new_password, must_change=True)
    record(actor=actor, event="auth.password_reset", obj=user)


def password_expired(user, now: datetime.datetime | None = None) -> bool:
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days <= 0:
        return False
    changed = user.password_changed_at or user.date_joined
    return (now or timezone.now()) - changed > datetime.timedelta(days=days)


@transaction.atomic
def expire_password_if_due(*, user) -> bool:
    """At login: past the rotation period, the user must choose a new password before anything else."""
    if user.must_change_password or not password_expired(user):
        return False
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    record(actor=user, event="auth.password_expired", obj=user)
    return True


# -- the first administrator ------------------------------------------------------------------------


@transaction.atomic
def create_administrator(*, actor, username: str, role: str, password: str) -> User:
    """Create one of the three administrators from the command line; the password must be changed at
    first login (SECURITY.md B1)."""
    if role not in ADMIN_ROLES:
        raise ValidationError(_("角色必须是系统管理员、安全管理员或审计管理员之一。"))
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("用户名 %(username)s 已存在。") % {"username": username})
    user = User(username=username, role=role, must_change_password=True)
    validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.full_clean()
    user.save()
    PasswordHistory.objects.create(user=user, password=user.password)
    record(actor=actor, event="accounts.user_created", obj=user, detail={"role": role})
    return user
