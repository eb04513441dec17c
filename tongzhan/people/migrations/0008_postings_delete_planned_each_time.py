"""PostgreSQL only: the postings trigger plans its DELETE on every firing, with the old postings computed once.

Migration 0005's trigger deleted with a static `DELETE … USING old_docs, people_search_postings(…)`.
PL/pgSQL prepares a static statement on its first execution in a connection and reuses that plan for
the connection's life. When the first UPDATE or DELETE of a search document in a connection comes
while `people_searchposting` is empty (a new installation, or a test run), the plan takes the table
for empty: a nested loop with the postings table outside and `people_search_postings()`, which reads
`regions_region`, evaluated once per posting row. Measured on the demo township (7,091 postings) in
one connection whose first UPDATE saw an empty table: updating three documents took 9.1 s and 21,276
scans of `regions_region`; a PostgreSQL test run once stalled on it for 40 minutes. A MATERIALIZED CTE
alone keeps the function to one call per document, but the cached plan then read the whole postings
table for every update (889,604 rows read while loading the demo), which at a million people is
tens of millions. So the DELETE is run with EXECUTE, planned each time from the table as it is now
(one planning per statement: the trigger is statement-level), and with the old postings
MATERIALIZED; both measured: index lookups only, 0.01 s.

The INSERT half is never joined to the postings table and stays a static statement.
"""

from django.db import migrations

SYNC = """CREATE OR REPLACE FUNCTION people_searchposting_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'UPDATE') THEN
           %s
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           INSERT INTO people_searchposting (token, key)
           SELECT p.token, p.key FROM new_docs n, people_search_postings(n.tokens, n.id) p;
         END IF;
         RETURN NULL;
       END $$"""
PLANNED_EACH_TIME = """EXECUTE 'WITH gone AS MATERIALIZED (
             SELECT p.token, p.key FROM old_docs o, people_search_postings(o.tokens, o.id) p)
           DELETE FROM people_searchposting s USING gone g WHERE s.token = g.token AND s.key = g.key';"""
# Migration 0005's form, for the way back.
STATIC = """DELETE FROM people_searchposting s USING old_docs o, people_search_postings(o.tokens, o.id) p
            WHERE s.token = p.token AND s.key = p.key;"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SYNC % PLANNED_EACH_TIME)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SYNC % STATIC)


class Migration(migrations.Migration):
    dependencies = [("people", "0007_plain_insert_trigger")]
    operations = [migrations.RunPython(forwards, backwards)]
