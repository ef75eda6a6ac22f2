"""Benchmark of the batch import on PostgreSQL, beside PostgreSQL COPY of the same rows.

    DATABASE_URL=postgres://... python bench/import.py [--rows 10000 100000] [--tracemalloc]

For each size, in a fresh process (so its peak memory is its own): write a CSV file of that many
rows (70 % plain rows with a password, 30 % wizard rows; a quarter with allow/deny entries), then
time, end to end, `accounts_import` from the file (validation, digests, every table it writes,
one transaction) and applying the search change log to the Whoosh index (index sync, the same
work the next search or the worker does; --rebuild also times a full rebuild instead), then COPY
of the same file into a bare table of 18 text columns. Peak memory: ru_maxrss of the process, and with --tracemalloc the Python heap's
peak during the import (slower: its time is not the figure to quote). The imported accounts are
deleted afterwards. Needs a migrated database; not part of the test suite.
"""
import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")


def write_file(path: Path, rows: int, profile_name: str, seed: int) -> None:
    from accounts.batch.columns import COLUMNS

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(rows):
            wizard = n % 10 < 3
            writer.writerow([
                "" if wizard else f"{seed}{n:07d}", f"Owner {n} Rossi-Bianchi", "", f"user{n}@example.com",
                f"Imported account {n}", f"+{seed}{n:09d}", f"+{seed + 1}{n:09d}" if n % 4 == 0 else "",
                "pgsm", "end_to_end", "yes", "9", "no", profile_name if wizard else "", "professional", "",
                "" if wizard else f"pass-{n:08d}-word", "10.0.0.0/8" if n % 4 == 1 else "", "192.168.0.38/255.255.255.255" if n % 4 == 1 else "",
            ])


def run_one(rows: int, trace: bool, rebuild: bool, with_index: bool) -> None:
    import django

    django.setup()
    from django.db import connection

    from accounts.batch.importer import accounts_import
    from accounts.models import Account
    from accounts.search.engine.index import SearchIndex
    from activation.models import ProvisioningProfile
    from console.audit import Actor
    from groups.models import Group

    assert connection.vendor == "postgresql", "run the benchmark on PostgreSQL (DATABASE_URL=postgres://...)"
    seed = 31 + (time.time_ns() // 1000) % 60
    profile, _ = ProvisioningProfile.objects.get_or_create(name="Bench profile")
    group = Group.objects.create(name=f"Bench {rows} {time.time_ns()}")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "accounts.csv"
        write_file(path, rows, profile.name, seed)
        size = path.stat().st_size
        index = SearchIndex(Path(scratch) / "index")
        if with_index:
            index.rebuild()  # the index as it stood before the import
        if trace:
            tracemalloc.start()
        phases: dict[str, float] = {}

        def progress(phase: str, done: int) -> None:
            phases[phase] = time.perf_counter()

        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        with path.open("rb") as stream:
            report = accounts_import(actor=Actor.command("bench"), group=group, stream=stream, dry_run=False, progress=progress)
        imported_at = time.perf_counter()
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        import_rss = cpu_after.ru_maxrss / 1024
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        heap_peak = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
        assert report.committed and report.imported == rows, report.summary()
        applied = index.sync() if with_index else rows
        indexed_at = time.perf_counter()
        assert applied == rows, applied
        rebuilt_in = None
        if rebuild:
            rebuild_started = time.perf_counter()
            SearchIndex(Path(scratch) / "rebuilt").rebuild()
            rebuilt_in = time.perf_counter() - rebuild_started
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_copy (" + ", ".join(f"c{i} text" for i in range(18)) + ")")
            copy_started = time.perf_counter()
            with path.open("r", encoding="utf-8") as handle:
                cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
            copy_seconds = time.perf_counter() - copy_started
            cursor.execute("SELECT count(*) FROM bench_copy")
            assert cursor.fetchone()[0] == rows
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        import_seconds, index_seconds = imported_at - started, indexed_at - imported_at
        validated = phases["validating"] - started
        print(f"{rows:>7} rows, {size / 1e6:5.1f} MB: import {import_seconds:6.1f} s (checking {validated:5.1f} s, "
              f"writing {import_seconds - validated:5.1f} s; this process's CPU {cpu:5.1f} s) + search index "
              f"{index_seconds:6.1f} s = {import_seconds + index_seconds:6.1f} s end to end "
              f"({rows / (import_seconds + index_seconds):,.0f} rows/s); COPY {copy_seconds:5.2f} s; "
              f"peak RSS {import_rss:6.1f} MB after the import, {peak_rss:6.1f} MB after indexing"
              + (f"; Python heap peak during import {heap_peak / 1e6:5.1f} MB" if heap_peak is not None else "")
              + (f"; (a full index rebuild instead: {rebuilt_in:.1f} s for {Account.objects.count():,} accounts)" if rebuilt_in else "")
              + f"; load average {os.getloadavg()[0]:.1f}", flush=True)
    with connection.cursor() as cursor:  # leave the database as it was
        ids = "SELECT id FROM accounts_account WHERE group_id = %s"
        for table in ("console_auditentry", "accounts_searchchange"):
            cursor.execute(f"DELETE FROM {table} WHERE account_id IN ({ids})", [group.pk])
        cursor.execute("DELETE FROM console_auditentry WHERE group_id = %s", [group.pk])
    Account.objects.filter(group=group).delete()
    group.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap's peak (slows the import)")
    parser.add_argument("--rebuild", action="store_true", help="also time a full rebuild of the search index")
    parser.add_argument("--no-index", action="store_true", help="leave out the search index (to measure the import's memory alone)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one, args.tracemalloc, args.rebuild, not args.no_index)
        return
    for rows in args.rows:
        command = [sys.executable, __file__, "--one", str(rows)] + (["--tracemalloc"] if args.tracemalloc else []) + (
            ["--rebuild"] if args.rebuild else []) + (["--no-index"] if args.no_index else [])
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
