"""SQLite only: the FTS5 insert trigger without its pause switch; the bulk writer drops it instead.

Migration 0006 let the bulk writer pause the insert trigger with a row in `people_fts_deferred`
(`WHEN NOT EXISTS (SELECT 1 FROM people_fts_deferred)`). Inside an import's transaction that test,
run for every inserted document, grew slower with every chunk: 4 ms for the first 500 documents, 80 ms
for the hundredth chunk, 14–21 s of a 100,000-row import for what takes 0.5 s with no trigger on the
table (docs/benchmarks.md, Import). The bulk writer (people.services.bulk.write_search_documents) now
drops the trigger in the caller's transaction and creates it again from its stored SQL before leaving,
so a failure rolls the drop back with everything else. The trigger goes back to migration 0002's form and the
switch table goes.
"""

from django.db import migrations

PLAIN = """CREATE TRIGGER people_psd_ai AFTER INSERT ON people_personsearchdoc BEGIN
         INSERT INTO people_person_fts(rowid, tokens) VALUES (new.id, new.tokens); END"""
PAUSABLE = """CREATE TRIGGER people_psd_ai AFTER INSERT ON people_personsearchdoc
         WHEN NOT EXISTS (SELECT 1 FROM people_fts_deferred) BEGIN
         INSERT INTO people_person_fts(rowid, tokens) VALUES (new.id, new.tokens); END"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS people_psd_ai")
        cursor.execute(PLAIN)
        cursor.execute("DROP TABLE IF EXISTS people_fts_deferred")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS people_psd_ai")
        cursor.execute("CREATE TABLE IF NOT EXISTS people_fts_deferred (id integer PRIMARY KEY)")
        cursor.execute(PAUSABLE)


class Migration(migrations.Migration):
    dependencies = [("people", "0006_village_tokens")]
    operations = [migrations.RunPython(forwards, backwards)]
