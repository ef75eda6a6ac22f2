"""The REST API at scale: reads of a large group and creates per second, same data, same run.

Measures, in one process (Django's test client: the whole request, middleware, token, queries,
serialization), against the group holding the most accounts:
- the first page of 100 of the group's accounts (`GET /api/v1/groups/<id>/accounts/?page_size=100`),
- a deep cursor page: the 100 after the account at position DEEP (default 90,000) in username order,
- a `q=` search within the group (default `owner:rossi`, 100 per page),
each the median of --runs requests after a warm-up (goal: at most 30 ms); then creates: --creates
plain-way accounts through `POST /api/v1/groups/<id>/accounts/` (with an Idempotency-Key) and as
many by calling `accounts.services.account_create` directly, in alternating blocks so both see the
same database (goal: the API at least 70 % of the direct rate).

    DATABASE_URL=postgres://... python bench/api.py [--group ID] [--runs 15] [--creates 300]

Data: `manage.py generate_demo_data --groups 100 --accounts 1000000 --largest-group 100000`, then
`manage.py rebuild_search_index`. Everything the run writes (a temporary Administrator, its token,
the created accounts) is in one transaction rolled back at the end.
Prints a markdown table; exits 1 when a goal is missed.
"""
import argparse
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

import django

django.setup()

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client

from accounts.models import Account
from accounts.search.engine.index import get_index
from accounts.services import account_create
from console.api.pagination import encode_cursor
from console.api.services import api_token_create
from console.audit import Actor
from console.models import Operator
from groups.models import Group

READ_GOAL_MS = 30.0
CREATE_GOAL_SHARE = 0.70
PAGE = 100
BENCH_OPERATOR = "bench-api"
BLOCKS = 5


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--group", type=int, help="Group id (default: the group with the most accounts).")
    parser.add_argument("--runs", type=int, default=15, help="Timed requests per read (median reported).")
    parser.add_argument("--creates", type=int, default=300, help="Accounts created each way.")
    parser.add_argument("--deep", type=int, default=90_000, help="Position in the group of the deep page's cursor.")
    parser.add_argument("--query", default="owner:rossi", help="The q= search (empty: no search, no index needed).")
    return parser.parse_args()


def timed_reads(client: Client, url: str, runs: int) -> tuple[float, float, float]:
    """Median and 95th percentile wall-clock milliseconds, and median CPU milliseconds of this
    process, of `runs` GETs of `url` after a warm-up; each must answer 200 with a full page. The
    CPU figure stays meaningful on a busy machine, where wall-clock times include waiting for a core."""
    times, cpu = [], []
    for attempt in range(runs + 1):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed, elapsed_cpu = (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        rows = len(response.json()["results"])
        if rows != PAGE:
            raise SystemExit(f"{url} gave {rows} rows, not {PAGE}")
        if attempt:
            times.append(elapsed)
            cpu.append(elapsed_cpu)
    return statistics.median(times), statistics.quantiles(times, n=20)[-1], statistics.median(cpu)


def deep_cursor(group: Group, position: int) -> str:
    """The cursor a client holds after reading the first `position` accounts in username order."""
    last = Account.objects.filter(group=group).order_by("username", "pk").values_list("username", "pk")[position - 1]
    return encode_cursor(list(last))


def account_body(serial: int) -> dict:
    return {"username": f"9{serial:09d}", "password": "bench-password-42", "virtual_number": f"+99{serial:010d}",
            "owner": f"Bench Owner {serial}", "email": f"bench{serial}@example.com", "allow": ["10.0.0.0/8"]}


def creates_per_second(client: Client, group: Group, operator: Operator, count: int) -> tuple[float, float]:
    """Accounts per second through the API and by calling the service, in alternating blocks."""
    serials = itertools.count(int(time.time()) % 100_000 * 1000)
    url = f"/api/v1/groups/{group.pk}/accounts/"
    api_seconds = direct_seconds = 0.0
    actor = Actor.of(operator)
    for _ in range(BLOCKS):
        started = time.perf_counter()
        for _ in range(count // BLOCKS):
            serial = next(serials)
            response = client.post(url, json.dumps(account_body(serial)), content_type="application/json",
                                   headers={"Idempotency-Key": f"bench-{serial}"})
            if response.status_code != 201:
                raise SystemExit(f"create answered {response.status_code}: {response.content[:300]!r}")
        api_seconds += time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(count // BLOCKS):
            body = account_body(next(serials))
            password = body.pop("password")
            body.pop("allow")
            account_create(actor=actor, group=group, fields=body, password=password,
                           access_rules=_networks(["10.0.0.0/8"]))
        direct_seconds += time.perf_counter() - started
    done = count // BLOCKS * BLOCKS
    return done / api_seconds, done / direct_seconds


def _networks(entries: list[str]):
    from accounts.access_lists import ALLOW, parse_entries

    return parse_entries(ALLOW, " ".join(entries))


def main() -> int:
    arguments = parse_arguments()
    group = (Group.objects.get(pk=arguments.group) if arguments.group
             else Group.objects.annotate(size=Count("accounts")).order_by("-size").first())
    in_group = Account.objects.filter(group=group).count()
    print(f"Group {group.name!r} (id {group.pk}): {in_group} of {Account.objects.count()} accounts; "
          f"database {connection.vendor}; median of {arguments.runs} requests per read; load {os.getloadavg()[0]:.1f}.\n",
          flush=True)
    if arguments.query:
        get_index().sync()
    settings.API_RATE_LIMIT = 10**9
    failures = []
    with transaction.atomic():
        operator = Operator.objects.create_user(username=BENCH_OPERATOR, role=Operator.Role.ADMINISTRATOR)
        token = api_token_create(actor=Actor.of(operator), operator=operator, name="bench").text
        client = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
        base = f"/api/v1/groups/{group.pk}/accounts/?page_size={PAGE}"
        reads = {
            "first page": base,
            f"cursor page after {arguments.deep}": f"{base}&cursor={deep_cursor(group, arguments.deep)}",
        }
        if arguments.query:
            reads[f"q={arguments.query}"] = f"{base}&q={arguments.query}"
        print("| read | p50 ms | p95 ms | p50 CPU ms |\n|---|---:|---:|---:|", flush=True)
        for name, url in reads.items():
            median, p95, cpu = timed_reads(client, url, arguments.runs)
            print(f"| {name} | {median:.1f} | {p95:.1f} | {cpu:.1f} |", flush=True)
            if median > READ_GOAL_MS:
                failures.append(f"{name}: p50 {median:.1f} ms > {READ_GOAL_MS:.0f} ms")
        api_rate, direct_rate = creates_per_second(client, group, operator, arguments.creates)
        transaction.set_rollback(True)
    share = api_rate / direct_rate
    print(f"\n| creates | per second |\n|---|---:|\n| through the API | {api_rate:.1f} |\n"
          f"| account_create directly | {direct_rate:.1f} |\n| API / direct | {share:.0%} |")
    if share < CREATE_GOAL_SHARE:
        failures.append(f"creates through the API at {share:.0%} of the direct rate (< {CREATE_GOAL_SHARE:.0%})")
    print("\n" + ("\n".join(f"MISSED: {failure}" for failure in failures) if failures else "Every goal met."))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
