"""Licence validations (POST /client/v1/licence) against gunicorn with 2 workers on PostgreSQL,
side by side with a trivial Django view on the same server in the same run (the framework's ceiling).

    DATABASE_URL=postgres://USER@127.0.0.1:5432/sip_licensing_bench python bench/licence_load.py

1. Creates the database if missing, migrates it, and writes --accounts accounts whose licences are
   already bound (the steady state of a fleet of clients: each check authenticates, counts against
   the rate limit and reads the licence; a licence's "last checked" is rewritten at most once a
   minute). The rate limits are raised for the run: every request comes from 127.0.0.1. Each
   worker soon remembers every account (licensing/clientcache.py) and writes its rate counts in
   batches; `LICENCE_CACHE_ENTRIES=0 LICENCE_RATE_FLUSH_SECONDS=0` in the environment measures
   one database round trip per check instead.
2. Starts gunicorn (2 sync workers; --threads N for 2 gthread workers of N threads) on a free
   loopback port with bench/licence_bench_settings.py.
3. Throughput: wrk (Debian's /usr/bin/wrk) POSTs the same request shape to the trivial view and to
   the licence endpoint, alternating, --rounds times each for --duration seconds; the licence
   requests rotate over every account. Each run also reports the CPU time per request of the
   gunicorn processes and of the PostgreSQL backends serving them (from /proc), a figure that
   other load on a shared machine disturbs less than throughput.
4. Latency at a fixed rate: an open-loop Python generator sends --rate licence requests per second
   for --rate-duration seconds; latency is measured from each request's scheduled start, so a
   stalled server cannot hide its queue (no coordinated omission).

Goals (issue 6): licence throughput >= 60% of the trivial view's; p99 <= 50 ms at 200 req/s;
no error. Prints the figures; exits 1 when a goal is missed.
"""
import argparse
import base64
import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

