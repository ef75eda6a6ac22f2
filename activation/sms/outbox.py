"""The worker's side of the SMS outbox (DESIGN 6).

Each message is sent in its own transaction that holds the row lock from the claim
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL) to the recorded outcome, so many workers can
run at once and a worker that dies at any point releases its claim: the row is still queued and
the next round sends it. The one window in which a message can go out twice is between the
gateway accepting it and this transaction committing (typically milliseconds): a worker killed
exactly then leaves the row queued although the gateway has it. The link that first SMS carries
never becomes valid (the link row is written in the same transaction), so the customer uses the
second one. A gateway that does not answer in time leaves the message `unknown` and it is not
re-sent automatically: the operator sends a new one if the customer did not get it.
"""
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from activation.models import OneTimeLink, SmsMessage
from activation.sms.config import SmsConfig, sms_config
from activation.sms.gateways import Outcome, Outgoing, SendResult, gateway_for
from activation.sms.texts import sms_text
from activation.tokens import dlr_signature, new_token, token_hash

logger = logging.getLogger(__name__)

ROUND_LIMIT = 200
MAX_BACKOFF_SECONDS = 15 * 60
LINK_LIFETIME_SETTINGS = {
    OneTimeLink.Purpose.INSTALLATION: "INSTALLATION_LINK_LIFETIME",
    OneTimeLink.Purpose.ACTIVATION: "ACTIVATION_LINK_LIFETIME",
}


def send_due_sms(limit: int = ROUND_LIMIT) -> int:
    """Send up to `limit` due messages; returns how many were handled (a worker task).

    On PostgreSQL, with several messages due, SMS_SEND_THREADS threads send at once, each with its
    own connection and its own claimed rows, so the gateway's and the database's round trips overlap.
    """
    due = SmsMessage.objects.due(timezone.now()).count()
    if due == 0:
        return 0
    budget = _Budget(limit)
    threads = min(settings.SMS_SEND_THREADS, due)
    if threads <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _drain(budget)
    with ThreadPoolExecutor(threads, thread_name_prefix="sms") as pool:
        shares = [pool.submit(_drain_in_thread, budget) for _ in range(threads)]
    return sum(share.result() for share in shares)


class _Budget:
    """How many more messages this round may send, shared by the sending threads."""

    def __init__(self, limit: int):
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def _drain(budget: _Budget) -> int:
    config = sms_config()
    gateway = gateway_for(config)
    handled = 0
    while budget.take() and _send_next(gateway, config):
        handled += 1
    return handled


def _drain_in_thread(budget: _Budget) -> int:
    try:
        return _drain(budget)
    finally:
        connection.close()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failed try: base, 2 x base, 4 x base ..."""
    seconds = settings.SMS_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def status_url(config: SmsConfig, sms_id: int) -> str:
    if not config.public_base_url:
        return ""
    return config.public_base_url + reverse("activation_public:sms_status", args=[sms_id, dlr_signature(sms_id)])


def _send_next(gateway, config: SmsConfig) -> bool:
    with transaction.atomic():
        sms = (
            SmsMessage.objects.due(timezone.now())
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .first()
        )
        if sms is None:
            return False
        token = None
        text = sms.text
        if sms.purpose in LINK_LIFETIME_SETTINGS:
            if sms.account_id is None:
                _finish(sms, SendResult(Outcome.REJECTED, error="The account was deleted before the SMS was sent."), None)
                return True
            token = new_token()
            text = sms_text(sms.purpose, config.public_base_url, token)
        result = gateway.send(Outgoing(sms.pk, sms.recipient, text, status_url(config, sms.pk)))
        sms.backend = gateway.name
        _finish(sms, result, token)
    logger.info("SMS #%s (%s) to account %s: %s", sms.pk, sms.purpose, sms.account_id or "-", sms.state)
    return True


def _finish(sms: SmsMessage, result: SendResult, token: str | None) -> None:
    from activation.services import sms_record_outcome

    now = timezone.now()
    sms.attempts += 1
    sms.last_error = result.error[:300]
    if result.outcome is Outcome.RETRY and sms.attempts < settings.SMS_MAX_ATTEMPTS:
        sms.next_attempt_at = now + retry_delay(sms.attempts)
        sms.save(update_fields=["attempts", "last_error", "next_attempt_at", "backend"])
        return
    if result.outcome in (Outcome.ACCEPTED, Outcome.UNKNOWN) and token is not None:
        _create_link(sms, token, now)
    sms_record_outcome(sms=sms, result=result, at=now)


def _create_link(sms: SmsMessage, token: str, now) -> None:
    """The link this SMS carries; older unused links of the same kind stop working."""
    lifetime = getattr(settings, LINK_LIFETIME_SETTINGS[sms.purpose])
    OneTimeLink.objects.filter(account_id=sms.account_id, purpose=sms.purpose, used_at__isnull=True).update(used_at=now)
    OneTimeLink.objects.create(
        account_id=sms.account_id, purpose=sms.purpose, token_hash=token_hash(token), sms=sms,
        created_at=now, expires_at=now + timedelta(seconds=lifetime),
    )
