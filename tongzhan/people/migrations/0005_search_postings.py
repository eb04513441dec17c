"""PostgreSQL only: every search token of every document in key order, beside the GIN index.

`people_searchposting (token, key)` lists, per token, the documents holding it in key (pinyin) order —
its primary key is that B-tree, which GIN cannot be (tongzhan/people/search_postgres.py). Name tokens
(those not starting with "0") are also posted qualified by the person's township and by the village,
"token^<region id>", and category tokens by the village: a township's staff find "张" by reading the
first postings of "张^<township>", a liaison or a village filter reads "张^<village>", and 张 + a category
+ a village merges two short lists instead of probing big ones.

`people_search_postings(tokens, key)` gives a document's postings; statement-level triggers with
transition tables apply it to inserted, updated and deleted documents, so bulk inserts stay bulk. The
township and village are the regions of those levels among the document's "0r<id>" tokens: region ids
never change and levels follow depth (regions.models.PARENT_LEVEL), so the same document always gives
the same postings, on insert and on delete. The token column collates "C": the B-tree compares bytes
instead of calling the locale's strcoll, which halves the cost of a probe. Existing documents are
posted before the primary key is built (one sort, not millions of B-tree insertions). SQLite answers from
FTS5 and gets nothing here.
"""

from django.db import migrations

POSTGRES = [
    """CREATE FUNCTION people_search_postings(doc_tokens text, doc_key bigint)
       RETURNS TABLE (token text, key bigint) LANGUAGE sql STABLE AS $$
         WITH t AS (SELECT DISTINCT x FROM unnest(string_to_array(doc_tokens, ' ')) x WHERE x <> ''),
              home AS (SELECT r.id, r.level FROM regions_region r WHERE r.level IN ('township', 'village')
                        AND r.id IN (SELECT substr(x, 3)::bigint FROM t WHERE x ~ '^0r[0-9]{1,18}$'))
         SELECT x, doc_key FROM t
         UNION ALL
         SELECT x || '^' || home.id, doc_key FROM t, home
          WHERE left(x, 1) <> '0' OR (home.level = 'village' AND x ~ '^0c[0-9]+$')
       $$""",
    """CREATE TABLE people_searchposting (token text COLLATE "C" NOT NULL, key bigint NOT NULL)""",
    """INSERT INTO people_searchposting (token, key)
       SELECT p.token, p.key FROM people_personsearchdoc d, people_search_postings(d.tokens, d.id) p""",
    "ALTER TABLE people_searchposting ADD PRIMARY KEY (token, key)",
    "ALTER TABLE people_searchposting ALTER COLUMN token SET STATISTICS 1000",
    """CREATE FUNCTION people_searchposting_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'UPDATE') THEN
           DELETE FROM people_searchposting s USING old_docs o, people_search_postings(o.tokens, o.id) p
            WHERE s.token = p.token AND s.key = p.key;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           INSERT INTO people_searchposting (token, key)
           SELECT p.token, p.key FROM new_docs n, people_search_postings(n.tokens, n.id) p;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER people_psd_postings_ai AFTER INSERT ON people_personsearchdoc
         REFERENCING NEW TABLE AS new_docs FOR EACH STATEMENT EXECUTE FUNCTION people_searchposting_sync()""",
    """CREATE TRIGGER people_psd_postings_au AFTER UPDATE ON people_personsearchdoc
         REFERENCING OLD TABLE AS old_docs NEW TABLE AS new_docs
         FOR EACH STATEMENT EXECUTE FUNCTION people_searchposting_sync()""",
    """CREATE TRIGGER people_psd_postings_ad AFTER DELETE ON people_personsearchdoc
         REFERENCING OLD TABLE AS old_docs FOR EACH STATEMENT EXECUTE FUNCTION people_searchposting_sync()""",
    "ANALYZE people_searchposting",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS people_psd_postings_ai ON people_personsearchdoc",
    "DROP TRIGGER IF EXISTS people_psd_postings_au ON people_personsearchdoc",
    "DROP TRIGGER IF EXISTS people_psd_postings_ad ON people_personsearchdoc",
    "DROP FUNCTION IF EXISTS people_searchposting_sync()",
    "DROP TABLE IF EXISTS people_searchposting",
    "DROP FUNCTION IF EXISTS people_search_postings(text, bigint)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("people", "0004_export_request"), ("regions", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
