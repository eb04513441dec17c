"""The token search on PostgreSQL: an ordered posting table for dense queries, the GIN index for sparse ones.

GIN finds the documents that hold every token of a query quickly, but cannot hand them back in key
(pinyin) order: the first page of "张" in a township of 300,000 people means reading and sorting every
one of its 23,000 matches (about 30 ms at a million people). So PostgreSQL also keeps every token of
every document in `people_searchposting (token, key)` — a B-tree whose primary key lists, per token, the
documents in key order (migration 0005; triggers on people_personsearchdoc keep it in step, as they
keep the FTS5 table in step on SQLite). Two ways to answer an AND of token groups:

* **walk**: read the rarest single token's postings in key order (a name token qualified by the
  township when the query lies in one: "张^<id>", migration 0005) and keep a key when every other group
  holds it (one index probe each); stop after `limit` keys. Cheap when matches are dense among the
  walked postings: "张" in a township reads ~3,000 postings instead of sorting 23,000 rows.
* **gin**: the GIN bitmap AND, then sort. Cheap when the groups are large but their intersection is
  small ("张" + a category + a village: 1,200 matches out of lists of 75k, 213k and 77k): a walk would
  probe tens of thousands of postings there.

The choice is a cost estimate from PostgreSQL's own statistics of the posting table (the most common
tokens and their frequencies, pg_stats), read at most every STATS_SECONDS per process. Both ways return
the same keys; tests run every query both ways (tests/test_search_postgres.py).
"""

from __future__ import annotations

import time

from django.db import connection

from tongzhan.people.search import filter_token, qualified

POSTINGS = "people_searchposting"
STATS_SECONDS = 300
# Costs in microseconds, measured at a million people (docs/benchmarks.md): a posting read in key order,
# one probe into another token's postings, a GIN posting-list entry, and a GIN match fetched and sorted.
READ_US, PROBE_US, GIN_ENTRY_US, GIN_ROW_US = 0.15, 1.4, 0.02, 1.0
MERGE_MAX = 3  # groups merged by joins at most; beyond, the plan space grows and the walk or GIN serve
UNKNOWN_DENSITY = 0.5  # of a condition the statistics cannot see (birth-date ranges, verification dates)

_stats: dict = {"at": -STATS_SECONDS, "freq": {}, "rows": 0.0, "floor": 0.0}


def _token_stats() -> dict:
    """{token: documents} for the most common tokens, and the count below which every other token lies."""
    now = time.monotonic()
    if now - _stats["at"] < STATS_SECONDS:
        return _stats
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_vals::text::text[], s.most_common_freqs, c.reltuples FROM pg_class c"
            " LEFT JOIN pg_stats s ON s.tablename = c.relname AND s.attname = 'token'"
            " AND s.schemaname = current_schema() WHERE c.oid = %s::regclass", [POSTINGS])
        row = cursor.fetchone()
    values, freqs, rows = row if row else (None, None, 0)
    rows = max(float(rows or 0), 0.0)
    freq = {token: f * rows for token, f in zip(values or [], freqs or [], strict=False)}
    _stats.update(at=now, freq=freq, rows=rows, floor=min(freq.values()) if freq else 0.0)
    return _stats


def forget_stats() -> None:
    """Read the statistics again on the next query (tests, and after ANALYZE)."""
    _stats["at"] = -STATS_SECONDS


def choose(groups: list[list[str]], *, extra: bool, limit: int,
           gin_groups: list[list[str]] | None = None) -> tuple[str, int]:
    """("walk", index of the driving group), ("merge", -1) or ("gin", -1): the cheapest by the statistics.

    `groups` are read from the posting table (perhaps qualified, "张^<id>"); `gin_groups` are the same
    condition as GIN sees it (unqualified), when they differ.
    """
    singles = [i for i, group in enumerate(groups) if len(group) == 1]
    if not singles:
        return "gin", -1
    if len(groups) == 1 and not extra:
        return "walk", singles[0]  # nothing to probe: the walk reads at most `limit` postings
    stats = _token_stats()
    everyone = stats["freq"].get("0a")
    if not everyone:  # never analysed (a new or tiny registry): either way is instant, GIN is safe
        return "gin", -1

    def size(group):
        return min(everyone, sum(stats["freq"].get(token, stats["floor"]) for token in group))

    def universe(group):
        """The documents a group is drawn from: its region's for a qualified group, else everyone."""
        home = group[0].rpartition("^")[2] if "^" in group[0] else ""
        return min(everyone, max(stats["freq"].get(filter_token("r", home), everyone), 1.0)) if home else everyone

    sizes = [size(group) for group in groups]
    driver = min(singles, key=lambda i: sizes[i])
    density = UNKNOWN_DENSITY if extra else 1.0
    for i, group in enumerate(groups):
        if i != driver:
            density *= min(1.0, sizes[i] / universe(group))
    probes = len(groups) - 1 + (1 if extra else 0)
    matches = sizes[driver] * density
    reads = min(sizes[driver], limit / density if density else sizes[driver])
    costs = {
        "walk": reads * (READ_US + PROBE_US * probes),
        "gin": GIN_ENTRY_US * sum(size(group) for group in (gin_groups or groups)) + GIN_ROW_US * matches,
    }
    if len(singles) == len(groups) <= MERGE_MAX and not extra:
        # No credit for stopping early: a name's postings cluster in one stretch of keys (a surname's
        # pinyin), so the other lists are read from their start up to it, however few matches it needs.
        costs["merge"] = READ_US * sum(sizes)
    how = min(costs, key=costs.__getitem__)
    return (how, driver if how == "walk" else -1)


