"""Search benchmark: the project's search page against the Django admin's changelist search and a floor.

    python bench/search.py [--people 1000000] [--queries 30]

Builds (or reuses) a registry of N people in bench/data/<db>/, then, logged in as a township user and
going through Django's full request path (test Client: middleware, session, form, selector, template),
times at least --queries varied queries of each kind against:
  * the project's search page            /people/?q=…
  * the Django admin's changelist search /admin/people/person/?q=…   (search_fields on the name columns)
  * the floor: a bare view rendering the same page with 50 people fetched by primary key, no query.
All three run in the same process, on the same data, in the same run, side by side: each query goes to
the page and the admin, and a floor page is drawn, before the next. The queries are a seeded sample of
the township's people (--seed), so runs are comparable; the database's files are read once before timing.
Prints p50/p95 per kind and, as its last line, one JSON object. SQLite by default; set DATABASE_URL for PostgreSQL (the data then lives
in that database).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(db_label: str) -> None:
    os.environ.setdefault("TONGZHAN_DATA_DIR", str(ROOT / "bench" / "data" / db_label))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TONGZHAN_TESTING"] = "1"  # plain static storage: no collectstatic needed
    import django

    django.setup()


def ensure_people(target: int, seed: int) -> int:
    from django.core.management import call_command

    from tongzhan.people.models import Person
    from tongzhan.regions.models import Region

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        call_command("load_demo", verbosity=0)
    have = Person.objects.count()
    if have < target:
        print(f"building registry: {have} → {target} people (reused next time)", file=sys.stderr)
        call_command("generate_people", count=target - have, seed=seed + have)
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A server that has been running has been through autovacuum: hint bits set and the
            # visibility map filled, so index-only scans stay index-only. A freshly generated registry
            # has neither until a VACUUM, and PostgreSQL only runs while the benchmark does. On a
            # registry vacuumed before and unchanged since, this takes seconds.
            print("VACUUM (ANALYZE) …", file=sys.stderr)
            cursor.execute("VACUUM (ANALYZE)")
        elif have < target:
            cursor.execute("ANALYZE")
    return Person.objects.count()


def floor_urlconf():
    """The project's URLs plus /bench/floor/: the same page, 50 people by primary key, no search."""
    from django.shortcuts import render
    from django.urls import include, path

    from tongzhan.people.forms import PersonSearchForm
    from tongzhan.people.selectors import SearchPage, listing_rows, people_visible_to

    def floor(request):
        form = PersonSearchForm({}, user=request.user)
        form.is_valid()
        start = int(request.GET.get("start", "1"))
        people = listing_rows(people_visible_to(request.user).filter(pk__gte=start).order_by("pk"), limit=50)
        page = SearchPage(people=people, count=len(people), page=1)
        return render(request, "people/person_list.html", {"form": form, "page": page, "query": "",
                                                            "saved_searches": [], "save_form": None})

    module = type(sys)("bench_urls")
    module.urlpatterns = [path("bench/floor/", floor), path("", include("config.urls"))]
    sys.modules["bench_urls"] = module
    return "bench_urls"


