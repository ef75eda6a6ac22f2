"""Server time of a group's account list against Django admin's changelist, same data and page size.

Measures, in one process and one run, the console's account list (`accounts:account_list`) and the
admin changelist of Account filtered on the same group, for the first, middle and last page of
every sortable column in both directions. Each cell is the median of several requests made with
Django's test client (the whole request: middleware, session, queries, template), after one
warm-up request; each response must be 200 with 50 rows. The CPU columns are the Python
process's share (rendering, ORM), which stays meaningful on a busy machine where wall-clock
times include waiting for a core.

    DATABASE_URL=postgres://... python bench/list_pages.py [--group ID] [--runs 7]

Without --group it takes the group holding the most accounts (`generate_demo_data --largest-group`
makes one). It logs in as a temporary staff Administrator, inside a transaction rolled back at
the end, so the run leaves no row behind.
Prints a markdown table; exits 1 when a console median is above the goal or slower than the admin's.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup()
settings.ROOT_URLCONF = "list_pages_urls"  # the console's URLs plus the admin it is compared with

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.admin import AccountAdmin  # noqa: E402
from accounts.models import Account  # noqa: E402
from accounts.views import ACCOUNT_COLUMNS  # noqa: E402
from console.listing import PAGE_SIZE  # noqa: E402
from console.models import Operator  # noqa: E402
from groups.models import Group  # noqa: E402

GOAL_MS = 50.0
BENCH_OPERATOR = "bench-list-pages"
CONSOLE_ROW_MARK = 'class="btn btn-sm btn-outline-primary py-0">Details</a>'
ADMIN_ROW_MARK = '<td class="field-owner">'

# The admin's column (its 1-based `o` index in list_display) for each console sort key.
ADMIN_COLUMN = {
    "username": "username", "owner": "owner", "caller_id": "caller_id", "number": "virtual_number",
    "type": "account_type", "enabled": "enabled", "status": "status", "status_date": "status_changed_at",
}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--group", type=int, help="Group id (default: the group with the most accounts).")
    parser.add_argument("--runs", type=int, default=7, help="Timed requests per cell (median reported).")
    parser.add_argument("--queries", action="store_true", help="Also print each console cell's SQL timings.")
    return parser.parse_args()


def largest_group() -> Group:
    return Group.objects.annotate(size=Count("accounts")).order_by("-size").first()


def timed_get(client: Client, url: str, runs: int, row_mark: str) -> tuple[float, float]:
    """Median wall-clock and median Python CPU milliseconds of `runs` GETs of `url` (after a
    warm-up), checking that each answered 200 with a full page of rows."""
    wall, cpu = [], []
    for attempt in range(runs + 1):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed, elapsed_cpu = (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        rows = response.content.decode().count(row_mark)
        if rows != PAGE_SIZE:
            raise SystemExit(f"{url} showed {rows} rows, not {PAGE_SIZE}")
        if attempt:
            wall.append(elapsed)
            cpu.append(elapsed_cpu)
    return statistics.median(wall), statistics.median(cpu)


def query_report(client: Client, url: str) -> str:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return "\n".join(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}" for query in captured.captured_queries)


def pages_to_measure(in_group: int) -> dict[str, int]:
    """First, middle and last full page of a list of `in_group` rows."""
    full_pages = in_group // PAGE_SIZE
    if full_pages < 3:
        raise SystemExit(f"The group has {in_group} accounts: too few for a first, middle and last page.")
    return {"first": 1, "middle": (full_pages + 1) // 2, "last": full_pages}


def measure(client: Client, group: Group, pages: dict[str, int], runs: int, show_queries: bool) -> list[tuple[float, float]]:
    """Print one table row per (column, direction, page); return the (console, admin) medians."""
    console_url = reverse("accounts:account_list", args=[group.pk])
    admin_url = reverse("admin:accounts_account_changelist")
    admin_columns = list(AccountAdmin.list_display)
    print("| column | order | page | console ms | admin ms | console/admin | console CPU ms | admin CPU ms |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    results = []
    for column in ACCOUNT_COLUMNS:
        admin_index = admin_columns.index(ADMIN_COLUMN[column.key]) + 1
        for descending in (False, True):
            sort = f"-{column.key}" if descending else column.key
            admin_order = f"-{admin_index}" if descending else str(admin_index)
            for page_name, number in pages.items():
                console_cell = f"{console_url}?sort={sort}&page={number}"
                admin_cell = f"{admin_url}?group__id__exact={group.pk}&o={admin_order}&p={number}"
                console_ms, console_cpu = timed_get(client, console_cell, runs, CONSOLE_ROW_MARK)
                admin_ms, admin_cpu = timed_get(client, admin_cell, runs, ADMIN_ROW_MARK)
                results.append((console_ms, admin_ms))
                print(f"| {column.key} | {'desc' if descending else 'asc'} | {page_name} ({number}) | "
                      f"{console_ms:.1f} | {admin_ms:.1f} | {console_ms / admin_ms:.2f} | {console_cpu:.1f} | {admin_cpu:.1f} |",
                      flush=True)
                if show_queries:
                    print(query_report(client, console_cell))
    return results


def summarize(results: list[tuple[float, float]]) -> int:
    """Print the overall figures; 1 when a console median misses the goal or loses to the admin."""
    console_all = [console for console, _ in results]
    admin_all = [admin for _, admin in results]
    over_goal = [console for console in console_all if console > GOAL_MS]
    slower = [console for console, admin in results if console > admin]
    print(f"\nConsole: median {statistics.median(console_all):.1f} ms, worst {max(console_all):.1f} ms; "
          f"admin: median {statistics.median(admin_all):.1f} ms, worst {max(admin_all):.1f} ms.")
    print(f"Cells above {GOAL_MS:.0f} ms: {len(over_goal)} of {len(results)}; "
          f"cells where the console is slower than the admin: {len(slower)} of {len(results)}.")
    return 1 if over_goal or slower else 0


def main() -> int:
    arguments = parse_arguments()
    group = Group.objects.get(pk=arguments.group) if arguments.group else largest_group()
    in_group = Account.objects.filter(group=group).count()
    pages = pages_to_measure(in_group)
    print(f"Group {group.name!r} (id {group.pk}): {in_group} of {Account.objects.count()} accounts, "
          f"{pages['last']} full pages of {PAGE_SIZE}; database {connection.vendor}; "
          f"median of {arguments.runs} requests per cell.\n")
    with transaction.atomic():
        operator = Operator.objects.create_user(
            username=BENCH_OPERATOR, role=Operator.Role.ADMINISTRATOR, is_staff=True, is_superuser=True,
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(operator)
        results = measure(client, group, pages, arguments.runs, arguments.queries)
        transaction.set_rollback(True)  # the temporary operator and its session leave no trace
    return summarize(results)


if __name__ == "__main__":
    sys.exit(main())
