"""Roles and what each may do, as one table (SECURITY.md C1, C4, C5).

A grant is (model label, action). The region test comes after, in `core.scoping.restrict`. The three
administrators of 等保 have disjoint powers and none of them reads personal data.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_STAFF = "district_staff", _("区统战部工作人员")
    TOWNSHIP_STAFF = "township_staff", _("乡镇统战办工作人员")
    VILLAGE_LIAISON = "village_liaison", _("村统战联络员")
    REVIEWER = "reviewer", _("审核员")
    AUDITOR = "auditor", _("审计员（只读）")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}

PEOPLE_MODELS = [
    "people.person", "people.categorymembership", "people.relative", "people.post", "people.educationrecord",
    "people.honour", "people.historyentry", "people.savedsearch", "people.personsearchdoc",
]
ALL = {"read", "change", "delete", "export"}

GRANTS: dict[str, dict[str, set[str]]] = {
    Role.DISTRICT_STAFF: {**{m: ALL for m in PEOPLE_MODELS}, "people.person": ALL | {"unmask"},
                          "regions.region": {"read", "change"}},
    Role.TOWNSHIP_STAFF: {**{m: ALL for m in PEOPLE_MODELS}, "people.person": ALL | {"unmask"},
                          "regions.region": {"read", "change"}},
    Role.VILLAGE_LIAISON: {**{m: {"read", "change"} for m in PEOPLE_MODELS}, "regions.region": {"read"}},
    Role.REVIEWER: {**{m: {"read"} for m in PEOPLE_MODELS}, "regions.region": {"read"}},
    Role.AUDITOR: {**{m: {"read"} for m in PEOPLE_MODELS}, "regions.region": {"read"},
                   "audit.auditevent": {"read", "export"}},
    # The system administrator sees who has an account; only the security administrator changes
    # accounts, roles and regions (C4). The security administrator reads the region tree to assign it.
    Role.SYSTEM_ADMIN: {"regions.region": {"read", "change"}, "accounts.user": {"read"}},
    Role.SECURITY_ADMIN: {"accounts.user": {"read", "change"}, "accounts.role": {"change"},
                          "regions.region": {"read"}},
    # "all": every event, not only those of users in a scope; "prune": retention (E3), by command only.
    Role.AUDIT_ADMIN: {"audit.auditevent": {"read", "export", "all", "prune"}},
}


def role_may(role: str, label: str, action: str) -> bool:
    return action in GRANTS.get(role, {}).get(label, set())
