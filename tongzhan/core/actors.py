"""The actor for writes made from the server's command line (imports, demo loading, key rotation).

It is whoever holds a shell on the server: the audit log records it as "system" (SECURITY.md E1).
"""

from types import SimpleNamespace


class SystemActor:
    is_authenticated = False
    is_active = True
    pk = None
    role = "system"

    def __init__(self, label: str = "system"):
        self.label = label

    def get_username(self) -> str:
        return self.label

    def may(self, label: str, action: str) -> bool:
        return True

    def scope_region(self):
        return SimpleNamespace(path="/", pk=None, parent_id=None)


SYSTEM = SystemActor()
