"""SMS throughput and latency: the console's outbox and worker through Kannel, against sending the
same number of messages straight to Kannel, in the same run.

Starts its own Kannel (bearerbox, smsbox, fakesmsc on free loopback ports), a gunicorn serving the
console on loopback (the operator's clicks and Kannel's delivery reports go to it) and
`manage.py run_worker` processes, then measures, one phase after the other:

1. direct, sequential: N messages sent one after another to Kannel's sendsms (one keep-alive
   connection) with the worker's own request (`KannelGateway.send`: same headers, dlr-mask and a
   signed dlr-url on the console).
2. direct, concurrent (the fair anchor): the same N messages' worth, sent by SMS_SEND_THREADS
   threads at once, each with its own keep-alive connection, like one worker's sending threads.
3. worker: N installation SMS queued by a batch import of N accounts (one transaction, as a bulk
   send does), drained by the workers: each claims batches of up to SMS_BATCH_SIZE rows per sending
   thread, sends them and records every outcome (link, status change, audit, search change log).

Delivery reports are applied in all three: the direct phases send for outbox rows written beforehand
in state "sent" (no link, no status change: only what the worker adds is missing), so Kannel's
report on each goes to the console's dlr-url and the console applies it exactly as it does the
worker's (row lock, state delivered, audit entry). Each phase's rates run from its first
acceptance by Kannel to its last acceptance, and to its last report applied (`finished_at`); the next
phase starts once every report is in. The bench watches each phase by counting its rows in an id
range, every POLL_SECONDS in every phase, so watching costs the machine little and the same in all
three; and the search index is brought up to date with the imported accounts before the workers
start, as a running console's worker keeps it, so the worker phase does not build it.
4. latency: an operator clicking "Send installation SMS" (HTTP POSTs to the console at a steady
   pace) while the workers run; click to gateway acceptance (p50, p95, max).

    DATABASE_URL=postgres://.../sip_activation_bench python bench/sms.py [--messages 20000] [--workers 1]

The database is emptied first (`flush`), so its name must contain "bench". Prints a table; exits 1
when the worker delivers less than 80 % of the concurrent direct rate or the p95 latency is above 2 s.
"""
import argparse
import contextlib
import io
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(16))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.batch.importer import ImportOptions, accounts_import
from accounts.models import Account
from accounts.search.engine.index import SearchIndex
from activation.models import ProvisioningProfile, SmsMessage
from activation.services import activation_send_sms
from activation.sms.config import SmsConfig, sms_config
from activation.sms.gateways import KANNEL_DLR_MASK, KannelGateway, Outcome, Outgoing
from activation.sms.outbox import status_url
from activation.sms.texts import sms_text
from activation.tokens import new_token
from console.audit import Actor
from console.models import Operator, ServiceSettings
from groups.models import Group
from tests.activation.kannel import LocalKannel, free_port, wait_for

PASSWORD = "bench-" + secrets.token_hex(8)
POLL_SECONDS = 0.1


def start_gunicorn(port: int, run_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "VAR_DIR": str(run_dir), "SEARCH_INDEX_DIR": str(run_dir / "index")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "console.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--keep-alive", "30", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(run_dir / "gunicorn.log", "ab"), start_new_session=True,
    )
    wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 30, "gunicorn")
    return process


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def start_workers(count: int, run_dir: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "VAR_DIR": str(run_dir), "SEARCH_INDEX_DIR": str(run_dir / "index"), "WORKER_IDLE_SECONDS": "0.2"}
    profile = os.environ.get("SMS_BENCH_PROFILE")  # a folder: each worker's main thread is profiled into it
    return [
        subprocess.Popen([sys.executable, *(["-m", "cProfile", "-o", f"{profile}/worker{n}.prof"] if profile else []),
                          "manage.py", "run_worker"], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=open(run_dir / f"worker{n}.log", "ab"))
        for n in range(count)
    ]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_web(web: subprocess.Popen) -> None:
    """Stop gunicorn and any worker it forked that outlived it (they share gunicorn's own process group)."""
    stop([web])
    with contextlib.suppress(ProcessLookupError):
        os.killpg(web.pid, signal.SIGKILL)


