"""Lifting the audit tables' append-only triggers around a test database flush, on either database.

Transactional tests end with pytest-django emptying every table, and the audit triggers rightly refuse
that. Tests lift them just for the flush: SQLite drops each trigger and recreates it from the SQL that
SQLite itself stored (so the current migration's definition comes back, whatever it is); PostgreSQL
disables and re-enables the user triggers of every audit_* table.
"""

from django.db import connection

_saved: dict[str, str] = {}


def _audit_triggers(cursor) -> list[tuple[str, str, str]]:
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname, t.tgname, '' FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relname LIKE 'audit\\_%'"
        )
    else:
        cursor.execute(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name LIKE 'audit\\_%' ESCAPE '\\'"
        )
    return cursor.fetchall()


def lift() -> None:
    with connection.cursor() as cursor:
        triggers = _audit_triggers(cursor)
        if connection.vendor == "postgresql":
            for table in sorted({t for t, _, _ in triggers}):
                cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} DISABLE TRIGGER USER")
            return
        for _, name, sql in triggers:
            _saved[name] = sql
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")


def restore() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in sorted({t for t, _, _ in _audit_triggers(cursor)}):
                cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} ENABLE TRIGGER USER")
            return
        present = {name for _, name, _ in _audit_triggers(cursor)}
        for name, sql in list(_saved.items()):
            if name not in present:
                cursor.execute(sql)


def empty_audit_tables_now() -> None:
    """SQLite only needs the tables emptied once, triggers lifted and restored around it."""
    lift()
    with connection.cursor() as cursor:
        for table in ("audit_auditevent", "audit_auditarchive"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    restore()
