"""Sustained REGISTER rate: Kamailio authenticating from the console's database, side by side with
the same Kamailio and configuration reading its stock `subscriber` table, in one run.

Every REGISTER is the full digest exchange (REGISTER, 401 challenge, REGISTER with credentials,
200 OK) driven by sipp against Kamailio on loopback, with a cap on simultaneous calls so that the
figure is the server's capacity, not sipp's offered rate. Three set-ups take turns, in rotating
order, for several rounds (so a noisy neighbour hurts each alike), each with a fresh Kamailio:
  - stock:           WITH_STOCK_SUBSCRIBER, the `subscriber` table, no enabled or allow/deny check;
  - console:         the console's accounts through `sip_register_check` (digests, enabled flag
                     and allow/deny decision in one query), accounts without access rules;
  - console+rules:   the same with accounts that each have an allow entry, so the decision
                     matches networks.
Goal: the console set-ups reach at least 80% of the stock rate with no failed registration.

Usage (a PostgreSQL database of its own, created and migrated when missing):
  DATABASE_URL=postgres://root@127.0.0.1:5432/sip_bench_register \
    .venv/bin/python bench/register.py [--accounts 500] [--calls 4000] [--concurrency 40] [--rounds 3]
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

PASSWORD = "bench-pass-1"
USERNAME_BASE = 5_100_000_000


def ensure_database() -> None:
    import psycopg2
    from django.conf import settings

    target = settings.DATABASES["default"]
    if target["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("bench/register.py needs DATABASE_URL=postgres://... (a database of its own)")
    admin = psycopg2.connect(
        dbname="postgres", user=target["USER"] or None, password=target["PASSWORD"] or None,
        host=target["HOST"] or None, port=target["PORT"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{target["NAME"]}"')
    admin.close()


def prepare_accounts(count: int) -> tuple[list[str], list[str]]:
    """2 x `count` enabled accounts with known digests, the same users in the stock `subscriber`
    table; the second half has an allow entry for loopback. Returns (plain, with rules) usernames."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.digests import sip_digests
    from accounts.models import AccessRule, Account
    from groups.models import Group
    from licensing.models import Licence

    usernames = [str(USERNAME_BASE + index) for index in range(2 * count)]
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name="Register benchmark")
        Account.objects.filter(group=group).delete()
        now = timezone.now()
        accounts = []
        for username in usernames:
            ha1, ha1_sha256 = sip_digests(username, PASSWORD)
            accounts.append(Account(
                group=group, username=username, ha1=ha1, ha1_sha256=ha1_sha256, virtual_number=f"+{username}",
                caller_id=f"+{username}", status=Account.Status.CREATED, status_changed_at=now,
            ))
        Account.objects.bulk_create(accounts, batch_size=1000)
        accounts = list(Account.objects.filter(group=group).order_by("username"))
        Licence.objects.bulk_create([Licence(account=account) for account in accounts], batch_size=1000)
        AccessRule.objects.bulk_create([
            AccessRule(account=account, action=AccessRule.Action.ALLOW, network="127.0.0.0/8", prefix_length=8,
                       as_typed="127.0.0.0/255.0.0.0")
            for account in accounts[count:]
        ], batch_size=1000)
        with connection.cursor() as cursor:
            cursor.execute(STOCK_SUBSCRIBER_SQL)
            cursor.execute("INSERT INTO version (table_name, table_version) VALUES ('subscriber', 7) ON CONFLICT DO NOTHING")
            cursor.execute("DELETE FROM subscriber")
            cursor.executemany(
                "INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (%s, %s, '', %s, '')",
                [(account.username, settings.SIP_DOMAIN, account.ha1) for account in accounts],
            )
            cursor.execute("DELETE FROM location")
            cursor.execute("ANALYZE")
    return usernames[:count], usernames[count:]


# Kamailio's stock subscriber table (its auth_db schema, version 7).
STOCK_SUBSCRIBER_SQL = """
CREATE TABLE IF NOT EXISTS subscriber (
    id SERIAL PRIMARY KEY NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    password VARCHAR(64) DEFAULT '' NOT NULL,
    ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    ha1b VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
);
CREATE INDEX IF NOT EXISTS subscriber_username_idx ON subscriber (username);
"""

SUMMARY_LINE = re.compile(r"^\s*(Successful call|Failed call)\s*\|.*\|\s*(\d+)\s*$", re.MULTILINE)


