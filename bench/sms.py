"""SMS throughput and latency: the console's outbox and worker through Kannel, against sending the
same number of messages straight to Kannel with requests, in the same run.

Starts its own Kannel (bearerbox, smsbox, fakesmsc on free loopback ports), a gunicorn serving the
console on loopback (the operator's clicks and Kannel's delivery reports go to it) and
`manage.py run_worker` processes, then measures:

1. direct: N messages POSTed straight to Kannel's sendsms with requests (same headers, same
   dlr-mask and a dlr-url on the console); rate of acceptance and of arrival at fakesmsc. Twice:
   with SMS_SEND_THREADS clients at once, each with its own keep-alive connection (the anchor:
   the same concurrency the worker has), and one request at a time (shown beside it).
2. worker: the installation SMS of N accounts queued by one bulk action ("all N matching" of
   their group, queued within the request as for a small selection), drained by the workers; rate
   of acceptance by Kannel and of delivery reports applied (state delivered) in the database.
   The worker does not send one at a time: each worker process runs SMS_SEND_THREADS sending
   threads, each claiming batches of up to SMS_BATCH_SIZE rows and sending them over its own
   keep-alive connection, so up to SMS_SEND_THREADS requests per worker are in flight at once.
   The comparison is messages per second from the queue to accepted (and delivered), with every
   database write of the real flow (link, status change, event, audit, search change log).
3. latency: an operator clicking "Send installation SMS" (HTTP POSTs to the console at a steady
   pace) while the workers run; click to gateway acceptance (p50, p95, max).

    DATABASE_URL=postgres://.../sip_activation_bench python bench/sms.py [--messages 2000] [--workers 1]

The issue's figure is for a 20,000-message bulk send: --messages 20000.

The database is emptied first (`flush`), so its name must contain "bench". Prints a table;
exits 1 when the worker reaches less than 80 % of the concurrent direct rate or the p95 latency is above 2 s.
"""
import argparse
import contextlib
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

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.demo_data import demo_data_generate  # noqa: E402
from accounts.models import Account  # noqa: E402
from activation.models import ProvisioningProfile, SmsMessage  # noqa: E402
from activation.services import activation_send_sms  # noqa: E402
from activation.sms.gateways import KANNEL_DLR_MASK  # noqa: E402
from console.audit import Actor  # noqa: E402
from console.models import Operator, ServiceSettings  # noqa: E402
from fleet.selection import Selection  # noqa: E402
from fleet.services import bulk_start  # noqa: E402
from groups.models import Group  # noqa: E402
from tests.activation.kannel import LocalKannel, free_port, wait_for  # noqa: E402
from tests.conftest import make_account  # noqa: E402

PASSWORD = "bench-" + secrets.token_hex(8)


def start_gunicorn(port: int, run_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "VAR_DIR": str(run_dir), "SEARCH_INDEX_DIR": str(run_dir / "index")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "console.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--log-level", "warning"],
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
    return [
        subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env,
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


def make_accounts(group: Group, count: int, prefix: str) -> list[Account]:
    return [make_account(group, username=f"{prefix}{n:06d}", number=f"+39{prefix}{n:06d}") for n in range(count)]


def direct(kannel: LocalKannel, base_url: str, count: int, concurrency: int) -> dict:
    """`count` messages to Kannel from `concurrency` clients at once, each sending its share one
    request after another over its own keep-alive connection."""
    before = len(kannel.received())
    accepted_at: list[float] = []

    def send_share(share: range) -> None:
        session = requests.Session()
        for n in share:
            response = session.post(kannel.sendsms_url, data=f"Install your secure voice app: {base_url}/i/{secrets.token_urlsafe(18)}".encode(), headers={
                "Content-Type": "text/plain; charset=utf-8", "X-Kannel-Username": kannel.username,
                "X-Kannel-Password": kannel.password, "X-Kannel-From": "SIPConsole", "X-Kannel-To": f"+3980{n:08d}",
                "X-Kannel-DLR-Mask": str(KANNEL_DLR_MASK), "X-Kannel-DLR-Url": f"{base_url}/client/v1/sms-status/0/x?type=%d",
            }, timeout=10)
            assert response.status_code == 202, response.text
            accepted_at.append(time.perf_counter())

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send_share, [range(start, count, concurrency) for start in range(concurrency)]))
    first_accepted, last_accepted = min(accepted_at), max(accepted_at)
    wait_for(lambda: len(kannel.received()) - before >= count, 300, "the direct messages at fakesmsc", interval=0.02)
    arrived = time.perf_counter() - first_accepted
    return {"accepted": (count - 1) / (last_accepted - first_accepted), "arrived": (count - 1) / arrived,
            "wall": time.perf_counter() - started}


def bulk_queue(operator: Operator, group: Group, count: int) -> list[int]:
    """The installation SMS of `group`'s accounts, queued by one bulk action within the request."""
    settings.BULK_SYNC_LIMIT = count
    batch = bulk_start(operator=operator, action="send_installation_sms", selection=Selection(group_id=group.pk), parameters={})
    assert batch.state == "done", batch.state
    return list(batch.items.filter(outcome="done").values_list("account_id", flat=True))


