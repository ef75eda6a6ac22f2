"""Bulk actions at scale: disable, move and change the provisioning profile of every account of a
large group, and queue their activation SMS, each end to end, against one SQL statement over the
same rows as the anchor; in one run, on PostgreSQL.

End to end means what the console does: a bulk batch fixed from the group's list ("all N
matching"), worked through by a worker process in chunks, each chunk with its per-account audit
entries, search change-log rows and outcome rows; the registered accounts' contacts removed at a
real Kamailio over JSON-RPC (with --registered N, N accounts of the group get a live `location`
row); with --index, the search index brought up to date afterwards. The anchor is the bare
statement (`UPDATE accounts_account SET enabled = false WHERE group_id = ...`, rolled back).
While the worker runs, this process reads the group's account list (first page, Django's test
client) every --list-interval seconds (default 0.5: a team of operators clicking, not a flood; with
0 it reads back to back, which on a two-core machine takes a whole core from the worker and the
database); its p95 is set against the same page's p95, read at the same pace, with nothing running.
The worker's peak RSS (ru_maxrss) is reported beside its RSS before the batch: flat memory means
the peak does not grow with the group.

    DATABASE_URL=postgres://root@127.0.0.1:5432/sipconsole_bench_bulk \
      .venv/bin/python bench/bulk.py --generate --accounts 1000000 --group 100000 [--registered 1000] [--index]

The database is created and migrated when missing; --generate fills it (generate_demo_data: the
first group holds --group accounts). Goals: each action at most 60 s; the list's p95 while it runs
at most twice its idle p95. Prints a markdown table; exits 1 when a goal is missed.
"""
import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

GOAL_SECONDS = 60.0
LIST_SLOWDOWN_GOAL = 2.0
IDLE_REQUESTS = 40
BENCH_OPERATOR = "bench-bulk"
ACTIONS = ("disable", "move", "change_profile", "send_activation_sms")
ANCHOR_SQL = {
    "disable": "UPDATE accounts_account SET enabled = false, version = version + 1 WHERE group_id = %(group)s",
    "move": "UPDATE accounts_account SET group_id = %(target)s, version = version + 1 WHERE group_id = %(group)s",
    "change_profile": "UPDATE accounts_account SET profile_id = %(profile)s, version = version + 1 WHERE group_id = %(group)s",
    "send_activation_sms": (
        "INSERT INTO activation_smsmessage (account_id, group_id, account_username, purpose, recipient, text, language,"
        " state, backend, attempts, next_attempt_at, gateway_id, last_error, requested_by, created_at)"
        " SELECT id, group_id, username, 'activation', virtual_number, 'anchor', '', 'queued', '', 0, now(), '', '', 'bench', now()"
        " FROM accounts_account WHERE group_id = %(group)s"
    ),
}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", action="store_true", help="Fill the database with demo accounts first.")
    parser.add_argument("--accounts", type=int, default=1_000_000, help="Accounts to generate (with --generate).")
    parser.add_argument("--group", type=int, default=100_000, help="Accounts of the group acted on (with --generate).")
    parser.add_argument("--registered", type=int, default=1000, help="Accounts of the group with a live registration.")
    parser.add_argument("--index", action="store_true", help="Build the search index and time bringing it up to date.")
    parser.add_argument("--list-interval", type=float, default=0.5,
                        help="Seconds between two reads of the list while measuring its p95 (0: back to back).")
    parser.add_argument("--threads", type=int, nargs="+", default=[1],
                        help="Worker threads (BULK_WORKER_THREADS) to run each action with, one run each, in turn (e.g. 1 2).")
    parser.add_argument("--actions", nargs="+", choices=ACTIONS, default=ACTIONS, help="The actions to run (all by default).")
    parser.add_argument("--work", type=int, help=argparse.SUPPRESS)  # the worker process of one batch
    return parser.parse_args()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def work(batch_id: int, index: bool) -> None:
    """The worker process: run the batch to its end, then (with --index) bring the index up to date."""
    from accounts.search.engine.index import get_index
    from fleet.services import run_bulk_batches

    before = rss_mb()
    started = time.perf_counter()
    while run_bulk_batches():  # as the worker does it: in BULK_WORKER_THREADS threads
        pass
    batch_seconds = time.perf_counter() - started
    index_seconds = None
    if index:
        index_started = time.perf_counter()
        get_index().sync(lock_timeout=600)
        index_seconds = time.perf_counter() - index_started
    print(json.dumps({"batch_seconds": batch_seconds, "index_seconds": index_seconds, "rss_before_mb": before, "peak_rss_mb": rss_mb()}))


