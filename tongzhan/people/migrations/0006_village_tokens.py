"""SQLite only: village-qualified tokens in the FTS5 index, and a bulk path that skips the per-row trigger.

1. Documents now carry their category tokens qualified by the village, "0c3^<village id>"
   (people.search.place_tokens; PostgreSQL derives them in its posting table, migration 0005). FTS5's
   unicode61 tokenizer splits on "^", so the table is rebuilt with `tokenchars '^'`, and every existing
   document gets its qualified tokens: its village is the region of that level among its "0r<id>"
   tokens. The triggers are dropped first, the documents rewritten, and the index built in one
   'rebuild' pass over them (an UPDATE per document through the triggers would be far slower).
2. `people_fts_deferred`: while it holds a row the insert trigger does nothing. The bulk writer
   (people.services.bulk.write_search_documents) inserts a row, writes many documents, feeds FTS5 the
   same rows with one executemany and deletes the row, all in one savepoint: FTS5 fed by a trigger, one
   document per nested statement, does three to four times the work in isolation (docs/benchmarks.md).
"""

import re

from django.db import migrations

FTS = """CREATE VIRTUAL TABLE people_person_fts USING fts5(
         tokens, content='people_personsearchdoc', content_rowid='id',
         tokenize="unicode61 remove_diacritics 0 tokenchars '^'", detail='none')"""
OLD_FTS = """CREATE VIRTUAL TABLE people_person_fts USING fts5(
         tokens, content='people_personsearchdoc', content_rowid='id',
         tokenize='unicode61 remove_diacritics 0', detail='none')"""
DROP = [
    "DROP TRIGGER IF EXISTS people_psd_ai",
    "DROP TRIGGER IF EXISTS people_psd_ad",
    "DROP TRIGGER IF EXISTS people_psd_au",
    "DROP TABLE IF EXISTS people_person_fts",
]
TRIGGERS = [
    """CREATE TRIGGER people_psd_ai AFTER INSERT ON people_personsearchdoc
         WHEN NOT EXISTS (SELECT 1 FROM people_fts_deferred) BEGIN
         INSERT INTO people_person_fts(rowid, tokens) VALUES (new.id, new.tokens); END""",
    """CREATE TRIGGER people_psd_ad AFTER DELETE ON people_personsearchdoc BEGIN
         INSERT INTO people_person_fts(people_person_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); END""",
    """CREATE TRIGGER people_psd_au AFTER UPDATE ON people_personsearchdoc BEGIN
         INSERT INTO people_person_fts(people_person_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
         INSERT INTO people_person_fts(rowid, tokens) VALUES (new.id, new.tokens); END""",
]
OLD_TRIGGERS = [
    """CREATE TRIGGER people_psd_ai AFTER INSERT ON people_personsearchdoc BEGIN
         INSERT INTO people_person_fts(rowid, tokens) VALUES (new.id, new.tokens); END""",
    *TRIGGERS[1:],
]
REBUILD = "INSERT INTO people_person_fts(people_person_fts) VALUES ('rebuild')"
CHUNK = 5000
CATEGORY = re.compile(r"0c[0-9]+$")


def _rewrite(cursor, change) -> None:
    """Apply `change(tokens list) -> tokens list` to every document, in chunks of ids (no triggers live)."""
    last = None
    while True:
        if last is None:
            cursor.execute("SELECT id, tokens FROM people_personsearchdoc ORDER BY id LIMIT %s", [CHUNK])
        else:
            cursor.execute("SELECT id, tokens FROM people_personsearchdoc WHERE id > %s ORDER BY id LIMIT %s",
                           [last, CHUNK])
        rows = cursor.fetchall()
        if not rows:
            return
        updates = []
        for key, tokens in rows:
            new = " ".join(change(tokens.split()))
            if new != tokens:
                updates.append((new, key))
        if updates:
            cursor.executemany("UPDATE people_personsearchdoc SET tokens = %s WHERE id = %s", updates)
        last = rows[-1][0]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    Region = apps.get_model("regions", "Region")
    paths = {pk: [int(part) for part in path.strip("/").split("/") if part]
             for pk, path in Region.objects.values_list("pk", "path")}

    def with_places(tokens: list[str]) -> list[str]:
        plain = [t for t in tokens if "^" not in t]
        deepest = max((paths.get(int(t[2:]), []) for t in plain if t.startswith("0r") and t[2:].isdigit()),
                      key=len, default=[])
        if len(deepest) < 3:  # above the village level: nothing to qualify
            return sorted(set(plain))
        # as people.search.place_tokens writes them (kept here so the migration never changes)
        village = deepest[2]
        return sorted(set(plain) | {f"{t}^{village}" for t in plain if CATEGORY.match(t)})

    with schema_editor.connection.cursor() as cursor:
        for sql in DROP:
            cursor.execute(sql)
        cursor.execute("CREATE TABLE people_fts_deferred (id integer PRIMARY KEY)")
        _rewrite(cursor, with_places)
        cursor.execute(FTS)
        for sql in TRIGGERS:
            cursor.execute(sql)
        cursor.execute(REBUILD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in DROP:
            cursor.execute(sql)
        cursor.execute("DROP TABLE IF EXISTS people_fts_deferred")
        _rewrite(cursor, lambda tokens: [t for t in tokens if "^" not in t])
        cursor.execute(OLD_FTS)
        for sql in OLD_TRIGGERS:
            cursor.execute(sql)
        cursor.execute(REBUILD)


class Migration(migrations.Migration):
    dependencies = [("people", "0005_search_postings"), ("regions", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
