"""Database triggers make the audit table append-only (SECURITY.md E2).

The one UPDATE allowed is the service writing a row's chain MAC over its placeholder, once.
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT (OLD.mac = 'pending' AND NEW.mac <> 'pending' AND NEW.id = OLD.id AND NEW.at = OLD.at
                 AND NEW.event = OLD.event AND NEW.detail = OLD.detail AND NEW.username = OLD.username
                 AND NEW.object_id = OLD.object_id AND NEW.result = OLD.result)
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.mac = 'pending' AND NEW.mac <> 'pending'
            AND (to_jsonb(NEW) - 'mac') = (to_jsonb(OLD) - 'mac') THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'audit_auditevent is append-only';
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