def prepare(args) -> dict:
    """The group acted on, a target group, a profile, the Services settings for SMS, an
    Administrator, live registrations and Kamailio."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from accounts.demo_data import analyze_tables, demo_data_generate
    from accounts.sipserver.registrations import to_kamailio_local
    from activation.models import ProvisioningProfile
    from console.audit import Actor
    from console.models import Operator, ServiceSettings
    from groups.models import Group

    call_command("migrate", verbosity=0)
    if args.generate:
        started = time.perf_counter()
        demo_data_generate(actor=Actor.command("bench/bulk.py"), groups=max(2, args.accounts // args.group),
                           accounts=args.accounts, largest_group=args.group, seed=11)
        analyze_tables()
        print(f"Generated {args.accounts:,} accounts in {time.perf_counter() - started:.0f} s.", flush=True)
    if args.index:
        started = time.perf_counter()
        call_command("rebuild_search_index", verbosity=0)
        print(f"Built the search index in {time.perf_counter() - started:.0f} s.", flush=True)
    group = Group.objects.annotate(size=Count("accounts")).order_by("-size").first()
    target, _ = Group.objects.get_or_create(name="Bench bulk target")
    profile, _ = ProvisioningProfile.objects.get_or_create(name="Bench bulk profile")
    if not ProvisioningProfile.objects.filter(is_default=True).exists():
        ProvisioningProfile.objects.create(name="Bench default", is_default=True)
    ServiceSettings.objects.update_or_create(pk=1, defaults={"public_base_url": "https://clients.example.net", "sms_backend": "console"})
    operator = Operator.objects.filter(username=BENCH_OPERATOR).first() or Operator.objects.create_user(
        username=BENCH_OPERATOR, password=None, role=Operator.Role.ADMINISTRATOR)
    usernames = list(group.accounts.order_by("pk").values_list("username", flat=True)[:args.registered])
    expires = to_kamailio_local(timezone.now() + timedelta(hours=12))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM location WHERE ruid LIKE 'bench-bulk-%%'")
        cursor.executemany(
            "INSERT INTO location (ruid, username, contact, expires, last_modified, user_agent) VALUES (%s, %s, %s, %s, %s, %s)",
            [(f"bench-bulk-{u}", u, f"sip:{u}@192.0.2.1:5060", expires, expires - timedelta(hours=12), "bench") for u in usernames],
        )
    analyze_tables()
    return {"group": group, "target": target, "profile": profile, "operator": operator, "size": group.accounts.count()}


def start_kamailio(workdir: Path):
    from django.conf import settings
    from django.db import connection

    from tests.sipserver.harness import database_url, missing_sip_tools
    from tests.sipserver.harness import start_kamailio as start

    if missing_sip_tools():
        sys.exit(f"bench/bulk.py needs Kamailio and sipp: {missing_sip_tools()}")
    return start(db_url=database_url(connection.settings_dict), workdir=workdir, sip_domain=settings.SIP_DOMAIN)


def anchor_seconds(action: str, world: dict) -> float:
    """The bare statement over the same rows, in a transaction rolled back."""
    from django.db import connection, transaction

    parameters = {"group": world["group"].pk, "target": world["target"].pk, "profile": world["profile"].pk}
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(ANCHOR_SQL[action], parameters)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def list_p95(client, url: str, interval: float, requests: int | None = None, until=None) -> tuple[float, int]:
    """p95 milliseconds of GETs of `url`, one every `interval` seconds (or back to back when a
    request takes longer): `requests` of them, or as many as run until `until()` is true."""
    times = []
    while (requests is not None and len(times) < requests) or (until is not None and not until()):
        started = time.perf_counter()
        response = client.get(url)
        took = time.perf_counter() - started
        times.append(took * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        time.sleep(max(0.0, interval - took))
    return (statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]), len(times)


# What each action changed, put back (untimed) so that the next action, and the next run on the
# same data, find the accounts as generated: the same figures measure the same work.
UNDO_SQL = {
    "disable": "UPDATE accounts_account SET enabled = true WHERE id IN (SELECT account_id FROM done)",
    "move": "UPDATE accounts_account SET group_id = %(group)s WHERE id IN (SELECT account_id FROM done)",
    "change_profile": (
        "UPDATE accounts_account a SET profile_id = (e.before ->> 'profile_id')::bigint FROM console_auditentry e"
        " WHERE e.action = 'account.update' AND e.message = %(message)s AND a.id = e.account_id"
    ),
    "send_activation_sms": (
        "DELETE FROM activation_smsmessage WHERE purpose = 'activation' AND state = 'queued'"
        " AND created_at >= %(started)s AND account_id IN (SELECT account_id FROM done)"
    ),
}


def undo(batch, world: dict) -> None:
    from django.db import connection

    done = "WITH done AS (SELECT account_id FROM fleet_bulkitem WHERE batch_id = %(batch)s AND outcome = 'done') "
    with connection.cursor() as cursor:
        # Fresh statistics first: planned on the counts from before the batch (no queued SMS, few
        # items), the undo of 100,000 SMS joins them in a nested loop for tens of minutes.
        cursor.execute("ANALYZE fleet_bulkitem, activation_smsmessage")
        cursor.execute(done + UNDO_SQL[batch.action], {
            "batch": batch.pk, "group": world["group"].pk, "message": f"Bulk action #{batch.pk}.", "started": batch.started_at,
        })


def run_action(action: str, world: dict, args, kamailio_url: str, threads: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from fleet.selection import Selection
    from fleet.services import bulk_parameters, bulk_start

    group, operator = world["group"], world["operator"]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(operator)
    url = reverse("accounts:account_list", args=[group.pk])
    idle_p95, _ = list_p95(client, url, args.list_interval, requests=IDLE_REQUESTS)
    anchor = anchor_seconds(action, world)
    settings.BULK_SYNC_LIMIT = 0
    parameters = bulk_parameters(operator=operator, action=action, group_id=str(world["target"].pk),
                                 profile_id=str(world["profile"].pk)) if action in ("move", "change_profile") else {}
    started = time.perf_counter()
    batch = bulk_start(operator=operator, action=action, selection=Selection(group_id=group.pk), parameters=parameters)
    connection.close()  # the worker must see the committed batch; this process reconnects for the list
    env = {**os.environ, "KAMAILIO_RPC_URL": kamailio_url, "LOG_LEVEL": "WARNING", "BULK_WORKER_THREADS": str(threads)}
    worker = subprocess.Popen([sys.executable, __file__, "--work", str(batch.pk), *(["--index"] if args.index else [])],
                              env=env, stdout=subprocess.PIPE, text=True)
    busy_p95, busy_requests = list_p95(client, url, args.list_interval, until=lambda: worker.poll() is not None)
    outcome = json.loads(worker.stdout.read().strip().splitlines()[-1])
    total = time.perf_counter() - started
    batch.refresh_from_db()
    undo(batch, world)
    return {
        "action": action, "accounts": batch.total, "done": batch.done, "skipped": batch.skipped, "anchor": anchor,
        "total": total, "index": outcome["index_seconds"], "rss_before": outcome["rss_before_mb"],
        "peak_rss": outcome["peak_rss_mb"], "idle_p95": idle_p95, "busy_p95": busy_p95, "busy_requests": busy_requests,
        "load": " ".join(f"{load:.1f}" for load in os.getloadavg()),
    }


def main() -> int:
    args = parse_arguments()
    import django
    from register import ensure_database

    django.setup()
    if args.work:
        work(args.work, args.index)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped from outside: still stop the Kamailio started here
    ensure_database()
    world = prepare(args)
    print(f"Group {world['group'].name}: {world['size']:,} accounts, {args.registered:,} of them registered.", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-bulk-kamailio-") as workdir:
        kamailio = start_kamailio(Path(workdir))
        try:
            for action in args.actions:
                for threads in args.threads:
                    rows.append({"threads": threads, **run_action(action, world, args, kamailio.rpc_url, threads)})
                    print(json.dumps(rows[-1]), flush=True)
        finally:
            kamailio.stop()
    print("\n| action | worker threads | accounts | done / skipped | end to end (s) | of which index sync (s) | one SQL statement (s) "
          "| worker RSS before → peak (MB) | list p95 idle → while running (ms) | load average at the end |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    missed = False
    for row in rows:
        index = f"{row['index']:.1f}" if row["index"] is not None else "—"
        print(f"| {row['action']} | {row['threads']} | {row['accounts']:,} | {row['done']:,} / {row['skipped']:,} | {row['total']:.1f} | {index} "
              f"| {row['anchor']:.2f} | {row['rss_before']:.0f} → {row['peak_rss']:.0f} "
              f"| {row['idle_p95']:.0f} → {row['busy_p95']:.0f} ({row['busy_requests']} requests) | {row['load']} |")
        missed |= row["total"] > GOAL_SECONDS or row["busy_p95"] > LIST_SLOWDOWN_GOAL * row["idle_p95"]
    print(f"\nGoals: each action at most {GOAL_SECONDS:.0f} s; the list's p95 while it runs at most "
          f"{LIST_SLOWDOWN_GOAL:g} x idle. {'MISSED' if missed else 'Met'}.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
