"""The worker's side of the SMS outbox (DESIGN 6).

A sending thread claims a batch of due rows (`SELECT ... FOR UPDATE SKIP LOCKED LIMIT n` on
PostgreSQL) and locks their accounts, sends the messages one after another over one keep-alive
connection to the gateway, then records every outcome and commits: one transaction per batch, which
holds the row locks from the claim to the recorded outcomes. Several threads (SMS_SEND_THREADS) and
several workers run at once, each with rows of its own, so the gateway round trips overlap; the
batch (at most SMS_BATCH_SIZE messages) spreads the database's statements and commit over its
messages instead of paying them for each one. In `manage.py run_worker` on PostgreSQL the threads
run beside the worker's loop (`send_due_sms_in_background`) and keep their connections; tests and
SQLite send a round at a time (`send_due_sms`).

A worker stopped with Ctrl-C or SIGTERM lets each thread finish and record the batch in hand.
A worker that dies at any point releases its claim: the rows are still queued and the next round
sends them. The one window in which a message can go out twice runs from the gateway accepting it
to the commit of its batch: the rest of the batch's sends (at most SMS_BATCH_SIZE - 1, each bounded
by SMS_GATEWAY_TIMEOUT, typically a few milliseconds each) and the recording of the outcomes. A
worker killed in that window leaves its whole batch queued, so every message of the batch that the
gateway had already accepted goes out a second time. The links those first SMS carry never become
valid (the link rows are written in the batch's transaction), so the customer uses the second one.
A gateway that does not answer in time leaves the message `unknown` and it is not re-sent
automatically: the operator sends a new one if the customer did not get it.
"""
import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from activation.models import SmsMessage
from activation.services import LINK_LIFETIME_SETTINGS, SendAttempt, sms_record_attempts
from activation.sms.config import SmsConfig, sms_config
from activation.sms.gateways import Outcome, Outgoing, SendResult, gateway_for
from activation.sms.texts import sms_text
from activation.tokens import dlr_signature, new_token

logger = logging.getLogger(__name__)

ROUND_LIMIT = 200


def send_due_sms(limit: int = ROUND_LIMIT) -> int:
    """Send up to `limit` due messages; returns how many were handled (a worker task).

    On PostgreSQL, with several messages due, SMS_SEND_THREADS threads send at once, each with its
    own connection and its own claimed batches, so the gateway's and the database's round trips
    overlap. The due messages are shared out, so a few messages go out in parallel rather than in
    one thread's batch.
    """
    due = SmsMessage.objects.due(timezone.now()).count()
    if due == 0:
        return 0
    budget = _Budget(limit)
    batch_size = max(1, settings.SMS_BATCH_SIZE)
    threads = min(settings.SMS_SEND_THREADS, due)
    if threads <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _drain(budget, batch_size)
    batch_size = min(batch_size, math.ceil(min(due, limit) / threads))
    with ThreadPoolExecutor(threads, thread_name_prefix="sms") as pool:
        shares = [pool.submit(_drain_in_thread, budget, batch_size) for _ in range(threads)]
    return sum(share.result() for share in shares)


class _Budget:
    """How many more messages this round may send, shared by the sending threads."""

    def __init__(self, limit: int):
        self.left = limit
        self.lock = threading.Lock()

    def take(self, wanted: int) -> int:
        with self.lock:
            granted = max(0, min(wanted, self.left))
            self.left -= granted
            return granted


def send_due_sms_in_background() -> int:
    """Worker task (settings.WORKER_TASKS): on PostgreSQL, keep this worker's SMS_SEND_THREADS
    sending threads running and wake them when messages are due; elsewhere, `send_due_sms`.

    The threads send on while the worker's loop runs its other tasks (during a bulk send, applying
    the search change log of its status changes, in steps SEARCH_WARM_SECONDS apart), no
    thread waits at the end of a round for the slowest one, and each keeps its database connection
    and its keep-alive gateway connection from one batch to the next. Each batch is claimed, sent
    and recorded in one transaction as `send_due_sms` does. Returns 0: the threads' work is their
    own, so the loop rests as it would with nothing to do. When the worker stops (Ctrl-C, SIGTERM),
    each thread finishes the batch it holds, so a stop never re-sends what the gateway took.
    """
    if connection.vendor != "postgresql":
        return send_due_sms()
    _senders.keep_running()
    return 0


