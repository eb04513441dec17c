"""The search index over PersonSearchDoc.tokens: FTS5 on SQLite, GIN on PostgreSQL (DESIGN.md §5).

On SQLite the FTS5 table takes its text from people_personsearchdoc (external content) and triggers keep
it in step. Tokens are separated by spaces and unicode61 splits on nothing else that tokens contain.
"""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE people_person_fts USING fts5(
         tokens, content='people_personsearchdoc', content_rowid='id',
         tokenize='unicode61 remove_diacritics 0', detail='none')""",
    """CREATE TRIGGER people_psd_ai AFTER INSERT ON people_personsearchdoc BEGIN
         INSERT INTO people_person_fts(rowid, tokens) VALUES (new.id, new.tokens); END""",
    """CREATE TRIGGER people_psd_ad AFTER DELETE ON people_personsearchdoc BEGIN
         INSERT INTO people_person_fts(people_person_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); END""",
    """CREATE TRIGGER people_psd_au AFTER UPDATE ON people_personsearchdoc BEGIN
         INSERT INTO people_person_fts(people_person_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
         INSERT INTO people_person_fts(rowid, tokens) VALUES (new.id, new.tokens); END""",
]
POSTGRES = [
    """CREATE INDEX people_psd_tokens_gin ON people_personsearchdoc
         USING gin (array_to_tsvector(string_to_array(tokens, ' ')))""",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