BENCH_GROUP = "bench-licence"
PASSWORD = "bench-password-1"
LICENCE_PATH = "/client/v1/licence"
TRIVIAL_PATH = "/bench/trivial"
THROUGHPUT_GOAL = 0.60
P99_GOAL_MS = 50.0
HIGH_LIMIT = str(10**9)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=15, help="Seconds per wrk throughput run.")
    parser.add_argument("--rounds", type=int, default=2, help="Throughput runs per endpoint, alternating.")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections.")
    parser.add_argument("--threads", type=int, default=1, help="Threads per gunicorn worker (above 1: the gthread worker).")
    parser.add_argument("--rate", type=int, default=200, help="Requests per second of the latency run.")
    parser.add_argument("--rate-duration", type=int, default=60, help="Seconds of the latency run.")
    return parser.parse_args()


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(
        host=parsed.hostname, port=parsed.port or 5432, user=parsed.username, password=parsed.password, dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def prepare_data(count: int) -> list[tuple[str, str]]:
    """`count` accounts in the bench group with bound licences; returns (username, device id) pairs."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.digests import sip_digests
    from accounts.models import Account
    from groups.models import Group
    from licensing.models import ClientRateBucket, Licence

    now = timezone.now()
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=BENCH_GROUP)
        Licence.objects.filter(account__group=group).delete()
        Account.objects.filter(group=group).delete()
        ClientRateBucket.objects.all().delete()
        accounts = []
        for index in range(count):
            username = f"77{index:08d}"
            ha1, ha1_sha256 = sip_digests(username, PASSWORD)
            accounts.append(Account(
                group=group, username=username, ha1=ha1, ha1_sha256=ha1_sha256, virtual_number=f"+7700{index:08d}",
                caller_id=f"+7700{index:08d}", status=Account.Status.CONNECTED, status_changed_at=now,
            ))
        Account.objects.bulk_create(accounts, batch_size=1000)
        Licence.objects.bulk_create([
            Licence(
                account=account, state=Licence.State.VALID, device_id=f"device-{account.username}", bound_at=now,
                last_checked_at=now, last_answer=Licence.Answer.VALID, last_answer_device_id=f"device-{account.username}",
                last_answer_recorded_at=now,
            )
            for account in Account.objects.filter(group=group)
        ], batch_size=1000)
    return [(f"77{index:08d}", f"device-77{index:08d}") for index in range(count)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, var_dir: str, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "licence_bench_settings",
        "VAR_DIR": var_dir,
        "LOG_LEVEL": "WARNING",
        "LICENCE_RATE_LIMIT_PER_USERNAME": HIGH_LIMIT,
        "LICENCE_RATE_LIMIT_PER_ADDRESS": HIGH_LIMIT,
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "console.wsgi:application", "--workers", "2", "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--pythonpath", f"{ROOT},{ROOT / 'bench'}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def basic(username: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()


def lua_script(path: str, clients: list[tuple[str, str]]) -> str:
    """A wrk script POSTing the licence request shape to `path`, rotating over `clients`."""
    auths = ",\n".join(json.dumps(basic(username)) for username, _ in clients)
    bodies = ",\n".join(json.dumps(json.dumps({"device_id": device})) for _, device in clients)
    return f"""
local auths = {{{auths}}}
local bodies = {{{bodies}}}
local threads = 0
function setup(thread) thread:set("offset", threads * 7919); threads = threads + 1 end
function init(args) i = offset or 0 end
function request()
  i = i + 1
  local k = (i % #auths) + 1
  return wrk.format("POST", "{path}", {{["Authorization"] = auths[k], ["Content-Type"] = "application/json"}}, bodies[k])
end
"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (0 when it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(server: subprocess.Popen) -> tuple[list[int], list[int]]:
    """The gunicorn processes, and the PostgreSQL backends serving this database (but not us)."""
    from django.db import connection

    workers = [server.pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                    workers.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        backends = [row[0] for row in cursor.fetchall()]
    return workers, backends


def run_wrk(port: int, path: str, script: str, duration: int, connections: int, server: subprocess.Popen | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    workers, backends = server_pids(server) if server else ([], [])
    before = {pid: _cpu_seconds(pid) for pid in workers + backends}
    try:
        output = subprocess.run(
            [shutil.which("wrk") or "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", handle.name,
             f"http://127.0.0.1:{port}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests_done = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(value) for value in socket_errors.groups())
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)] if p99 else float("nan")
    # Backends that started during the run count whole; those that ended are lost (rare: a
    # connection lives CONN_MAX_AGE seconds).
    workers_after, backends_after = server_pids(server) if server else ([], [])
    app_cpu, db_cpu = (
        sum(max(0.0, _cpu_seconds(pid) - before.get(pid, 0.0)) for pid in pids) * 1000 / max(1, requests_done)
        for pids in (workers_after, backends_after)
    )
    return {"rate": rate, "requests": requests_done, "errors": errors, "p99_ms": p99_ms, "app_cpu_ms": app_cpu, "db_cpu_ms": db_cpu}


def fixed_rate(port: int, clients: list[tuple[str, str]], rate: int, duration: int) -> dict:
    """Open-loop load: request n is due at start + n/rate; latency counts from when it was due."""
    total = rate * duration
    counter = itertools.count()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def worker() -> None:
        while True:
            index = next(counter)
            if index >= total:
                return
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            username, device = clients[index % len(clients)]
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("POST", LICENCE_PATH, body=json.dumps({"device_id": device}),
                                   headers={"Authorization": basic(username), "Content-Type": "application/json"})
                response = connection.getresponse()
                body = response.read()
                connection.close()
                outcome = None if response.status == 200 and json.loads(body)["status"] == "valid" else f"HTTP {response.status}"
            except (OSError, ValueError) as error:
                outcome = f"{type(error).__name__}: {error}"
            finished = time.perf_counter()
            with lock:
                latencies.append((finished - due) * 1000)
                if outcome:
                    errors.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies), "achieved_rate": len(latencies) / elapsed, "errors": errors,
        "p50_ms": statistics.median(latencies), "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)],
        "max_ms": latencies[-1],
    }


def main() -> int:
    arguments = parse_arguments()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://.../sip_licensing_bench (a database of its own: the run rewrites it).")
    ensure_database(url)
    import django

    django.setup()
    clients = prepare_data(arguments.accounts)
    var_dir = tempfile.mkdtemp(prefix="licence-bench-")
    port = free_port()
    server = start_gunicorn(port, var_dir, arguments.threads)
    try:
        licence_script = lua_script(LICENCE_PATH, clients)
        trivial_script = lua_script(TRIVIAL_PATH, clients)
        run_wrk(port, TRIVIAL_PATH, trivial_script, 3, arguments.connections)
        run_wrk(port, LICENCE_PATH, licence_script, 3, arguments.connections)
        trivial_runs, licence_runs = [], []
        for _ in range(arguments.rounds):
            trivial_runs.append(run_wrk(port, TRIVIAL_PATH, trivial_script, arguments.duration, arguments.connections, server))
            licence_runs.append(run_wrk(port, LICENCE_PATH, licence_script, arguments.duration, arguments.connections, server))
        latency = fixed_rate(port, clients, arguments.rate, arguments.rate_duration)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(var_dir, ignore_errors=True)

    trivial_rate = statistics.mean(run["rate"] for run in trivial_runs)
    licence_rate = statistics.mean(run["rate"] for run in licence_runs)
    ratio = licence_rate / trivial_rate
    throughput_errors = sum(run["errors"] for run in trivial_runs + licence_runs)
    worker = "sync workers" if arguments.threads == 1 else f"gthread workers x {arguments.threads} threads"
    print(f"gunicorn 2 {worker}, PostgreSQL, {arguments.accounts} bound licences, {os.cpu_count()} CPUs (shared with the load generator)")
    print(f"wrk -t2 -c{arguments.connections}, {arguments.rounds} x {arguments.duration} s per endpoint, alternating:")
    for name, runs in (("trivial view", trivial_runs), ("licence check", licence_runs)):
        figures = ", ".join(
            f"{run['rate']:.0f} req/s (p99 {run['p99_ms']:.1f} ms, {run['errors']} errors; CPU per request: "
            f"gunicorn {run['app_cpu_ms']:.2f} ms + PostgreSQL {run['db_cpu_ms']:.2f} ms)"
            for run in runs
        )
        print(f"  {name:14s} {figures}")
    print(f"  licence / trivial throughput: {licence_rate:.0f} / {trivial_rate:.0f} req/s = {ratio:.0%} (goal >= {THROUGHPUT_GOAL:.0%})")
    print(f"fixed rate {arguments.rate} req/s for {arguments.rate_duration} s (open loop, latency from the scheduled start):")
    print(f"  {latency['requests']} requests at {latency['achieved_rate']:.1f} req/s; p50 {latency['p50_ms']:.1f} ms, "
          f"p99 {latency['p99_ms']:.1f} ms (goal <= {P99_GOAL_MS:.0f} ms), max {latency['max_ms']:.1f} ms; "
          f"{len(latency['errors'])} errors {sorted(set(latency['errors']))[:5]}")
    print(f"  errors in the throughput runs: {throughput_errors}")
    met = ratio >= THROUGHPUT_GOAL and latency["p99_ms"] <= P99_GOAL_MS and not latency["errors"] and throughput_errors == 0
    print("all goals met" if met else "GOAL MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
