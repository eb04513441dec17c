"""Login events for the audit log (SECURITY.md E1)."""

from django.db import transaction

from tongzhan.audit.services import record


@transaction.atomic
def record_login(*, user) -> None:
    record(actor=user, event="auth.login")


@transaction.atomic
def record_login_failure(*, username: str) -> None:
    record(actor=None, username=username[:150], event="auth.login_failed", result="failure")


@transaction.atomic
def record_logout(*, user) -> None:
    record(actor=user, event="auth.logout")
