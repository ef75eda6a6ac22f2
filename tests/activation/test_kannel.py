"""Integration with a real Kannel (bearerbox, smsbox, fakesmsc on loopback ports of their own):
sending, delivery reports, gateway faults and workers killed mid-send (M2, DESIGN 6)."""
import logging
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.db import transaction

from accounts.models import Account
from activation.models import SmsMessage
from activation.services import activation_send_sms
from activation.sms.outbox import send_due_sms
from console.audit import Actor
from console.models import ServiceSettings
from tests.activation.kannel import LocalKannel, kannel_available, wait_for
from tests.conftest import requires_postgresql

# Delivery reports reach the live server while a worker holds its transaction: the in-memory
# SQLite database of the test run fails such a write at once instead of waiting, so PostgreSQL.
pytestmark = [
    pytest.mark.skipif(not kannel_available(), reason="needs Kannel: bearerbox, smsbox (kannel) and fakesmsc (kannel-extras)"),
    requires_postgresql,
]
ROOT = Path(__file__).resolve().parents[2]


def messages_to(kannel: LocalKannel, number: str) -> list[str]:
    """The texts the fake SMSC received for `number` during this test."""
    return [text for _, recipient, text in kannel.received()[kannel.seen_before_test:] if recipient == number]


def wait_state(sms_id: int, state: str, timeout: float = 10) -> SmsMessage:
    return wait_for(lambda: SmsMessage.objects.filter(pk=sms_id, state=state).first(), timeout, f"SMS #{sms_id} to be {state}")


def queue(account, purpose="installation") -> SmsMessage:
    return activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose=purpose)


def test_an_installation_sms_reaches_the_phone_with_its_link_and_the_report_makes_it_delivered(via_kannel, wizard_account, live_server):
    sms = queue(wizard_account)
    assert send_due_sms() == 1
    assert Account.objects.get(pk=wizard_account.pk).status == Account.Status.INSTALLATION_SMS_SENT
    texts = wait_for(lambda: messages_to(via_kannel, "+393331234567"), 10, "the SMS at the fake SMSC")
    assert len(texts) == 1 and re.fullmatch(rf"Install your secure voice app: {re.escape(live_server.url)}/i/[A-Za-z0-9_-]{{24}}", texts[0])
    delivered = wait_state(sms.pk, "delivered")
    assert delivered.attempts == 1 and delivered.finished_at is not None
    token = texts[0].rsplit("/", 1)[1]
    assert requests.get(f"{live_server.url}/i/{token}", timeout=5).status_code == 200


def test_a_rolled_back_action_sends_nothing_through_kannel(via_kannel, wizard_account):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            queue(wizard_account)
            raise RuntimeError("rolled back")
    assert send_due_sms() == 0
    time.sleep(0.5)
    assert len(via_kannel.received()) == via_kannel.seen_before_test and not SmsMessage.objects.exists()


class FaultyFront(BaseHTTPRequestHandler):
    """Answers the statuses in `answers` in turn (None: pass that request on), then passes every
    request on to Kannel. A fake, because Kannel does not answer 5xx on demand; what it passes on
    is handled by the real Kannel."""

    answers: list[int | None] = []
    target = ""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = self.answers.pop(0) if self.answers else None
        if status is not None:
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"temporarily unavailable")
            return
        headers = {key: value for key, value in self.headers.items() if key.lower().startswith(("x-kannel", "content-type"))}
        answer = requests.post(self.target, data=body, headers=headers, timeout=5)
        self.send_response(answer.status_code)
        self.end_headers()
        self.wfile.write(answer.content)

    def log_message(self, *args):
        pass


def run_rounds_until(sms_id: int, states: tuple[str, ...], timeout: float = 10) -> SmsMessage:
    def attempt():
        send_due_sms()
        return SmsMessage.objects.filter(pk=sms_id, state__in=states).first()

    return wait_for(attempt, timeout, f"SMS #{sms_id} to leave the queue", interval=0.05)


