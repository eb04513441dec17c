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


# Sheet imports (issue #4): staff import and undo within their scope; a village liaison imports for their
# own village only (F5) and cannot undo (undo deletes people). Reviewers and auditors do not import.
for _role, _actions in ((Role.DISTRICT_STAFF, {"read", "change", "undo"}),
                        (Role.TOWNSHIP_STAFF, {"read", "change", "undo"}),
                        (Role.VILLAGE_LIAISON, {"read", "change"})):
    GRANTS[_role]["imports.importbatch"] = _actions

# Exports (issue #4, SECURITY.md D5, C7): a village liaison may export their own village, masked only (no
# "unmask"); staff approve each other's unmasked exports over 200 rows; the auditor reads the requests.
GRANTS[Role.VILLAGE_LIAISON]["people.person"] = GRANTS[Role.VILLAGE_LIAISON]["people.person"] | {"export"}
for _role, _actions in ((Role.DISTRICT_STAFF, {"read", "approve"}), (Role.TOWNSHIP_STAFF, {"read", "approve"}),
                        (Role.AUDITOR, {"read"})):
    GRANTS[_role]["people.exportrequest"] = _actions

# Public collection (issue #4, SECURITY.md H3, A4): staff open collections for their township; staff and
# reviewers decide on submissions in their scope (accepting writes the person through the people services);
# the auditor reads. Village liaisons do not see the queue. "purge" is the command line's only (A4).
_DECIDE = {"read", "accept", "return", "reject"}
for _role, _collection, _submission in ((Role.DISTRICT_STAFF, {"read", "change"}, _DECIDE),
                                        (Role.TOWNSHIP_STAFF, {"read", "change"}, _DECIDE),
                                        (Role.REVIEWER, {"read"}, _DECIDE),
                                        (Role.AUDITOR, {"read"}, {"read"})):
    GRANTS[_role]["collection.collection"] = _collection
    GRANTS[_role]["collection.submission"] = _submission

# Supplementation campaigns (数据补报, issue #4): staff open and close campaigns of their township and review
# the villages' returns; a village liaison reads the campaigns of their village (through its return) and
# fills and returns it ("change"); reviewers and auditors read.
for _role, _campaign, _return in ((Role.DISTRICT_STAFF, {"read", "change"}, {"read", "review"}),
                                  (Role.TOWNSHIP_STAFF, {"read", "change"}, {"read", "review"}),
                                  (Role.VILLAGE_LIAISON, set(), {"read", "change"}),
                                  (Role.REVIEWER, {"read"}, {"read"}),
                                  (Role.AUDITOR, {"read"}, {"read"})):
    if _campaign:
        GRANTS[_role]["campaigns.campaign"] = _campaign
    GRANTS[_role]["campaigns.villagereturn"] = _return
    GRANTS[_role]["campaigns.entry"] = {"read"}


def role_may(role: str, label: str, action: str) -> bool:
    return action in GRANTS.get(role, {}).get(label, set())