def run_sipp(kamailio, users_file: Path, *, calls: int, concurrency: int, workdir: Path) -> dict:
    from tests.sipserver.harness import SIPP_SCENARIOS, free_port

    command = [
        "sipp", kamailio.sip_address, "-sf", str(SIPP_SCENARIOS / "register.xml"), "-inf", str(users_file),
        "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)), "-m", str(calls), "-l", str(concurrency),
        "-r", "20000", "-set", "expires", "600", "-nostdin", "-timeout", "120s", "-recv_timeout", "5s",
        "-trace_err", "-error_file", str(workdir / "sipp-errors.log"),
    ]
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=workdir)
    elapsed = time.monotonic() - started
    counts = {name: int(value) for name, value in SUMMARY_LINE.findall(completed.stdout)}
    successful, failed = counts.get("Successful call", 0), counts.get("Failed call", 0)
    failed += calls - successful - failed
    errors = (workdir / "sipp-errors.log").read_text(errors="replace") if failed and (workdir / "sipp-errors.log").exists() else ""
    if errors:
        print("  sipp errors:", " | ".join(line for line in errors.splitlines() if "Aborting" in line or "unexpected" in line.lower())[:600])
    return {"successful": successful, "failed": failed, "seconds": elapsed, "rate": successful / elapsed}


def measure(setup: str, *, db_url: str, users_file: Path, calls: int, concurrency: int, workdir: Path) -> dict:
    from django.conf import settings

    from tests.sipserver.harness import start_kamailio

    defines = ("WITH_STOCK_SUBSCRIBER",) if setup == "stock" else ()
    kamailio = start_kamailio(
        db_url=db_url, workdir=workdir / f"kamailio-{setup}-{time.monotonic_ns()}", sip_domain=settings.SIP_DOMAIN,
        workers=4, defines=defines,
    )
    try:
        run_sipp(kamailio, users_file, calls=min(500, calls), concurrency=concurrency, workdir=workdir)  # warm-up
        return run_sipp(kamailio, users_file, calls=calls, concurrency=concurrency, workdir=workdir)
    finally:
        kamailio.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--calls", type=int, default=4000, help="measured REGISTERs per run")
    parser.add_argument("--concurrency", type=int, default=40, help="simultaneous REGISTER exchanges")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command
    from django.db import connection

    from tests.sipserver.harness import database_url, missing_sip_tools, write_users

    reason = missing_sip_tools()
    if reason:
        sys.exit(reason)
    call_command("migrate", verbosity=0)
    from django.conf import settings

    db_url = database_url(connection.settings_dict)
    plain, with_rules = prepare_accounts(options.accounts)
    connection.close()
    setups = ["stock", "console", "console+rules"]
    results: dict[str, list[dict]] = {setup: [] for setup in setups}
    with tempfile.TemporaryDirectory(prefix="bench-register-") as scratch:
        workdir = Path(scratch)
        users = {
            "stock": write_users(workdir / "plain.csv", [(name, PASSWORD) for name in plain], settings.SIP_DOMAIN),
            "console+rules": write_users(workdir / "rules.csv", [(name, PASSWORD) for name in with_rules], settings.SIP_DOMAIN),
        }
        users["console"] = users["stock"]
        for round_number in range(options.rounds):
            order = setups[round_number % 3:] + setups[:round_number % 3]  # rotate so no set-up always goes first
            for setup in order:
                result = measure(setup, db_url=db_url, users_file=users[setup], calls=options.calls,
                                 concurrency=options.concurrency, workdir=workdir)
                results[setup].append(result)
                print(f"round {round_number + 1} {setup:14s} {result['rate']:8.1f} REGISTER/s "
                      f"({result['successful']} ok, {result['failed']} failed, {result['seconds']:.1f}s)", flush=True)
    print(f"\n{options.accounts} accounts per set-up, {options.calls} REGISTERs per run, {options.concurrency} at a time, "
          f"{options.rounds} rounds; median rate, and median of the per-round ratios to stock:")
    verdict = sum(run["failed"] for run in results["stock"]) == 0
    for setup in setups:
        runs = results[setup]
        rate = statistics.median(run["rate"] for run in runs)
        share = statistics.median(run["rate"] / stock["rate"] * 100 for run, stock in zip(runs, results["stock"]))
        failed = sum(run["failed"] for run in runs)
        print(f"  {setup:14s} {rate:8.1f} REGISTER/s  {share:5.1f}% of stock  failed registrations: {failed}")
        if setup != "stock":
            verdict = verdict and share >= 80 and failed == 0
    print("goal (>= 80% of stock, no failed registration):", "met" if verdict else "NOT met")


if __name__ == "__main__":
    main()