def through_workers(ids: list[int], workers: int, run_dir: Path) -> dict:
    started = time.perf_counter()
    processes = start_workers(workers, run_dir)
    try:
        messages = SmsMessage.objects.filter(account_id__in=ids)
        wait_for(lambda: not messages.filter(state="queued").exists(), 1800, "the workers to send", interval=0.05)
        accepted = time.perf_counter() - started
        wait_for(lambda: messages.filter(state="delivered").count() == len(ids), 300, "the delivery reports", interval=0.05)
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


def latency(accounts: list[Account], base_url: str, workers: int, pace: float, run_dir: Path) -> dict:
    operator = requests.Session()
    page = operator.get(f"{base_url}/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    operator.post(f"{base_url}/login/", data={"username": "bench-operator", "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    clicks: dict[int, float] = {}
    processes = start_workers(workers, run_dir)
    try:
        warm_up, *accounts = accounts  # the first SMS only shows that the workers are up
        activation_send_sms(actor=Actor.system(), account_id=warm_up.pk, purpose="installation")
        wait_for(lambda: SmsMessage.objects.filter(account_id=warm_up.pk, sent_at__isnull=False).exists(), 120, "the workers")
        for account in accounts:
            csrf = operator.cookies["csrftoken"]
            clicked = time.time()
            response = operator.post(f"{base_url}/activation/accounts/{account.pk}/sms/installation/",
                                     data={"csrfmiddlewaretoken": csrf}, allow_redirects=False)
            assert response.status_code == 302, response.status_code
            clicks[account.pk] = clicked
            time.sleep(max(0.0, 1 / pace - (time.time() - clicked)))
        messages = SmsMessage.objects.filter(account_id__in=clicks)
        wait_for(lambda: messages.filter(sent_at__isnull=False).count() == len(clicks), 60, "the clicked SMS")
    finally:
        stop(processes)
    delays = sorted(sms.sent_at.timestamp() - clicks[sms.account_id] for sms in messages)
    return {"p50": statistics.median(delays), "p95": delays[int(0.95 * (len(delays) - 1))], "max": delays[-1], "count": len(delays)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="accounts of the bulk send (a few are skipped: SNOM desk phones)")
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
        ProvisioningProfile.objects.create(name="Bench", is_default=True)
        group = Group.objects.create(name="SMS bench")
        operator = Operator.objects.create_user(username="bench-operator", password=PASSWORD, role=Operator.Role.ADMINISTRATOR)
        bulk_group = demo_data_generate(actor=Actor.system(), groups=1, accounts=options.messages, seed=5).groups[0]
        click_accounts = make_accounts(group, options.clicks, "32")
        concurrent = direct(kannel, base_url, options.messages, settings.SMS_SEND_THREADS * options.workers)
        sequential = direct(kannel, base_url, options.messages, 1)
        queued = bulk_queue(operator, bulk_group, options.messages)
        worker_rate = through_workers(queued, options.workers, run_dir)
        clicks = latency(click_accounts, base_url, options.workers, options.pace, run_dir)
    finally:
        stop_web(web)
        kannel.stop()
    ratio = worker_rate["accepted"] / concurrent["accepted"]
    threads = settings.SMS_SEND_THREADS * options.workers
    print(f"SMS bench: a bulk send to {len(queued)} accounts, {options.workers} worker processes, Kannel dlr-mask {KANNEL_DLR_MASK}, {os.cpu_count()} CPUs,"
          f" load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print("| path | accepted by Kannel (msg/s) | end (msg/s) |")
    print("|---|---|---|")
    print(f"| direct, {threads} concurrent clients (requests, keep-alive): the anchor | {concurrent['accepted']:.1f} | {concurrent['arrived']:.1f} at fakesmsc |")
    print(f"| direct, sequential (one request at a time) | {sequential['accepted']:.1f} | {sequential['arrived']:.1f} at fakesmsc |")
    print(f"| console outbox + workers ({settings.SMS_SEND_THREADS} concurrent sending threads per worker, batches of"
          f" {settings.SMS_BATCH_SIZE}) | {worker_rate['accepted']:.1f} | {worker_rate['delivered']:.1f} delivered (DLR applied) |")
    print(f"worker / concurrent direct acceptance rate: {ratio:.0%} (goal >= 80%); worker / sequential direct:"
          f" {worker_rate['accepted'] / sequential['accepted']:.0%}; sustained rates from the first to the last acceptance;"
          f" wall time incl. worker start-up {worker_rate['wall']:.1f} s, direct {concurrent['wall']:.1f} s and {sequential['wall']:.1f} s")
    print(f"click -> gateway acceptance over {clicks['count']} clicks at {options.pace:g}/s: "
          f"p50 {clicks['p50']:.3f} s, p95 {clicks['p95']:.3f} s, max {clicks['max']:.3f} s (goal p95 <= 2 s)")
    return 0 if ratio >= 0.8 and clicks["p95"] <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
