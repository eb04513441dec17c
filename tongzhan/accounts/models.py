"""Users: one role each, rooted at one region."""

from types import SimpleNamespace

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core.models import Versioned

from .roles import ADMIN_ROLES, Role, role_may

WHOLE_TREE = SimpleNamespace(path="/", pk=None, parent_id=None)


class ScopedUserManager(UserManager):
    """Users come with their region: every request reads the user and then the scope's root (C6), and
    on PostgreSQL that second round trip costs most of a millisecond on every page."""

    def get_queryset(self):
        return super().get_queryset().select_related("region")


class User(Versioned, AbstractUser):
    """A staff member, liaison, reviewer, auditor or administrator.

    One role per account makes the 等保 三员 separation (C4) structural: an account cannot hold two
    administrator roles because it holds one role. `region` roots the user's scope; administrators have
    no region because they read no personal data.
    """

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.TOWNSHIP_STAFF)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属区划"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )
    phone_note = models.CharField(_("办公电话"), max_length=32, blank=True)
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    # When the password was last set through a service; null means never since creation (date_joined counts).
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示账号"), default=False)

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_known"
            ),
            # Administrators read no personal data, so they have no region; everyone else has one.
            models.CheckConstraint(
                condition=(models.Q(role__in=sorted(ADMIN_ROLES), region__isnull=True)
                           | (~models.Q(role__in=sorted(ADMIN_ROLES)) & models.Q(region__isnull=False))),
                name="user_region_matches_role",
                violation_error_message=_("管理员账号不设所属区划；其他角色必须指定所属区划。"),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def may(self, label: str, action: str) -> bool:
        return self.is_active and role_may(self.role, label, action)

    def scope_region(self):
        """Read fresh on every request: a scope change takes effect on the next request (C6).

        Administrators span the whole tree, but their grants (roles.py) keep them away from personal data.
        """
        if self.role in ADMIN_ROLES:
            return WHOLE_TREE
        return self.region


class PasswordHistory(models.Model):
    """An earlier password hash of a user, so the `mlps` profile can refuse the last five (SECURITY.md B2).

    Only hashes are kept, with the hasher's own salt; the services keep the newest few and drop the rest.
    """

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="password_history")
    password = models.CharField(_("密码散列"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"
