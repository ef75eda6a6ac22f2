"""In a browser, at desktop and phone size: the dashboard's stuck accounts get their activation SMS
again in one bulk action, and the fake SMS centre receives exactly those SMS."""
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account
from activation.models import SmsMessage
from activation.sms.outbox import send_due_sms
from tests.activation.kannel import wait_for
from tests.conftest import DESKTOP, PHONE, log_in, make_account, requires_postgresql, screenshot

# Delivery reports reach the live server while the worker holds its transaction: PostgreSQL.
pytestmark = [pytest.mark.django_db(transaction=True), requires_postgresql]


def waiting_since(account, days: int):
    Account.objects.filter(pk=account.pk).update(status=Account.Status.ACTIVATION_SMS_SENT,
                                                 status_changed_at=timezone.now() - timedelta(days=days))
    return account


@pytest.mark.parametrize("size,name,prefix", [(DESKTOP, "desktop", "+39331"), (PHONE, "phone", "+39332")])
def test_resend_the_activation_sms_to_the_stuck_accounts_from_the_dashboard(size, name, prefix, browser_page, via_kannel, personas):
    stuck = [waiting_since(make_account(personas.group, number=f"{prefix}00000{n}"), 5) for n in range(3)]
    recent = [waiting_since(make_account(personas.group, number=f"{prefix}10000{n}"), 1) for n in range(2)]
    elsewhere = waiting_since(make_account(personas.other_group, number=f"{prefix}200000"), 9)

    page = browser_page(size=size)
    log_in(page, personas.operator.username)
    page.goto("/")
    stuck_row = page.locator("[data-stuck=activation_sms_sent]")
    expect(stuck_row).to_contain_text("3 at Activation SMS sent")
    expect(page.locator("[data-figure=accounts]")).to_have_text("5")
    screenshot(page, f"fleet_dashboard_{name}")
    stuck_row.get_by_role("link", name="Re-send the activation SMS to all 3").click()
    expect(page.locator(".bulk-consequence")).to_contain_text("Send the activation SMS to 3 accounts")
    page.get_by_role("button", name="Send the activation SMS to 3 accounts").click()
    expect(page.locator(".bulk-summary")).to_contain_text("sent the activation SMS to 3 of 3 accounts, 0 skipped")

    while send_due_sms():
        pass
    numbers = sorted(account.virtual_number for account in stuck)
    wait_for(lambda: (got := sorted(r for _, r, _ in via_kannel.received()[via_kannel.seen_before_test:]))
                        and len(got) >= 3 and got, 15, "the SMS at the fake SMS centre")
    time.sleep(0.5)  # nothing more arrives
    assert sorted(r for _, r, _ in via_kannel.received()[via_kannel.seen_before_test:]) == numbers
    assert set(SmsMessage.objects.values_list("account_id", flat=True)) == {account.pk for account in stuck}
    assert all(not SmsMessage.objects.filter(account=account).exists() for account in [*recent, elsewhere])