def build_queries(n: int, rng: random.Random, township) -> dict[str, list[tuple[str, str]]]:
    """Per kind, (query string for our page, the same query for the admin changelist)."""
    from tongzhan.core import names
    from tongzhan.people.models import Category, Person

    # A seeded sample of the township's people: the same registry and seed give the same queries, so two
    # runs (and two versions of the code) are measured on the same work.
    everyone = list(Person.objects.filter(region__path__startswith=township.path).order_by("pk")
                    .values_list("pk", flat=True))
    ids = rng.sample(everyone, min(n * 4, len(everyone)))
    sample = sorted(Person.objects.filter(pk__in=ids).select_related("region"), key=lambda p: p.pk)
    rng.shuffle(sample)
    pick = sample[:n]
    villages = [p.region for p in sample]
    categories = list(Category.objects.all())
    kinds: dict[str, list] = {k: [] for k in ("one_char", "two_chars", "full_pinyin", "initials", "id_number",
                                                   "phone", "char_category_village")}
    for i, person in enumerate(pick):
        name = person.name.replace("·", "")
        kinds["one_char"].append(f"q={name[rng.randrange(len(name))]}")
        start = rng.randrange(max(len(name) - 1, 1))
        kinds["two_chars"].append(f"q={name[start:start + 2]}")
        kinds["full_pinyin"].append("q=" + "".join(names.name_pinyin(person.name)))
        kinds["initials"].append("q=" + names.name_initials(person.name))
        number = person.decrypt("id_number")
        variants = [number, number.lower(), " ".join([number[:6], number[6:14], number[14:]]),
                    number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))]
        kinds["id_number"].append("q=" + variants[i % 4].replace(" ", "+"))
        phone = person.decrypt("phone")
        kinds["phone"].append("q=" + (phone if i % 2 else f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"))
        village = villages[rng.randrange(len(villages))]
        category = categories[i % len(categories)].code
        kinds["char_category_village"].append(
            (f"q={name[0]}&category={category}&region={village.pk}",
             # the same filters through the admin's own list filters (PersonAdmin.list_filter)
             f"q={name[0]}&memberships__category__code__exact={category}&region__id__exact={village.pk}"))
    return {kind: [q if isinstance(q, tuple) else (q, q) for q in qs] for kind, qs in kinds.items()}


def warm_os_cache() -> str:
    """Read the database's files once, so every target is timed with them in the OS page cache, as a
    server that has been running has them. Without this the first queries of a run paid for whatever
    the machine did before (an import benchmark, a migration, a server just started): two runs of the
    same code differed by half on SQLite, and on PostgreSQL the first run after starting the server had
    its worst p95 at 41 ms where the next three had 23-27 (docs/benchmarks.md). The same read serves
    the admin, the floor and the search page. On PostgreSQL the files are those of every table and index
    of the schema, found through pg_relation_filepath under the server's data directory (a server on
    another machine is not pre-read)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        files = [name for name in (path, f"{path}-wal") if os.path.exists(name)]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('data_directory')")
            data_dir = cursor.fetchone()[0]
            cursor.execute("SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                           " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'm')"
                           " AND pg_relation_filepath(c.oid) IS NOT NULL")
            relations = [os.path.join(data_dir, rel) for (rel,) in cursor.fetchall()]
        if not os.path.isdir(data_dir):
            return "not pre-read (the PostgreSQL server's files are not on this machine)"
        files = []
        for base in relations:  # a relation is stored in 1 GiB segments: base, base.1, base.2 …
            segment, name = 0, base
            while os.path.exists(name):
                files.append(name)
                segment += 1
                name = f"{base}.{segment}"
    size = 0
    for name in files:
        with open(name, "rb") as handle:
            while block := handle.read(8 << 20):
                size += len(block)
    return f"read once before timing ({size / 2**30:.1f} GiB)"


def pass_second_factor(client, user) -> None:
    """The session has done TOTP, as django_otp.login() records it: the level-3 gate lets it through."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()
    db_label = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    setup(db_label)

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from tongzhan.accounts.models import User
    from tongzhan.accounts.roles import Role
    from tongzhan.regions.models import Region

    people = ensure_people(args.people, args.seed)
    township = Region.objects.filter(level="township").order_by("code").first()
    user, _ = User.objects.get_or_create(username="bench-township", defaults={
        "role": Role.TOWNSHIP_STAFF, "region": township, "is_staff": True, "is_superuser": True})
    rng = random.Random(args.seed)
    queries = build_queries(args.queries, rng, township)
    cache = warm_os_cache()
    settings.ALLOWED_HOSTS.append("testserver")
    from tongzhan.core.heap import freeze_startup_heap

    freeze_startup_heap()  # as config/wsgi.py does before a server's first request
    with override_settings(ROOT_URLCONF=floor_urlconf(), DEBUG=False):
        client = Client()
        client.force_login(user)
        pass_second_factor(client, user)
        for q, admin_q in queries["one_char"][:5]:  # warm caches the same way for all three
            timed(client, f"/people/?{q}")
            timed(client, f"/admin/people/person/?{admin_q}")
            timed(client, "/bench/floor/")
        from tongzhan.people.models import Person

        top = Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
        # Each query is sent to the search page, then to the admin, then a floor page is drawn, one after
        # the other; and the kinds take turns (the first query of each kind, then the second of each, …).
        # This machine's speed drifts by up to half within a run (a shared virtual machine): timing the
        # three targets side by side, and the kinds in turn, keeps a slow stretch from landing on one
        # target or one kind only. Every query is still sent once.
        ours, admin, floor = {kind: [] for kind in queries}, {kind: [] for kind in queries}, []
        for turn in range(max(len(qs) for qs in queries.values())):
            for kind, qs in queries.items():
                if turn >= len(qs):
                    continue
                q, admin_q = qs[turn]
                ours[kind].append(timed(client, f"/people/?{q}"))
                admin[kind].append(timed(client, f"/admin/people/person/?{admin_q}"))
                floor.append(timed(client, f"/bench/floor/?start={rng.randrange(1, max(top - 50, 2))}"))

    print(f"database: {connection.vendor}, people: {people}, machine: {platform.machine()} "
          f"{os.cpu_count()} cores, python {platform.python_version()}; database file {cache}")
    print(f"{'kind':24} {'p50 ms':>8} {'p95 ms':>8} {'admin p50':>10} {'admin p95':>10} {'admin/ours':>10}")
    ratios = {}
    for kind in queries:
        p95, a95 = pct(ours[kind], 95), pct(admin[kind], 95)
        ratios[kind] = a95 / p95
        print(f"{kind:24} {statistics.median(ours[kind]):8.1f} {p95:8.1f} {statistics.median(admin[kind]):10.1f} "
              f"{a95:10.1f} {ratios[kind]:10.1f}")
    floor95 = pct(floor, 95)
    print(f"{'floor (no query)':24} {statistics.median(floor):8.1f} {floor95:8.1f}")
    worst = max(pct(v, 95) for v in ours.values())
    print(f"worst project p95 / floor p95 = {worst / floor95:.2f}")
    print(json.dumps({
        "db": connection.vendor, "people": people,
        "p95_ms": {k: round(pct(v, 95), 2) for k, v in ours.items()},
        "admin_p95_ms": {k: round(pct(v, 95), 2) for k, v in admin.items()},
        "floor_p95_ms": round(floor95, 2), "ratio_min": round(min(ratios.values()), 2), "budget_ms": 30,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
