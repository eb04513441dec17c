"""The query system: one search function over a token index, with a backend per database.

Every person has a search document (PersonSearchDoc): name tokens (characters, bigrams, pinyin and its
prefixes, initials — see core.names) plus filter tokens (all "0…"-prefixed so no typed query can reach
them): category, every ancestor region, sex, birth year, ethnicity and religion (as blind-index
prefixes, never in clear), political affiliation. A query is an AND of tokens, answered by SQLite FTS5
or, on PostgreSQL, by an ordered posting table or a GIN index (search_postgres). The document's key is
the pinyin sort key packed above the person id, so "the first page in pinyin order" is "the first 50
keys that match": no sort over the whole result.

Qualified tokens. A village's token is held by everyone in it and a category's by up to a fifth of the
registry, so "张, overseas ties, in this village" (a liaison's everyday search, or any category filter
in a village) means stepping through three long lists for a short answer. The index therefore also
holds category tokens qualified by the person's village, "0c3^<village id>", and a query whose region
condition lies in a village reads that short list instead (`qualified`). On SQLite they are written
into the document itself (`place_tokens`; FTS5 cannot derive tokens); PostgreSQL derives them, and name
tokens qualified by the township and the village too, in its posting table (migration 0005,
search_postgres). On SQLite name tokens are not qualified: measured at a million people, that would
save about a millisecond on such a query but double the index and a tenth of an import's time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection

from tongzhan.core import crypto, names

ID_BITS = 24
ID_MASK = (1 << ID_BITS) - 1
SORT_LETTERS = 8  # 27**8 < 2**39: eight letters of pinyin fit above the 24 id bits in a signed 64-bit key
COUNT_CAP = 1000

_LETTERS = re.compile(r"[a-z]")
_CATEGORY = re.compile(r"0c[0-9]+$")


def sort_code(syllables: list[str]) -> int:
    letters = "".join(_LETTERS.findall("".join(syllables).lower()))[:SORT_LETTERS]
    code = 0
    for position in range(SORT_LETTERS):
        code = code * 27 + (ord(letters[position]) - 96 if position < len(letters) else 0)
    return code


def doc_key(person_id: int, syllables: list[str]) -> int:
    if person_id > ID_MASK:
        raise OverflowError("person id exceeds the search key's 24 bits; see docs/architecture.md")
    return (sort_code(syllables) << ID_BITS) | person_id


def name_sort(name: str) -> str:
    """Column used wherever the ORM orders people: syllables with spaces, so 张三 sorts before 张三丰."""
    return " ".join(names.name_pinyin(name)) + " " + name


def filter_token(kind: str, value) -> str:
    return f"0{kind}{value}"


def blind_token(kind: str, code: str) -> str:
    return filter_token(kind, crypto.blind_index(code, purpose=kind)[:12])


def qualified_in_document() -> bool:
    """Whether documents carry their village-qualified category tokens themselves (SQLite) or the database
    derives qualified tokens from the plain ones (PostgreSQL's posting table)."""
    return connection.vendor != "postgresql"


def place_tokens(tokens, region_ids) -> set[str]:
    """`tokens`' category tokens qualified by the village among `region_ids` (root first: the district,
    the township, the village), "0c3^<village id>"; none above the village level."""
    if len(region_ids) < 3:
        return set()
    village = region_ids[2]
    return {f"{token}^{village}" for token in tokens if _CATEGORY.match(token)}


def document_tokens(person, *, region_ids, category_orders, ethnicity: str, religion: str) -> list[str]:
    tokens = set(names.search_tokens(person.name))
    tokens.add("0a")
    tokens.update(filter_token("r", rid) for rid in region_ids)
    tokens.update(filter_token("c", order) for order in category_orders)
    if person.sex:
        tokens.add(filter_token("s", person.sex.lower()))
    if person.birth_date:
        tokens.add(filter_token("y", person.birth_date.year))
    if person.political_affiliation_id:
        tokens.add(filter_token("p", person.political_affiliation_id))
    if ethnicity:
        tokens.add(blind_token("e", ethnicity))
    if religion:
        tokens.add(blind_token("g", religion))
    tokens = {t for t in tokens if t and '"' not in t and "'" not in t and " " not in t}
    if qualified_in_document():
        tokens |= place_tokens(tokens, region_ids)
    return sorted(tokens)


@dataclass
class TokenQuery:
    """An AND of groups; each group is an OR of tokens (a single token is a group of one)."""

    groups: list[list[str]] = field(default_factory=list)
    # Where the query's region condition lies: (that region's id, its township's id, its village's id),
    # None above those levels. On PostgreSQL name and category tokens are then read qualified by the
    # township or village, "张^<id>" (search_postgres, migration 0005).
    place: tuple[int, int | None, int | None] | None = None
    # (id, path) of the region filter as it was read, perhaps from the per-process cache
    # (forms.CachedRegionChoiceField): the statement matches nothing unless that region still has that
    # path (`check`), so a region moved out of the scope by another process is never counted from a stale copy.
    region_check: tuple[int, str] | None = None

    def within(self, region) -> None:
        """Require `region`'s subtree (its token) and note where it lies."""
        self.require(filter_token("r", region.pk))
        ids = [int(part) for part in region.path.strip("/").split("/") if part]
        self.place = (region.pk, ids[1] if len(ids) >= 2 else None, ids[2] if len(ids) >= 3 else None)

    def check(self) -> tuple[str, list]:
        """The region_check as a condition ("" when there is none): an uncorrelated EXISTS, which both
        databases evaluate once, before reading the index."""
        if self.region_check is None:
            return "", []
        from tongzhan.regions.models import Region

        return f"EXISTS (SELECT 1 FROM {Region._meta.db_table} WHERE id = %s AND path = %s)", list(self.region_check)

    def guard(self, sql: str, params: list) -> tuple[str, list]:
        """`sql` (one column) wrapped so that it returns nothing when the region_check fails."""
        check, check_params = self.check()
        return (f"SELECT m.* FROM ({sql}) m WHERE {check}", [*params, *check_params]) if check else (sql, params)

    def require(self, *alternatives: str) -> None:
        if alternatives:
            self.groups.append(list(alternatives))

    def fts5(self) -> str:
        """The FTS5 MATCH expression, reading village-qualified category tokens where the query lies in a village."""
        parts = []
        for group in qualified(self.groups, self.place, township=False, names=False):
            quoted = [f'"{token}"' for token in group]
            parts.append(quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")")
        return " AND ".join(parts) if parts else '"0a"'

    def tsquery(self) -> str:
        parts = []
        for group in self.groups:
            quoted = ["'" + token.replace("\\", "\\\\").replace("'", "''") + "'" for token in group]
            parts.append(quoted[0] if len(quoted) == 1 else "(" + " | ".join(quoted) + ")")
        return " & ".join(parts) if parts else "'0a'"


def qualified(groups: list[list[str]], place: tuple | None, *, township: bool = True,
              names: bool = True) -> list[list[str]]:
    """The groups as an index holding qualified tokens answers them in a village (or township).

    Category tokens are read as "0c…^<village>" when the region condition lies in a village; with `names`
    (PostgreSQL's posting table) name tokens too, as "token^<village>", and, with `township`, as
    "token^<township>" when the condition lies in a township. Every qualified posting lies in that
    region, so when it is the condition's own region its token is implied and dropped; a narrower
    condition (a villagers' group) stays. With nothing to qualify the groups are returned as they are.
    """
    if place is None:
        return groups
    region, in_township, village = place
    home = village or (in_township if township else None)
    if home is None:
        return groups

    def qualifies(group):
        return all((names and not token.startswith("0")) or (village and _CATEGORY.match(token)) for token in group)

    if not any(qualifies(group) for group in groups):
        return groups
    out = []
    for group in groups:
        if group == [filter_token("r", region)] and region == home:
            continue
        out.append([f"{token}^{home}" for token in group] if qualifies(group) else group)
    return out


@dataclass
class Extra:
    """Conditions the token index cannot answer exactly (date ranges), applied by a join."""

    birth_after: object = None
    birth_before: object = None
    verified_before: object = None
    never_verified: bool = False

    def sql(self) -> tuple[str, list]:
        clauses, params = [], []
        if self.birth_after is not None:
            clauses.append("p.birth_date >= %s")
            params.append(self.birth_after)
        if self.birth_before is not None:
            clauses.append("p.birth_date <= %s")
            params.append(self.birth_before)
        if self.never_verified:
            clauses.append("p.last_verified_on IS NULL")
        elif self.verified_before is not None:
            clauses.append("(p.last_verified_on IS NULL OR p.last_verified_on < %s)")
            params.append(self.verified_before)
        return " AND ".join(clauses), params


def page_of_matches(query: TokenQuery, extra: Extra, *, offset: int, limit: int,
                    cap: int = COUNT_CAP, strategy: str | None = None) -> tuple[list[int], int]:
    """One page of person ids in pinyin order, and how many match counted up to `cap` (+1 means more).

    One index walk serves both: the keys come back in order, so reading the first cap+1 of them gives
    the page (a slice) and the count (their number). A query with few matches is answered by a single
    pass over its posting lists instead of one for the page and one for the count. On PostgreSQL,
    `strategy` forces "walk" or "gin" (search_postgres; tests compare the two).
    """
    cap = max(cap, offset + limit)
    where, params = extra.sql()
    if connection.vendor == "postgresql":
        from tongzhan.people import search_postgres

        groups = query.groups or [["0a"]]
        sql, args = search_postgres.matching_sql(groups, query.tsquery(), where, params, cap + 1, id_mask=ID_MASK,
                                                 place=query.place, strategy=strategy)
        sql, args = query.guard(sql, args)
        sql += " ORDER BY 1" if query.region_check else ""
    else:
        check, check_params = query.check()
        sql = ("SELECT f.rowid FROM people_person_fts f"
               + (f" JOIN people_person p ON p.id = (f.rowid & {ID_MASK})" if where else "")
               + " WHERE people_person_fts MATCH %s"
               + (f" AND {where}" if where else "") + (f" AND {check}" if check else "")
               + " ORDER BY f.rowid LIMIT %s")
        args = [query.fts5(), *params, *check_params, cap + 1]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        keys = [key for (key,) in cursor.fetchall()]
    return [key & ID_MASK for key in keys[offset:offset + limit]], len(keys)


# How a PostgreSQL listing statement takes its ids (selectors._id_list): one bound array.
BOUND_IDS = "SELECT unnest(%s::bigint[])"


def page_with_rows(query: TokenQuery, extra: Extra, *, offset: int, limit: int, cap: int,
                   listing: tuple[str, tuple, int]) -> tuple[list[int], int, list[dict]]:
    """page_of_matches and the page's rows in one PostgreSQL statement: (ids, count, row values).

    Each statement is a round trip, most of a millisecond of the page on PostgreSQL (docs/benchmarks.md):
    the matching keys and the rows of their page are read together. `listing` is the scoped listing
    statement (selectors.rows_for_ids: its SQL, parameters, and the position of its bound id list);
    its id list becomes the page's keys, so the scope function still decides which rows come back,
    as it does when the ids are bound. The count and the page's ids arrive even when the scope lets
    none of the page's people through (a row of NULLs, skipped).
    """
    from tongzhan.people import search_postgres

    cap = max(cap, offset + limit)
    where, params = extra.sql()
    match_sql, match_args = search_postgres.matching_sql(query.groups or [["0a"]], query.tsquery(), where, params,
                                                         cap + 1, id_mask=ID_MASK, place=query.place)
    match_sql, match_args = query.guard(match_sql, match_args)
    listing_sql, listing_params, position = listing
    if listing_sql.count(BOUND_IDS) != 1:
        raise ValueError("the listing statement does not take its ids as one bound list")
    listing_sql = listing_sql.replace(BOUND_IDS, f"SELECT key & {ID_MASK} FROM p")
    sql = (f"WITH k (key) AS MATERIALIZED ({match_sql}),"
           " p AS MATERIALIZED (SELECT key FROM k ORDER BY key OFFSET %s LIMIT %s)"
           " SELECT (SELECT count(*) FROM k), (SELECT array_agg(key ORDER BY key) FROM p), l.*"
           f" FROM (SELECT 1) one LEFT JOIN ({listing_sql}) l ON true")
    args = [*match_args, offset, limit, *listing_params[:position], *listing_params[position + 1:]]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        columns = [column[0] for column in cursor.description][2:]
        rows = cursor.fetchall()
    count, keys = rows[0][0], rows[0][1] or []
    present = columns.index("id") + 2
    values = [dict(zip(columns, row[2:], strict=True)) for row in rows if row[present] is not None]
    return [key & ID_MASK for key in keys], count, values