@contextmanager
def faulty_front(kannel: LocalKannel, answers: list[int | None]):
    """The Services settings send through a `FaultyFront` before `kannel` while the block runs."""
    FaultyFront.answers, FaultyFront.target = list(answers), kannel.sendsms_url
    front = ThreadingHTTPServer(("127.0.0.1", 0), FaultyFront)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        ServiceSettings.objects.update(sms_gateway_url=f"http://127.0.0.1:{front.server_port}/cgi-bin/sendsms")
        yield
    finally:
        front.shutdown()
        front.server_close()


def test_gateway_errors_500_and_503_are_retried_with_backoff_and_the_sms_delivered_once(via_kannel, wizard_account):
    with faulty_front(via_kannel, [500, 503]):
        sms = queue(wizard_account)
        assert send_due_sms() == 1
        first = SmsMessage.objects.get(pk=sms.pk)
        assert (first.state, first.attempts) == ("queued", 1) and "500" in first.last_error
        assert first.next_attempt_at > first.created_at
        run_rounds_until(sms.pk, ("sent", "delivered"))
        final = wait_state(sms.pk, "delivered")
        assert final.attempts == 3
    time.sleep(0.5)
    assert len(messages_to(via_kannel, "+393331234567")) == 1


def test_a_batch_records_each_outcome_on_its_own_and_retries_only_the_failed_message(via_kannel, personas, profile, settings):
    from activation.models import OneTimeLink
    from tests.conftest import make_account

    settings.SMS_BATCH_SIZE, settings.SMS_SEND_THREADS = 4, 1
    accounts = [make_account(personas.group, number=f"+39347000000{n}") for n in range(4)]
    messages = [queue(account) for account in accounts]
    with faulty_front(via_kannel, [None, 503, 400, None]):  # one batch: accepted, retry, refused, accepted
        assert send_due_sms() == 4
        accepted, retried, refused, last = (SmsMessage.objects.get(pk=sms.pk) for sms in messages)
        assert accepted.state in ("sent", "delivered") and last.state in ("sent", "delivered")
        assert (retried.state, retried.attempts) == ("queued", 1) and "503" in retried.last_error
        assert retried.next_attempt_at > retried.created_at
        assert (refused.state, refused.attempts) == ("failed", 1) and "400" in refused.last_error
        statuses = [Account.objects.get(pk=account.pk).status for account in accounts]
        assert statuses == ["installation_sms_sent", "created", "created", "installation_sms_sent"]
        assert sorted(OneTimeLink.objects.values_list("sms_id", flat=True)) == [accepted.pk, last.pk]
        run_rounds_until(retried.pk, ("sent", "delivered"))
    for sms in (accepted, retried, last):
        assert wait_state(sms.pk, "delivered").attempts == (2 if sms is retried else 1)
    time.sleep(0.5)
    received = [to for _, to, _ in via_kannel.received()[via_kannel.seen_before_test:]]
    assert sorted(received) == ["+393470000000", "+393470000001", "+393470000003"]


def test_a_gateway_refusing_connections_is_retried_until_it_is_back(via_kannel, wizard_account):
    via_kannel.stop_smsbox()
    try:
        sms = queue(wizard_account)
        send_due_sms()
        waiting = SmsMessage.objects.get(pk=sms.pk)
        assert (waiting.state, waiting.attempts) == ("queued", 1) and "connection refused" in waiting.last_error
        send_due_sms()
    finally:
        via_kannel.start_smsbox()
    run_rounds_until(sms.pk, ("sent", "delivered"))
    assert wait_state(sms.pk, "delivered").attempts >= 2
    time.sleep(0.5)
    assert len(messages_to(via_kannel, "+393331234567")) == 1


def test_a_gateway_timeout_leaves_the_sms_unknown_and_it_is_not_sent_again(via_kannel, wizard_account, settings):
    settings.SMS_GATEWAY_TIMEOUT = 1.0
    via_kannel.pause_smsbox()
    try:
        sms = queue(wizard_account)
        assert send_due_sms() == 1
        unknown = SmsMessage.objects.get(pk=sms.pk)
        assert unknown.state == "unknown" and "not re-sent" in unknown.last_error
        assert Account.objects.get(pk=wizard_account.pk).status == Account.Status.CREATED
    finally:
        via_kannel.resume_smsbox()
    for _ in range(5):
        assert send_due_sms() == 0
    time.sleep(1.0)
    assert SmsMessage.objects.get(pk=sms.pk).state == "unknown"
    # Whether smsbox still took the abandoned request is exactly what nobody knows: at most one SMS.
    assert len(messages_to(via_kannel, "+393331234567")) <= 1


