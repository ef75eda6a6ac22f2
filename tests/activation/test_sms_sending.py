"""Queueing the installation and activation SMS (P2, P3, P5) and the console backend's worker round."""
import pytest
from django.db import transaction

from accounts.models import Account
from activation.models import OneTimeLink, SmsMessage
from activation.services import activation_send_sms
from activation.sms.outbox import send_due_sms
from console.audit import Actor
from console.errors import NotAllowedError
from console.models import AuditEntry, ServiceSettings
from tests.conftest import make_account


def test_queueing_an_installation_sms_writes_the_outbox_row_and_a_timeline_entry(wizard_account):
    sms = activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    assert (sms.state, sms.recipient, sms.group_id) == ("queued", "+393331234567", wizard_account.group_id)
    assert sms.text == "Install your secure voice app: https://voice.example.net/i/…"
    assert AuditEntry.objects.filter(account_id=wizard_account.pk, action="sms.queue").count() == 1
    wizard_account.refresh_from_db()
    assert wizard_account.status == Account.Status.CREATED


def test_the_worker_sends_through_the_console_backend_and_the_status_follows(wizard_account):
    activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    assert send_due_sms() == 1
    sms = SmsMessage.objects.get()
    assert (sms.state, sms.attempts, sms.backend, sms.gateway_id) == ("sent", 1, "console", f"console-{sms.pk}")
    wizard_account.refresh_from_db()
    assert wizard_account.status == Account.Status.INSTALLATION_SMS_SENT
    link = OneTimeLink.objects.get(account=wizard_account)
    assert link.purpose == "installation" and link.sms_id == sms.pk and len(link.token_hash) == 64
    assert send_due_sms() == 0


def test_a_rolled_back_action_leaves_no_sms_and_sends_nothing(wizard_account):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
            raise RuntimeError("the operator's action failed after queueing")
    assert SmsMessage.objects.count() == 0
    assert send_due_sms() == 0
    assert not OneTimeLink.objects.exists()


@pytest.mark.parametrize("change, message", [
    ({"public_base_url": ""}, "No public base URL"),
    ({"sms_backend": "kannel", "sms_gateway_url": ""}, "No SMS gateway is configured"),
    ({"sms_backend": "http", "sms_gateway_url": ""}, "No SMS gateway is configured"),
])
def test_sms_are_refused_without_a_gateway_or_a_public_address(wizard_account, services_row, settings, change, message):
    settings.PUBLIC_BASE_URL = ""
    ServiceSettings.objects.filter(pk=services_row.pk).update(**change)
    with pytest.raises(NotAllowedError, match=message):
        activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    assert not SmsMessage.objects.exists()


def test_sms_are_refused_to_snom_accounts_and_to_national_numbers(personas, services_row):
    snom = make_account(personas.group, account_type=Account.AccountType.SNOM, number="+390200000001")
    national = make_account(personas.group, number="0212345678")
    with pytest.raises(NotAllowedError, match="SNOM accounts never receive SMS"):
        activation_send_sms(actor=Actor.system(), account_id=snom.pk, purpose="installation")
    with pytest.raises(NotAllowedError, match="not in international format"):
        activation_send_sms(actor=Actor.system(), account_id=national.pk, purpose="activation")
    assert not SmsMessage.objects.exists()


def test_a_newer_sms_link_replaces_the_older_unused_one(wizard_account):
    from activation.customer import LinkState, link_lookup
    from tests.fixtures.sms import send_and_deliver

    first = send_and_deliver(wizard_account, "activation")
    second = send_and_deliver(wizard_account, "activation")
    assert link_lookup(first, "activation")[0] is LinkState.USED
    assert link_lookup(second, "activation")[0] is LinkState.VALID


def test_a_delivery_report_settles_an_unknown_sms_and_moves_the_status(wizard_account):
    from activation.services import sms_record_delivery

    sms = activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    SmsMessage.objects.filter(pk=sms.pk).update(state="unknown")
    sms_record_delivery(sms_id=sms.pk, delivered=True, detail="Kannel report type 1")
    assert SmsMessage.objects.get(pk=sms.pk).state == "delivered"
    assert Account.objects.get(pk=wizard_account.pk).status == Account.Status.INSTALLATION_SMS_SENT


def test_delivery_reports_never_undo_a_final_state(wizard_account):
    from activation.services import sms_record_delivery

    activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    send_due_sms()
    sms = SmsMessage.objects.get()
    sms_record_delivery(sms_id=sms.pk, delivered=True)
    sms_record_delivery(sms_id=sms.pk, delivered=None)
    sms_record_delivery(sms_id=sms.pk, delivered=False)
    assert SmsMessage.objects.get(pk=sms.pk).state == "delivered"


def test_the_delivery_report_endpoint_needs_the_signature_of_the_sms(wizard_account, client):
    from activation.tokens import dlr_signature

    activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    send_due_sms()
    sms = SmsMessage.objects.get()
    assert client.get(f"/client/v1/sms-status/{sms.pk}/{'0' * 32}?type=1").status_code == 404
    assert SmsMessage.objects.get(pk=sms.pk).state == "sent"
    assert client.get(f"/client/v1/sms-status/{sms.pk}/{dlr_signature(sms.pk)}?type=2").status_code == 200
    assert SmsMessage.objects.get(pk=sms.pk).state == "failed"


