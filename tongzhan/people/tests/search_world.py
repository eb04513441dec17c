"""What the token-search tests share on both databases: token queries over the crowd (conftest.py), the
regions they name by letter, and the answer any index must give, computed from the documents in Python."""

from django.db import connection

from tongzhan.people import search
from tongzhan.people.models import Category, PersonSearchDoc


def expected_keys(groups, *, born_from=None) -> list[int]:
    """What any correct answer is: the keys of the documents holding a token of every group, in order."""
    keys = []
    for doc in PersonSearchDoc.objects.select_related("person"):
        tokens = set(doc.tokens.split(" "))
        born_in_range = born_from is None or (doc.person.birth_date and doc.person.birth_date >= born_from)
        if born_in_range and all(tokens & set(group) for group in groups):
            keys.append(doc.pk)
    return sorted(keys)


GROUP_SETS = [
    [["张"]],
    [["伟"]],
    [["zh"]],
    [["0a"]],
    [["伟"], ["0rA"]],
    [["张"], ["0rA1"]],
    [["伟"], ["0rA"], ["0centrepreneur"]],
    [["0rA"], ["0centrepreneur"]],
    [["zw"], ["0rA2"], ["0sm", "0sf"]],
    [["张"], ["三"]],
    [["nobody"], ["0rA"]],
    [["0rA"], ["0rB"]],
    [["张"], ["0rG"]],
    [["0rG"]],
]


def named_regions(world) -> dict:
    """The regions GROUP_SETS name by letter (G: the villagers' group the crowd adds under A1)."""
    return {"0rA": world.township_a, "0rA1": world.village_a1, "0rA2": world.village_a2,
            "0rB": world.township_b, "0rG": world.village_a1.children.get()}


def resolve(groups, world):
    """GROUP_SETS name regions and categories by letter; the tokens hold their ids and orders."""
    regions = named_regions(world)
    order = Category.objects.get(code="entrepreneur").sort_order
    out = []
    for group in groups:
        out.append([search.filter_token("r", regions[t].pk) if t in regions else
                    search.filter_token("c", order) if t == "0centrepreneur" else t for t in group])
    return out


def place_of(region) -> tuple:
    ids = region.ancestor_ids()
    return (region.pk, ids[1] if len(ids) > 1 else None, ids[2] if len(ids) > 2 else None)




def check_fts_index() -> None:
    """SQLite: FTS5's own integrity check against the documents table (rank 1 compares the index with
    the external content row by row); raises django.db.DatabaseError when they differ."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO people_person_fts(people_person_fts, rank) VALUES ('integrity-check', 1)")


def postings() -> set[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT token, key FROM people_searchposting")
        return set(cursor.fetchall())


def document_postings() -> set[tuple[str, int]]:
    """What the posting table must hold: every token; name tokens also qualified by the township and the
    village, category tokens by the village (migration 0005)."""
    out = set()
    for doc in PersonSearchDoc.objects.select_related("person__region"):
        ancestors = doc.person.region.ancestor_ids()
        township, village = ancestors[1], (ancestors[2] if len(ancestors) > 2 else None)
        for token in filter(None, doc.tokens.split(" ")):
            out.add((token, doc.pk))
            if not token.startswith("0"):
                out.update((f"{token}^{home}", doc.pk) for home in (township, village) if home)
            elif token.startswith("0c") and village:
                out.add((f"{token}^{village}", doc.pk))
    return out


def check_index() -> None:
    """The search index holds exactly what the documents say: FTS5's integrity check on SQLite, the
    posting table against the documents on PostgreSQL."""
    if connection.vendor == "sqlite":
        check_fts_index()
    else:
        assert postings() == document_postings()