WORKER_SCRIPT = """
import os, sys, time
import django
django.setup()
from activation.sms import gateways, outbox
real_send = gateways.KannelGateway.send
sends_before_pause = int(sys.argv[2])
def send(self, message):
    global sends_before_pause
    if sys.argv[1] == "claimed":
        print("CLAIMED", flush=True); time.sleep(120)
    result = real_send(self, message)
    sends_before_pause -= 1
    if sends_before_pause == 0:
        print("SENT", flush=True); time.sleep(120)
    return result
gateways.KannelGateway.send = send
outbox.send_due_sms()
"""


def kill_worker_at(point: str, settings, sends: int = 1, batch_size: int = 1) -> None:
    """Run a worker in its own process (one sending thread, batches of `batch_size`) and SIGKILL it
    at `point`: "claimed" (rows locked, nothing sent) or "sent" (the gateway accepted `sends`
    messages of the batch, the outcomes not yet committed). The pause there is injected into the
    worker process; nothing else about the worker or Kannel is faked."""
    env = worker_environment(settings, SMS_SEND_THREADS="1", SMS_BATCH_SIZE=str(batch_size))
    worker = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, point, str(sends)], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = worker.stdout.readline().strip()
        assert line == point.upper(), f"the worker said {line!r}"
    finally:
        worker.kill()
        worker.wait()


def test_a_worker_killed_after_claiming_loses_no_sms(via_kannel, wizard_account, settings):
    sms = queue(wizard_account)
    kill_worker_at("claimed", settings)
    assert SmsMessage.objects.get(pk=sms.pk).state == "queued"
    run_rounds_until(sms.pk, ("sent", "delivered"))
    wait_state(sms.pk, "delivered")
    time.sleep(0.5)
    assert len(messages_to(via_kannel, "+393331234567")) == 1


def test_a_worker_killed_after_sending_duplicates_only_in_the_documented_window(via_kannel, wizard_account, settings, live_server):
    sms = queue(wizard_account)
    kill_worker_at("sent", settings)
    wait_for(lambda: messages_to(via_kannel, "+393331234567"), 10, "the first SMS")
    time.sleep(1.0)  # its delivery report arrives for a row still queued, and must not settle it
    assert SmsMessage.objects.get(pk=sms.pk).state == "queued"
    run_rounds_until(sms.pk, ("sent", "delivered"))
    wait_state(sms.pk, "delivered")
    texts = wait_for(lambda: (found := messages_to(via_kannel, "+393331234567")) and len(found) == 2 and found, 10, "both SMS")
    first, second = (text.rsplit("/", 1)[1] for text in texts)
    # The SMS sent in the window carries a link that never became valid; the second one works.
    assert requests.get(f"{live_server.url}/i/{first}", timeout=5).status_code == 404
    assert requests.get(f"{live_server.url}/i/{second}", timeout=5).status_code == 200


def test_a_worker_killed_mid_batch_duplicates_only_the_messages_the_gateway_took_in_the_window(via_kannel, personas, profile, settings, live_server):
    from tests.conftest import make_account

    numbers = ["+393480000100", "+393480000101", "+393480000102"]
    messages = [queue(make_account(personas.group, number=number)) for number in numbers]
    kill_worker_at("sent", settings, sends=2, batch_size=3)
    wait_for(lambda: messages_to(via_kannel, numbers[1]), 10, "the second SMS of the batch")
    time.sleep(1.0)  # their delivery reports arrive for rows still queued, and must not settle them
    assert [SmsMessage.objects.get(pk=sms.pk).state for sms in messages] == ["queued"] * 3
    for sms in messages:
        run_rounds_until(sms.pk, ("sent", "delivered"))
        wait_state(sms.pk, "delivered")
    time.sleep(0.5)
    first, second, third = (messages_to(via_kannel, number) for number in numbers)
    assert (len(first), len(second), len(third)) == (2, 2, 1)
    # The copies sent in the window carry links that never became valid; the later ones work.
    for window_copy, later_copy in (first, second):
        assert requests.get(f"{live_server.url}/i/{window_copy.rsplit('/', 1)[1]}", timeout=5).status_code == 404
        assert requests.get(f"{live_server.url}/i/{later_copy.rsplit('/', 1)[1]}", timeout=5).status_code == 200
    assert requests.get(f"{live_server.url}/i/{third[0].rsplit('/', 1)[1]}", timeout=5).status_code == 200