class _Senders:
    """The background sending threads of one worker process."""

    def __init__(self):
        self.threads: list[threading.Thread] = []
        self.due = threading.Event()

    def keep_running(self) -> None:
        self.threads = [thread for thread in self.threads if thread.is_alive()]
        for _ in range(max(1, settings.SMS_SEND_THREADS) - len(self.threads)):
            thread = threading.Thread(target=self._send_while_the_worker_runs, name="sms-sender")
            thread.start()
            self.threads.append(thread)
        if SmsMessage.objects.due(timezone.now()).exists():
            self.due.set()

    def _send_while_the_worker_runs(self) -> None:
        """Send one due batch after the other until none is left, then wait to be woken (or
        WORKER_IDLE_SECONDS); stop once the worker's main thread has ended, after the batch in hand."""
        config = gateway = None
        try:
            while threading.main_thread().is_alive():
                try:
                    if (latest := sms_config()) != config:  # the Services page changed: a new gateway connection
                        config, gateway = latest, gateway_for(latest)
                    handled = send_batch(gateway, config, max(1, settings.SMS_BATCH_SIZE))
                except Exception:
                    logger.exception("an SMS sending thread failed; it tries again")
                    connection.close()
                    handled = 0
                if not handled:
                    self.due.wait(settings.WORKER_IDLE_SECONDS)
                    self.due.clear()
        finally:
            connection.close()


_senders = _Senders()


def _drain(budget: _Budget, batch_size: int) -> int:
    config = sms_config()
    gateway = gateway_for(config)
    handled = 0
    while granted := budget.take(batch_size):
        sent = send_batch(gateway, config, granted)
        handled += sent
        if sent < granted:  # nothing more is due that another thread or worker has not claimed
            break
    return handled


def _drain_in_thread(budget: _Budget, batch_size: int) -> int:
    try:
        return _drain(budget, batch_size)
    finally:
        connection.close()


def status_url(config: SmsConfig, sms_id: int) -> str:
    if not config.public_base_url:
        return ""
    return config.public_base_url + reverse("activation_public:sms_status", args=[sms_id, dlr_signature(sms_id)])


def send_batch(gateway, config: SmsConfig, size: int) -> int:
    """Claim up to `size` due messages, send them and record each outcome; returns how many were handled.

    If a send raises (or the worker is interrupted), the outcomes before it are still recorded and
    committed; that message and the rest of the batch stay queued as they were, and the error goes on.
    """
    failure: BaseException | None = None
    with transaction.atomic():
        batch = _claim(size)
        attempts: list[SendAttempt] = []
        for sms in batch:
            try:
                attempts.append(_send(gateway, config, sms))
            except BaseException as exc:  # re-raised below, after the sends before it are committed
                failure = exc
                break
        if attempts:
            sms_record_attempts(attempts=attempts)
    for attempt in attempts:
        logger.info("SMS #%s (%s) to account %s: %s", attempt.sms.pk, attempt.sms.purpose, attempt.sms.account_id or "-", attempt.sms.state)
    if failure is not None:
        raise failure
    return len(attempts)


def _claim(size: int) -> list[SmsMessage]:
    """Lock up to `size` due rows no other worker holds, and their accounts, before anything is
    sent. An account another transaction holds (an operator's edit, a deletion that will wait for
    these rows) is skipped with its SMS, which stay queued for the next round: holding SMS rows,
    the worker never waits for an account, so it cannot deadlock with a change of one."""
    batch = list(
        SmsMessage.objects.due(timezone.now()).order_by("next_attempt_at", "id").select_for_update(skip_locked=True)[:size]
    )
    account_ids = {sms.account_id for sms in batch if sms.account_id is not None}
    if not account_ids:
        return batch
    held = set(Account.objects.filter(pk__in=account_ids).order_by("pk").select_for_update(skip_locked=True)
               .values_list("pk", flat=True))
    return [sms for sms in batch if sms.account_id is None or sms.account_id in held]


def _send(gateway, config: SmsConfig, sms: SmsMessage) -> SendAttempt:
    if sms.purpose not in LINK_LIFETIME_SETTINGS:
        result = gateway.send(Outgoing(sms.pk, sms.recipient, sms.text, status_url(config, sms.pk)))
        return SendAttempt(sms, result, timezone.now(), gateway.name)
    if sms.account_id is None:
        refused = SendResult(Outcome.REJECTED, error="The account was deleted before the SMS was sent.")
        return SendAttempt(sms, refused, timezone.now(), gateway.name)
    token = new_token()
    text = sms_text(sms.purpose, config.public_base_url, token, sms.language)
    result = gateway.send(Outgoing(sms.pk, sms.recipient, text, status_url(config, sms.pk)))
    return SendAttempt(sms, result, timezone.now(), gateway.name, token)
