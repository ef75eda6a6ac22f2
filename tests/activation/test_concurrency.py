"""Fifty phones pressing Activate on the same link at once (PostgreSQL): each POST runs through the
whole Django stack in its own thread with its own database connection."""
import threading

from django.db import connection
from django.test import Client

from accounts.models import Account
from activation import customer
from activation.models import OneTimeLink
from tests.conftest import requires_postgresql
from tests.fixtures.sms import send_and_deliver

CONCURRENT = 50
MEDIA_TYPE = "application/vnd.sipconsole.provisioning+xml"


@requires_postgresql
def test_fifty_concurrent_activate_posts_hand_out_exactly_one_configuration_file(wizard_account, transactional_db):
    token = send_and_deliver(wizard_account, "activation")
    start = threading.Barrier(CONCURRENT)
    answers: list[tuple[int, str]] = []

    def press_activate():
        try:
            phone = Client()
            start.wait()
            response = phone.post(f"/a/{token}")
            answers.append((response.status_code, response.headers.get("Content-Type", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=press_activate) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == CONCURRENT
    assert [answer for answer in answers if answer[1] == MEDIA_TYPE] == [(200, MEDIA_TYPE)]
    assert sorted(status for status, _ in answers) == [200] + [410] * (CONCURRENT - 1)
    assert OneTimeLink.objects.get(purpose="activation").used_at is not None


@requires_postgresql
def test_an_install_report_during_a_send_for_the_same_account_neither_deadlocks_nor_fails(wizard_account, transactional_db):
    """The worker holds the account of a batch while it sends (and then retires the older link);
    the app's install report with that older link arrives meanwhile. Both must complete: the
    report waits for the batch, then finds its link retired (410), and nothing fails.
    The gateway is the console backend made slow, to hold the send open (a fake for timing only)."""
    import time

    from activation.customer import LinkState, installation_report
    from activation.models import SmsMessage
    from activation.services import activation_send_sms
    from activation.sms import outbox
    from activation.sms.config import sms_config
    from activation.sms.gateways import ConsoleGateway
    from console.audit import Actor

    first_token = send_and_deliver(wizard_account, "installation")
    activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    sending, reported = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    class SlowGateway(ConsoleGateway):
        def send(self, message):
            sending.set()
            reported.wait(5)
            time.sleep(0.5)  # the report is now waiting on its locks
            return super().send(message)

    def worker():
        try:
            outcomes["worker"] = outbox.send_batch(SlowGateway(), sms_config(), size=20)
        except Exception as error:  # the assertion below shows it
            outcomes["worker"] = error
        finally:
            connection.close()

    def app():
        try:
            assert sending.wait(5)
            reported.set()
            outcomes["report"] = installation_report(token=first_token)
        except Exception as error:  # the assertion below shows it
            outcomes["report"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker), threading.Thread(target=app)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes == {"worker": 1, "report": LinkState.USED}
    assert SmsMessage.objects.filter(account=wizard_account, state=SmsMessage.State.SENT).count() == 2


@requires_postgresql
def test_the_worker_skips_an_sms_whose_account_another_transaction_holds(wizard_account, transactional_db):
    """Holding SMS rows, the worker must never wait for an account (an account deletion waits for
    the SMS rows: each would wait for the other). The SMS stays queued and goes out next round."""
    from django.db import transaction

    from accounts.models import Account
    from activation.models import SmsMessage
    from activation.services import activation_send_sms
    from activation.sms import outbox
    from activation.sms.config import sms_config
    from activation.sms.gateways import ConsoleGateway
    from console.audit import Actor

    activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    holding, release = threading.Event(), threading.Event()

    def operator_editing():
        try:
            with transaction.atomic():
                Account.objects.select_for_update().get(pk=wizard_account.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    editor = threading.Thread(target=operator_editing)
    editor.start()
    assert holding.wait(10)
    try:
        assert outbox.send_batch(ConsoleGateway(), sms_config(), size=20) == 0
        assert SmsMessage.objects.get(account=wizard_account).state == SmsMessage.State.QUEUED
    finally:
        release.set()
        editor.join(10)
    assert outbox.send_batch(ConsoleGateway(), sms_config(), size=20) == 1
    assert SmsMessage.objects.get(account=wizard_account).state == SmsMessage.State.SENT


@requires_postgresql
def test_a_download_click_racing_the_install_report_leaves_the_account_installed(
    wizard_account, transactional_db, monkeypatch
):
    token = send_and_deliver(wizard_account, "installation")
    link = OneTimeLink.objects.get(purpose="installation")
    report_done = threading.Event()
    real_set_status = customer.account_set_status

    def set_status_after_the_report(**kwargs):
        # The click decided to advance; let the install report run before it writes.
        if kwargs["status"] == Account.Status.INSTALLATION_CLICKED:
            report_done.wait(timeout=1.5)
        return real_set_status(**kwargs)

    monkeypatch.setattr(customer, "account_set_status", set_status_after_the_report)

    def click():
        try:
            customer.installation_record_click(link=link, platform="ios")
        finally:
            connection.close()

    def report():
        try:
            customer.installation_report(token=token)
        finally:
            report_done.set()
            connection.close()

    clicking = threading.Thread(target=click)
    clicking.start()
    threading.Event().wait(0.3)  # the click has read the status and waits
    reporting = threading.Thread(target=report)
    reporting.start()
    clicking.join()
    reporting.join()
    assert Account.objects.get(pk=wizard_account.pk).status == Account.Status.INSTALLED