def test_a_delivery_report_for_a_still_queued_sms_is_ignored_so_it_is_sent_again(wizard_account):
    from activation.services import sms_record_delivery

    sms = activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    sms_record_delivery(sms_id=sms.pk, delivered=True, detail="report of an attempt whose worker died")
    assert SmsMessage.objects.get(pk=sms.pk).state == "queued"
    assert send_due_sms() == 1


def test_a_sent_sms_records_its_link_status_event_and_audit_entry_as_one_sentence(wizard_account, settings):
    from accounts.models import StatusEvent

    sms = activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    assert send_due_sms() == 1
    sms.refresh_from_db()
    link = OneTimeLink.objects.get(account=wizard_account)
    assert (link.sms_id, link.created_at, link.used_at, link.opened_at) == (sms.pk, sms.sent_at, None, None)
    assert (link.expires_at - link.created_at).total_seconds() == settings.INSTALLATION_LINK_LIFETIME
    event = StatusEvent.objects.get(account=wizard_account, status=Account.Status.INSTALLATION_SMS_SENT)
    entry = AuditEntry.objects.get(account_id=wizard_account.pk, action="account.status")
    assert event.at == sms.sent_at and event.cause == entry.message
    assert event.cause == f"Installation SMS #{sms.pk} to +393331234567 accepted by the gateway"
    assert entry.message_text["msgid"] == "%(purpose)s #%(sms)s to %(recipient)s accepted by the gateway"


def _queue_installation_sms(accounts) -> list[SmsMessage]:
    return [activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose="installation") for account in accounts]


def test_a_batch_costs_the_same_statements_for_two_messages_as_for_eight(personas, services_row):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from activation.sms.config import sms_config
    from activation.sms.gateways import gateway_for
    from activation.sms.outbox import send_batch

    _queue_installation_sms(make_account(personas.group) for _ in range(10))
    config = sms_config()
    with CaptureQueriesContext(connection) as two:
        assert send_batch(gateway_for(config), config, size=2) == 2
    with CaptureQueriesContext(connection) as eight:
        assert send_batch(gateway_for(config), config, size=8) == 8
    assert len(two.captured_queries) == len(eight.captured_queries)
    assert Account.objects.filter(status=Account.Status.INSTALLATION_SMS_SENT).count() == 10
    assert OneTimeLink.objects.filter(used_at__isnull=True).count() == 10


def test_of_two_sms_of_one_batch_to_the_same_account_only_the_later_link_works(wizard_account):
    from accounts.models import StatusEvent
    from activation.customer import LinkState, link_lookup
    from tests.fixtures.sms import run_worker_capturing_tokens

    version = wizard_account.version
    earlier, later = _queue_installation_sms([wizard_account, wizard_account])
    first, second = run_worker_capturing_tokens(batch_size=2)
    assert link_lookup(first, "installation")[0] is LinkState.USED
    assert link_lookup(second, "installation")[0] is LinkState.VALID
    account = Account.objects.get(pk=wizard_account.pk)
    assert (account.status, account.version) == (Account.Status.INSTALLATION_SMS_SENT, version + 2)
    causes = list(StatusEvent.objects.filter(account=account, status=account.status).order_by("id").values_list("cause", flat=True))
    assert len(causes) == 2 and f"#{earlier.pk} " in causes[0] and f"#{later.pk} " in causes[1]
    assert AuditEntry.objects.filter(account_id=account.pk, action="account.status").count() == 2


class BrokenGateway:
    """Accepts the first message, then fails as no real gateway can be made to (a programming
    error inside the gateway object): a fake for that fault only."""

    name = "console"

    def __init__(self):
        self.calls = 0

    def send(self, message):
        from activation.sms.gateways import ConsoleGateway

        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("gateway bug")
        return ConsoleGateway().send(message)


def test_a_send_that_raises_keeps_the_outcomes_before_it_and_leaves_the_rest_of_the_batch_queued(personas, services_row):
    from activation.sms.config import sms_config
    from activation.sms.outbox import send_batch

    accounts = [make_account(personas.group) for _ in range(3)]
    sent, broken, untouched = _queue_installation_sms(accounts)
    with pytest.raises(RuntimeError, match="gateway bug"):
        send_batch(BrokenGateway(), sms_config(), size=3)
    assert SmsMessage.objects.get(pk=sent.pk).state == "sent"
    assert Account.objects.get(pk=accounts[0].pk).status == Account.Status.INSTALLATION_SMS_SENT
    for sms in (broken, untouched):
        row = SmsMessage.objects.get(pk=sms.pk)
        assert (row.state, row.attempts, row.last_error) == ("queued", 0, "")
    assert list(OneTimeLink.objects.values_list("sms_id", flat=True)) == [sent.pk]
    assert send_due_sms() == 2
