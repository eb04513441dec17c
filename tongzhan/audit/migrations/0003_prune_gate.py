"""Retention (SECURITY.md E3): pruning the head of the audit log, and nothing else, becomes possible.

`audit_prune_allowed` holds at most one row, written only by `prune_audit` inside its own transaction:
while it says `through_id = N`, the triggers let rows with id <= N be deleted. Everything else stays
refused: UPDATE (but the one MAC write), DELETE of any other row, TRUNCATE. The archive markers
(`audit_auditarchive`) are append-only too.
"""

from django.db import migrations, models

SQLITE = [
    "CREATE TABLE audit_prune_allowed (id INTEGER PRIMARY KEY CHECK (id = 1), through_id BIGINT NOT NULL)",
    "DROP TRIGGER audit_no_delete",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM audit_prune_allowed WHERE OLD.id <= through_id)
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END""",
    """CREATE TRIGGER audit_archive_no_update BEFORE UPDATE ON audit_auditarchive
       BEGIN SELECT RAISE(ABORT, 'audit_auditarchive is append-only'); END""",
    """CREATE TRIGGER audit_archive_no_delete BEFORE DELETE ON audit_auditarchive
       BEGIN SELECT RAISE(ABORT, 'audit_auditarchive is append-only'); END""",
]
POSTGRES = [
    "CREATE TABLE audit_prune_allowed (id INTEGER PRIMARY KEY CHECK (id = 1), through_id BIGINT NOT NULL)",
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.mac = 'pending' AND NEW.mac <> 'pending'
            AND (to_jsonb(NEW) - 'mac') = (to_jsonb(OLD) - 'mac') THEN
           RETURN NEW;
         END IF;
         IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_prune_allowed WHERE OLD.id <= through_id) THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'audit_auditevent is append-only';
       END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION audit_archive_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_auditarchive is append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_archive_append_only BEFORE UPDATE OR DELETE ON audit_auditarchive
       FOR EACH ROW EXECUTE FUNCTION audit_archive_append_only()""",
    """CREATE TRIGGER audit_archive_no_truncate BEFORE TRUNCATE ON audit_auditarchive
       FOR EACH STATEMENT EXECUTE FUNCTION audit_archive_append_only()""",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [
        migrations.CreateModel(
            name="AuditArchive",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="时间")),
                ("before", models.DateField(verbose_name="清理截止日期")),
                ("through_id", models.BigIntegerField(verbose_name="清理至记录号")),
                ("anchor_mac", models.CharField(max_length=64, verbose_name="链锚点")),
                ("rows", models.PositiveIntegerField(verbose_name="归档条数")),
                ("path", models.CharField(max_length=500, verbose_name="归档文件")),
                ("sm3", models.CharField(max_length=64, verbose_name="归档文件 SM3")),
            ],
            options={
                "verbose_name": "审计归档",
                "verbose_name_plural": "审计归档",
                "ordering": ["-through_id"],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
