"""Review: the lifecycle never goes backwards when the download click and the app's install report
race (PostgreSQL; each in its own thread and connection)."""
import threading

from django.db import connection

from accounts.models import Account
from activation import customer
from activation.models import OneTimeLink
from tests.activation.conftest import send_and_deliver
from tests.conftest import requires_postgresql


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


def test_disabling_an_account_ends_its_unused_links_so_activate_cannot_re_enable_it(plain_account, client):
    # A plain account: enabled from creation (a wizard account awaiting activation cannot be enabled by hand).
    from accounts.services import account_set_enabled
    from console.audit import Actor
    from tests.activation.conftest import send_and_deliver

    token = send_and_deliver(plain_account, "activation")
    account_set_enabled(actor=Actor.system(), account_id=plain_account.pk, enabled=False)
    response = client.post(f"/a/{token}")
    assert response.status_code in (404, 410)
    assert Account.objects.get(pk=plain_account.pk).enabled is False
