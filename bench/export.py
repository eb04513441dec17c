"""Export benchmark: the project's export of 100,000 people to .xlsx against a bare xlsxwriter write.

    python bench/export.py [--people 100000] [--repeat 3]

Builds (or reuses) a registry in bench/data/export/ with `generate_people` (all of them under one district,
北仑区 of the demo tree), then, in the same process and run:
  * ours: `people.services.exports.export_people` as a district user — the scoped selector in chunks,
    the row builder, formula neutralisation, the watermark, xlsxwriter in constant-memory mode, the SM3
    of the file and the audit row — masked (the default), and unmasked (through an approved request);
  * bare: xlsxwriter (constant_memory) writing the very cells of the masked export with `write_row`, from a
    list built beforehand, with no database, no neutralisation, no hash, no audit.
Wall time is the best of --repeat runs; peak memory is tracemalloc's peak of Python allocations during
one more run of each (the bare baseline's prebuilt list is allocated before tracing starts, so it is not
counted against it). Prints a table and, last, one JSON line. Target: ours ≤ 3 × bare.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DISTRICT_CODE = "330206000000"


def setup() -> None:
    os.environ.setdefault("TONGZHAN_DATA_DIR", str(ROOT / "bench" / "data" / "export"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TONGZHAN_TESTING"] = "1"
    import django

    django.setup()


def ensure_people(target: int, seed: int) -> int:
    from django.core.management import call_command
    from django.db import connection

    from tongzhan.people.models import Person
    from tongzhan.regions.models import Region

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        call_command("load_demo", verbosity=0)
    district = Region.objects.get(code=DISTRICT_CODE)
    have = Person.objects.filter(region__path__startswith=district.path).count()
    if have < target:
        print(f"building registry: {have} → {target} people under {district.name} (reused next time)", file=sys.stderr)
        call_command("generate_people", count=target - have, seed=seed + have, region=DISTRICT_CODE)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Person.objects.filter(region__path__startswith=district.path).count()


def users():
    from tongzhan.accounts.models import User
    from tongzhan.accounts.roles import Role
    from tongzhan.regions.models import Region

    district = Region.objects.get(code=DISTRICT_CODE)
    made = []
    for name in ("bench-export", "bench-approver"):
        user, _ = User.objects.get_or_create(username=name, defaults={"role": Role.DISTRICT_STAFF, "region": district,
                                                                      "first_name": name})
        made.append(user)
    return made


def ours(user, *, masked: bool, approver=None) -> tuple[float, int, int]:
    """One export through the project's code path; returns (seconds, rows written, file size in bytes)."""
    from tongzhan.people.excel import ExportSpec
    from tongzhan.people.selectors import Criteria
    from tongzhan.people.services import exports

    spec = ExportSpec(layout="mixed", category=None, fmt="xlsx", masked=masked, purpose="导出性能测试")
    request = None
    if not masked:
        request = exports.request_export(actor=user, spec=spec, criteria=Criteria(), query="", description={},
                                         rows=10**9)
        request = exports.decide_export_request(actor=approver, export_request=request, approve=True)
    started = time.perf_counter()
    exported = exports.export_people(actor=user, criteria=Criteria(), spec=spec, description={},
                                     export_request=request)
    exported.handle.seek(0, os.SEEK_END)
    size = exported.handle.tell()
    exported.handle.close()
    return time.perf_counter() - started, exported.rows, size


def cells_of_the_export(user) -> tuple[list, list]:
    """The header and the data cells of the masked export, built once, outside any timing."""
    from tongzhan.people.columns import columns_for
    from tongzhan.people.excel import RowBuilder
    from tongzhan.people.export_selectors import export_chunks, export_ids
    from tongzhan.people.selectors import Criteria

    columns = columns_for(None)
    builder = RowBuilder(columns, masked=True)
    rows = [builder.cells(row) for chunk in export_chunks(user, export_ids(user, Criteria()), category_code=None)
            for row in chunk]
    return [str(c.header) for c in columns], rows


def bare(header: list, rows: list, path: Path) -> float:
    import xlsxwriter

    started = time.perf_counter()
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
    book.close()
    elapsed = time.perf_counter() - started
    path.unlink()
    return elapsed


def peak_mb(function) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    setup()
    from django.conf import settings
    from django.db import connection

    people = ensure_people(args.people, args.seed)
    user, approver = users()
    scratch = Path(settings.DATA_DIR) / "bench-bare.xlsx"

    header, rows = cells_of_the_export(user)
    ours_times, unmasked_times, bare_times = [], [], []
    for _ in range(args.repeat):
        seconds, written, size = ours(user, masked=True)
        ours_times.append(seconds)
        bare_times.append(bare(header, rows, scratch))
        unmasked_times.append(ours(user, masked=False, approver=approver)[0])
    ours_peak = peak_mb(lambda: ours(user, masked=True))
    bare_peak = peak_mb(lambda: bare(header, rows, scratch))
    best_ours, best_bare, best_unmasked = min(ours_times), min(bare_times), min(unmasked_times)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"database: {connection.vendor}, people in scope: {people}, rows written: {written}, "
          f"file: {size / 2**20:.1f} MiB, machine: {platform.machine()} {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    print(f"{'path':34} {'best s':>8} {'runs s':>24} {'ratio':>6}")
    print(f"{'ours, masked':34} {best_ours:8.2f} {' '.join(f'{t:.2f}' for t in ours_times):>24} "
          f"{best_ours / best_bare:6.2f}")
    print(f"{'ours, unmasked (approved request)':34} {best_unmasked:8.2f} "
          f"{' '.join(f'{t:.2f}' for t in unmasked_times):>24} {best_unmasked / best_bare:6.2f}")
    print(f"{'bare xlsxwriter write_row':34} {best_bare:8.2f} {' '.join(f'{t:.2f}' for t in bare_times):>24} {1:6.2f}")
    print(f"peak traced memory: ours {ours_peak:.1f} MiB, bare {bare_peak:.1f} MiB; "
          f"process max RSS {maxrss:.0f} MiB (includes the bare baseline's prebuilt cells)")
    print(json.dumps({
        "db": connection.vendor, "people": people, "rows": written, "ours_s": round(best_ours, 2),
        "ours_unmasked_s": round(best_unmasked, 2), "bare_s": round(best_bare, 2),
        "ratio": round(best_ours / best_bare, 2), "ratio_unmasked": round(best_unmasked / best_bare, 2),
        "ours_peak_mib": round(ours_peak, 1), "bare_peak_mib": round(bare_peak, 1), "target_ratio": 3,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
