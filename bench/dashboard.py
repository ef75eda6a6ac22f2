"""Server time of the dashboard (the home page) against a plain GROUP BY status over the accounts
table, same database, same run.

Three figures, each the median (p50) and p95 of several requests after one warm-up: the
dashboard of an Administrator over every group, the dashboard of the largest group (`?group=`),
and `SELECT status, count(*) FROM accounts_account GROUP BY status` alone (the anchor: what the
funnel would cost if it counted the accounts). The three are measured interleaved, one of each
per round, so a change in the machine's load touches them alike. Dashboard requests go through
Django's test client (middleware, session, every query, the template).

    DATABASE_URL=postgres://root@127.0.0.1:5432/sipconsole_bench_bulk .venv/bin/python bench/dashboard.py [--runs 21]

Use a database filled by generate_demo_data (bench/bulk.py --generate makes one of 1,000,000
accounts with a group of 100,000). Goal: p50 at most 100 ms for both dashboards. Exits 1 when missed.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from console.models import Operator  # noqa: E402
from groups.models import Group  # noqa: E402

GOAL_P50_MS = 100.0
BENCH_OPERATOR = "bench-dashboard"


def timed_interleaved(calls: list, runs: int) -> list[tuple[float, float]]:
    """p50 and p95 milliseconds of each of `calls`, called in turn `runs` times after one warm-up each."""
    for call in calls:
        call()
    times = [[] for _ in calls]
    for _ in range(runs):
        for call, kept in zip(calls, times, strict=True):
            started = time.perf_counter()
            call()
            kept.append((time.perf_counter() - started) * 1000)
    return [(statistics.median(kept), statistics.quantiles(kept, n=20)[-1]) for kept in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    operator = Operator.objects.filter(username=BENCH_OPERATOR).first() or Operator.objects.create_user(
        username=BENCH_OPERATOR, password=None, role=Operator.Role.ADMINISTRATOR)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(operator)
    group = Group.objects.annotate(size=Count("accounts")).order_by("-size").first()
    accounts, group_size = group.accounts.model.objects.count(), group.accounts.count()

    def dashboard(**params):
        def get():
            response = client.get(reverse("home"), params)
            if response.status_code != 200:
                sys.exit(f"the dashboard answered {response.status_code}")
        return get

    def group_by():
        with connection.cursor() as cursor:
            cursor.execute("SELECT status, count(*) FROM accounts_account GROUP BY status")
            cursor.fetchall()

    load_before = os.getloadavg()
    names = [f"dashboard, every group ({accounts:,} accounts)", f"dashboard, group {group.name} ({group_size:,} accounts)",
             f"plain GROUP BY status over all {accounts:,} accounts"]
    figures = timed_interleaved([dashboard(), dashboard(group=group.pk), group_by], runs)
    rows = [(name, p50, p95) for name, (p50, p95) in zip(names, figures, strict=True)]
    anchor_p50 = rows[2][1]
    print("| page | p50 (ms) | p95 (ms) | p50 / GROUP BY p50 |\n|---|---:|---:|---:|")
    for name, p50, p95 in rows:
        print(f"| {name} | {p50:.0f} | {p95:.0f} | {p50 / anchor_p50:.2f} |")
    print(f"Goal: dashboard p50 at most {GOAL_P50_MS:.0f} ms; {runs} requests each, interleaved; load average "
          f"{' '.join(f'{load:.2f}' for load in load_before)} before, "
          f"{' '.join(f'{load:.2f}' for load in os.getloadavg())} after, on {os.cpu_count()} CPUs.")
    return 0 if max(rows[0][1], rows[1][1]) <= GOAL_P50_MS else 1


if __name__ == "__main__":
    sys.exit(main())