def import_accounts(group: Group, count: int, prefix: str, *, installation_sms: bool) -> list[int]:
    """Create `count` accounts as one batch import does (and queue their installation SMS)."""
    lines = ["username,virtual_number"] + [f"{prefix}{n:06d},+39{prefix}{n:06d}" for n in range(count)]
    report = accounts_import(actor=Actor.command("bench"), group=group, stream=io.BytesIO("\n".join(lines).encode()),
                             dry_run=False, options=ImportOptions(send_installation_sms=installation_sms))
    assert report.committed and report.imported == count, report.summary()
    return list(Account.objects.filter(username__startswith=prefix).order_by("pk").values_list("pk", flat=True))


def reports_timeout(count: int) -> float:
    """How long to wait for `count` messages' reports: a loaded machine applies some 40 a second."""
    return max(300.0, count / 20)


def phase_messages(rows: list[SmsMessage]):
    """A phase's outbox rows, as an id range (an index range scan, however many rows): the rows
    are written in one statement into an outbox nobody else writes to, so their ids are consecutive."""
    low, high = min(sms.pk for sms in rows), max(sms.pk for sms in rows)
    assert high - low + 1 == len(rows), "the phase's outbox rows are not consecutive"
    return SmsMessage.objects.filter(pk__range=(low, high))


def sent_rows(count: int, prefix: str) -> list[SmsMessage]:
    """Outbox rows as the worker leaves them once Kannel took them, for the direct phases' reports."""
    now = timezone.now()
    return SmsMessage.objects.bulk_create(
        SmsMessage(purpose=SmsMessage.Purpose.TEST, recipient=f"+39{prefix}{n:06d}", text="bench", state=SmsMessage.State.SENT,
                   backend="kannel", attempts=1, created_at=now, next_attempt_at=now, sent_at=now)
        for n in range(count)
    )


def direct(config: SmsConfig, rows: list[SmsMessage], threads: int) -> dict:
    """Send one message per row straight to Kannel from `threads` threads, each with its own gateway
    (its own keep-alive connection); wait for every delivery report to be applied."""
    shares = [rows[n::threads] for n in range(threads)]
    accepted_at: list[float] = []

    def send(share: list[SmsMessage]) -> None:
        gateway = KannelGateway(config)
        for sms in share:
            text = sms_text(SmsMessage.Purpose.INSTALLATION, config.public_base_url, new_token())
            result = gateway.send(Outgoing(sms.pk, sms.recipient, text, status_url(config, sms.pk)))
            assert result.outcome is Outcome.ACCEPTED, result.error
            accepted_at.append(time.time())

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, shares))
    wall = time.perf_counter() - started
    messages = phase_messages(rows)
    wait_for(lambda: messages.filter(state="delivered").count() == len(rows), reports_timeout(len(rows)), "the direct delivery reports",
             interval=POLL_SECONDS)
    first, last = min(accepted_at), max(accepted_at)
    last_delivered = messages.order_by("-finished_at").first().finished_at.timestamp()
    return {"accepted": (len(rows) - 1) / (last - first), "delivered": (len(rows) - 1) / (last_delivered - first), "wall": wall}


def through_workers(ids: list[int], workers: int, run_dir: Path) -> dict:
    messages = phase_messages(list(SmsMessage.objects.filter(account_id__in=ids).only("pk")))
    SearchIndex(run_dir / "index").sync()
    started = time.perf_counter()
    processes = start_workers(workers, run_dir)
    try:
        wait_for(lambda: not messages.filter(state="queued").exists(), reports_timeout(len(ids)), "the workers to send", interval=POLL_SECONDS)
        accepted = time.perf_counter() - started
        wait_for(lambda: messages.filter(state="delivered").count() == len(ids), reports_timeout(len(ids)), "the delivery reports",
                 interval=POLL_SECONDS)
        assert messages.filter(attempts=1).count() == len(ids)
    finally:
        stop(processes)
    # Sustained rates: from the first acceptance (the workers are up) to the last acceptance / report.
    first = messages.order_by("sent_at").first().sent_at
    last_sent = messages.order_by("-sent_at").first().sent_at
    last_delivered = messages.order_by("-finished_at").first().finished_at
    return {
        "accepted": (len(ids) - 1) / (last_sent - first).total_seconds(),
        "delivered": (len(ids) - 1) / (last_delivered - first).total_seconds(),
        "wall": accepted,
    }