def matching_keys(groups: list[list[str]], tsquery: str, where: str, params: list, limit: int, *,
                  id_mask: int, place: tuple | None = None, strategy: str | None = None) -> list[int]:
    """The first `limit` document keys, in key order, holding a token of every group and meeting `where`.

    `tsquery` is the same AND of groups for GIN; `place` (TokenQuery.place) lets the posting table read
    qualified tokens; `strategy` forces "walk", "merge" or "gin" (tests compare them).
    """
    sql, args = matching_sql(groups, tsquery, where, params, limit, id_mask=id_mask, place=place, strategy=strategy)
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [key for (key,) in cursor.fetchall()]


def matching_sql(groups: list[list[str]], tsquery: str, where: str, params: list, limit: int, *,
                 id_mask: int, place: tuple | None = None, strategy: str | None = None) -> tuple[str, list]:
    """The statement matching_keys runs, and its arguments: one column of keys, in key order."""
    post_groups = qualified(groups, place)
    how, driver = choose(post_groups, extra=bool(where), limit=limit, gin_groups=groups)
    singles = [i for i, group in enumerate(post_groups) if len(group) == 1]
    if strategy == "gin" or (strategy in ("walk", "merge") and not singles):
        how = "gin"
    elif strategy == "merge" and len(singles) == len(post_groups) and not where:
        how = "merge"
    elif strategy in ("walk", "merge"):
        how, driver = "walk", driver if driver >= 0 else singles[0]
    if how == "walk":
        return _walk_sql(post_groups, driver, where, params, limit, id_mask)
    if how == "merge":
        return _merge_sql(post_groups, limit)
    return _gin_sql(tsquery, where, params, limit)


def _merge_sql(groups, limit):
    # Plain joins on the key: each side is an index-only scan already in key order, so PostgreSQL merges
    # them and stops at `limit`. Used for short lists only (the cost model), where reading them whole
    # is cheaper than a probe per posting.
    # Every match lies between the first list's smallest and largest key, so the other lists are read
    # only there: two probes of the primary key, then index scans bounded on both sides. A name's
    # postings cluster around its surname's pinyin, so "吴" + a category + a village reads the
    # category's postings among "wu…" instead of from "a…" (at a million people, 15 such queries: 37 ms
    # of merging unbounded, 19 ms bounded; docs/benchmarks.md). The first group is the query's first
    # token, a name token whenever there is one.
    first, *rest = [group[0] for group in groups]
    bounds = (f" AND j{{i}}.key >= (SELECT min(key) FROM {POSTINGS} WHERE token = %s)"
              f" AND j{{i}}.key <= (SELECT max(key) FROM {POSTINGS} WHERE token = %s)")
    joins = "".join(f" JOIN {POSTINGS} j{i} ON j{i}.key = w.key AND j{i}.token = %s" + bounds.format(i=i)
                    for i in range(len(rest)))
    sql = f"SELECT w.key FROM {POSTINGS} w{joins} WHERE w.token = %s ORDER BY w.key LIMIT %s"
    return sql, [*(arg for token in rest for arg in (token, first, first)), first, limit]


def _walk_sql(groups, driver, where, params, limit, id_mask):
    # OFFSET 0 keeps each EXISTS a correlated probe of the primary key, evaluated only for the postings
    # the ordered walk reaches; as a semi-join the planner would merge whole posting lists instead.
    probes, args = [], [groups[driver][0]]
    for i, group in enumerate(groups):
        if i == driver:
            continue
        if len(group) == 1:
            probes.append(f" AND EXISTS (SELECT 1 FROM {POSTINGS} t WHERE t.token = %s AND t.key = w.key OFFSET 0)")
            args.append(group[0])
        else:
            probes.append(f" AND EXISTS (SELECT 1 FROM {POSTINGS} t WHERE t.token = ANY(%s) AND t.key = w.key"
                          " OFFSET 0)")
            args.append(list(group))
    if where:
        probes.append(f" AND EXISTS (SELECT 1 FROM people_person p WHERE p.id = (w.key & {id_mask})"
                      f" AND {where} OFFSET 0)")
        args.extend(params)
    sql = (f"SELECT w.key FROM {POSTINGS} w WHERE w.token = %s" + "".join(probes)
           + " ORDER BY w.key LIMIT %s")
    return sql, [*args, limit]


def _gin_sql(tsquery, where, params, limit):
    # MATERIALIZED keeps the planner from walking the primary key in order and testing every document:
    # keys are in pinyin order, so the matches of 张 sit at the far end of it (3 s at a million).
    sql = ("WITH m AS MATERIALIZED (SELECT d.id FROM people_personsearchdoc d"
           + (" JOIN people_person p ON p.id = d.person_id" if where else "")
           + " WHERE array_to_tsvector(string_to_array(d.tokens, ' ')) @@ %s::tsquery"
           + (f" AND {where}" if where else "") + ") SELECT id FROM m ORDER BY id LIMIT %s")
    return sql, [tsquery, *params, limit]
