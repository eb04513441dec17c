"""Users: one role each, rooted at one region."""

from types import SimpleNamespace

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhan.core.models import Versioned

from .roles import ADMIN_ROLES, Role, role_may

WHOLE_TREE = SimpleNamespace(path="/", pk=None, parent_id=None)


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
    is_demo = models.BooleanField(_("演示账号"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_known"
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