def latency(account_ids: list[int], base_url: str, workers: int, pace: float, run_dir: Path) -> dict:
    operator = requests.Session()
    page = operator.get(f"{base_url}/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    operator.post(f"{base_url}/login/", data={"username": "bench-operator", "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    clicks: dict[int, float] = {}
    processes = start_workers(workers, run_dir)
    try:
        warm_up, *account_ids = account_ids  # the first SMS only shows that the workers are up
        activation_send_sms(actor=Actor.system(), account_id=warm_up, purpose="installation")
        wait_for(lambda: SmsMessage.objects.filter(account_id=warm_up, sent_at__isnull=False).exists(), 120, "the workers")
        for account_id in account_ids:
            csrf = operator.cookies["csrftoken"]
            clicked = time.time()
            response = operator.post(f"{base_url}/activation/accounts/{account_id}/sms/installation/",
                                     data={"csrfmiddlewaretoken": csrf}, allow_redirects=False)
            assert response.status_code == 302, response.status_code
            clicks[account_id] = clicked
            time.sleep(max(0.0, 1 / pace - (time.time() - clicked)))
        messages = SmsMessage.objects.filter(account_id__in=clicks)
        wait_for(lambda: messages.filter(sent_at__isnull=False).count() == len(clicks), 60, "the clicked SMS")
    finally:
        stop(processes)
    delays = sorted(sms.sent_at.timestamp() - clicks[sms.account_id] for sms in messages)
    return {"p50": statistics.median(delays), "p95": delays[int(0.95 * (len(delays) - 1))], "max": delays[-1], "count": len(delays)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clicks", type=int, default=100)
    parser.add_argument("--pace", type=float, default=10.0, help="operator clicks per second in the latency phase")
    options = parser.parse_args()
    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        print("Needs DATABASE_URL=postgres://.../<a database whose name contains 'bench'> (it is emptied).", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    run_dir = Path(tempfile.mkdtemp(prefix="sms-bench-"))
    kannel = LocalKannel(run_dir / "kannel").start()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    web = start_gunicorn(port, run_dir)
    try:
        ServiceSettings.objects.update_or_create(pk=1, defaults={
            "public_base_url": base_url, "sms_backend": "kannel", "sms_gateway_url": kannel.sendsms_url,
            "sms_username": kannel.username, "sms_password": kannel.password, "sms_sender": "SIPConsole",
        })
        profile = ProvisioningProfile.objects.create(name="Bench", is_default=True)
        group = Group.objects.create(name="SMS bench", profile=profile)
        Operator.objects.create_user(username="bench-operator", password=PASSWORD, role=Operator.Role.ADMINISTRATOR)
        click_accounts = import_accounts(group, options.clicks, "32", installation_sms=False)
        config = sms_config()
        sequential = direct(config, sent_rows(options.messages, "33"), threads=1)
        concurrent = direct(config, sent_rows(options.messages, "34"), threads=settings.SMS_SEND_THREADS)
        worker_rate = through_workers(import_accounts(group, options.messages, "31", installation_sms=True), options.workers, run_dir)
        clicks = latency(click_accounts, base_url, options.workers, options.pace, run_dir)
    finally:
        stop_web(web)
        kannel.stop()
    ratio = worker_rate["delivered"] / concurrent["delivered"]
    threads = settings.SMS_SEND_THREADS
    print(f"SMS bench: {options.messages} messages, {options.workers} worker processes, Kannel dlr-mask {KANNEL_DLR_MASK}, {os.cpu_count()} CPUs,"
          f" load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print("| path | accepted by Kannel (msg/s) | delivery reports applied (msg/s) | wall time of the sends (s) |")
    print("|---|---|---|---|")
    for name, rate in (("direct, sequential (1 connection)", sequential),
                       (f"direct, {threads} concurrent senders (the anchor)", concurrent),
                       (f"console outbox + {options.workers} worker(s) ({threads} sending threads each, batches of {settings.SMS_BATCH_SIZE})", worker_rate)):
        print(f"| {name} | {rate['accepted']:.1f} | {rate['delivered']:.1f} | {rate['wall']:.1f} |")
    print(f"worker / concurrent direct, reports applied: {ratio:.0%} (goal >= 80%); accepted: {worker_rate['accepted'] / concurrent['accepted']:.0%};"
          f" worker / sequential direct, reports applied: {worker_rate['delivered'] / sequential['delivered']:.0%}")
    print(f"click -> gateway acceptance over {clicks['count']} clicks at {options.pace:g}/s: "
          f"p50 {clicks['p50']:.3f} s, p95 {clicks['p95']:.3f} s, max {clicks['max']:.3f} s (goal p95 <= 2 s)")
    return 0 if ratio >= 0.8 and clicks["p95"] <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