def test_the_services_check_asks_kannel_with_the_credentials_and_sends_nothing(via_kannel):
    from activation.checks import check_sms_gateway

    row = ServiceSettings.load()
    ok, message = check_sms_gateway(row)
    assert ok and "accepts the credentials" in message
    row.sms_password = "wrong"
    ok, message = check_sms_gateway(row)
    assert not ok and "refuses the username or password" in message
    assert via_kannel.received()[via_kannel.seen_before_test:] == []


def test_no_token_password_or_digest_appears_in_any_log_line_of_a_full_run(via_kannel, wizard_account, live_server, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    session = requests.Session()
    queue(wizard_account, "installation")
    send_due_sms()
    install = wait_for(lambda: messages_to(via_kannel, "+393331234567"), 10, "the installation SMS")[0].rsplit("/", 1)[1]
    session.get(f"{live_server.url}/i/{install}", headers={"User-Agent": "iPhone"})
    session.get(f"{live_server.url}/i/{install}/download?platform=ios", headers={"User-Agent": "iPhone"}, allow_redirects=False)
    session.post(f"{live_server.url}/client/v1/installed", json={"token": install})
    session.post(f"{live_server.url}/client/v1/installed", json={"token": install})  # 410
    queue(wizard_account, "activation")
    send_due_sms()
    activation_text = wait_for(lambda: [t for t in messages_to(via_kannel, "+393331234567") if "/a/" in t], 10, "the activation SMS")[0]
    activate = re.search(r"/a/([A-Za-z0-9_-]+)", activation_text).group(1)
    page = session.get(f"{live_server.url}/a/{activate}")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    requests.post(f"{live_server.url}/a/{activate}", headers={"Referer": f"{live_server.url}/a/{activate}"})  # CSRF refusal
    configuration = session.post(f"{live_server.url}/a/{activate}", data={"csrfmiddlewaretoken": csrf},
                                 headers={"Referer": f"{live_server.url}/a/{activate}", "Origin": live_server.url})
    assert configuration.status_code == 200
    session.post(f"{live_server.url}/a/{activate}", data={"csrfmiddlewaretoken": csrf}, headers={"Origin": live_server.url})  # 410
    password = re.search(r"<password>([^<]+)</password>", configuration.text).group(1)
    account = Account.objects.get(pk=wizard_account.pk)
    secrets_to_hide = [install, activate, password, account.ha1, account.ha1_sha256, via_kannel.password]
    lines = [record.getMessage() for record in caplog.records] + caplog.text.splitlines()
    assert any("/a/[token]" in line for line in lines), "the refused requests were logged (with the token masked)"
    leaks = [line for line in lines for secret in secrets_to_hide if secret in line]
    assert leaks == []


def test_sending_threads_and_two_workers_send_each_queued_sms_exactly_once(via_kannel, personas, profile, settings):
    from tests.conftest import make_account

    settings.SMS_SEND_THREADS, settings.SMS_BATCH_SIZE = 4, 2  # 2 workers x 4 threads claim batches of 2 side by side
    numbers = [f"+3934800000{n:02d}" for n in range(30)]
    for number in numbers:
        queue(make_account(personas.group, number=number))
    from django.db import connection

    def worker_round():
        try:
            send_due_sms()
        finally:
            connection.close()

    rounds = [threading.Thread(target=worker_round) for _ in range(2)]
    for thread in rounds:
        thread.start()
    for thread in rounds:
        thread.join()
    assert SmsMessage.objects.filter(state__in=["sent", "delivered"], attempts=1).count() == 30
    received = wait_for(lambda: (found := [to for _, to, _ in via_kannel.received()[via_kannel.seen_before_test:]]) and len(found) >= 30 and found, 10, "30 SMS")
    time.sleep(0.5)
    assert sorted(to for _, to, _ in via_kannel.received()[via_kannel.seen_before_test:]) == sorted(numbers) == sorted(received)


def worker_environment(settings, **values: str) -> dict[str, str]:
    """The environment of a worker process on the test database."""
    from django.db import connection

    database = connection.settings_dict
    return {
        "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "console.settings", "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY, "VAR_DIR": str(ROOT / "var"), "LOG_LEVEL": "WARNING", **values,
    }


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_worker_stopped_while_its_threads_send_finishes_their_batches_and_sends_nothing_twice(via_kannel, personas, profile, settings, stop_signal):
    from tests.conftest import make_account

    numbers = [f"+3934900001{n:02d}" for n in range(80)]
    messages = [queue(make_account(personas.group, number=number)) for number in numbers]
    env = worker_environment(settings, SMS_SEND_THREADS="4", SMS_BATCH_SIZE="10", WORKER_IDLE_SECONDS="0.1")
    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        sent = SmsMessage.objects.filter(pk__in=[sms.pk for sms in messages], sent_at__isnull=False)
        wait_for(sent.exists, 30, "the worker's first batch")
        worker.send_signal(stop_signal)  # while its threads hold batches that the gateway is taking
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()
        worker.wait()
    assert sent.count() < len(numbers), "the worker was stopped before it had sent everything"
    for sms in messages:
        run_rounds_until(sms.pk, ("sent", "delivered"))
    received = wait_for(lambda: (found := [to for _, to, _ in via_kannel.received()[via_kannel.seen_before_test:]]) and len(found) >= len(numbers) and found,
                        10, f"{len(numbers)} SMS")
    time.sleep(0.5)
    assert sorted(to for _, to, _ in via_kannel.received()[via_kannel.seen_before_test:]) == sorted(numbers) == sorted(received)
    assert SmsMessage.objects.filter(pk__in=[sms.pk for sms in messages], attempts=1).count() == len(numbers)


def test_a_running_worker_sends_every_queued_sms_once_through_its_sending_threads(via_kannel, personas, profile, settings):
    from tests.conftest import make_account

    numbers = [f"+3934900002{n:02d}" for n in range(30)]
    messages = SmsMessage.objects.filter(pk__in=[queue(make_account(personas.group, number=number)).pk for number in numbers])
    env = worker_environment(settings, SMS_SEND_THREADS="3", SMS_BATCH_SIZE="4", WORKER_IDLE_SECONDS="0.1")
    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: messages.filter(state__in=["sent", "delivered"]).count() == len(numbers), 60, "the worker to send them all")
        late = queue(make_account(personas.group, number="+393490000300"))  # the threads, idle by now, are woken for it
        wait_state(late.pk, "delivered", timeout=20)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()
        worker.wait()
    assert messages.filter(attempts=1).count() == len(numbers)
    received = wait_for(lambda: (found := [to for _, to, _ in via_kannel.received()[via_kannel.seen_before_test:]]) and len(found) >= 31 and found, 10, "31 SMS")
    time.sleep(0.5)
    assert sorted(to for _, to, _ in via_kannel.received()[via_kannel.seen_before_test:]) == sorted([*numbers, "+393490000300"]) == sorted(received)


def test_the_kannel_check_leaves_the_gateway_password_out_of_every_log_line(via_kannel, caplog):
    from activation.checks import check_sms_gateway

    caplog.set_level(logging.DEBUG)
    row = ServiceSettings.load()
    ok, _ = check_sms_gateway(row)
    assert ok
    lines = [record.getMessage() for record in caplog.records] + caplog.text.splitlines()
    assert any("sendsms" in line for line in lines), "urllib3 logged the request (the check is meaningful)"
    assert [line for line in lines if via_kannel.password in line] == []
