"""In the browser: the Registered clients page and the account's indicator after a sipp registration."""
import pytest
from playwright.sync_api import expect

from tests.conftest import DESKTOP, PHONE, log_in, make_account, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_sees_a_sipp_registration_on_the_page_and_on_the_account(browser_page, register, personas):
    account = make_account(personas.group, owner="Giulia Verdi", caller_id='"Giulia" <+39025550001>')
    assert register([(account.username, "s3cret-pass")]) == {account.username: "200"}

    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = browser_page(size=size)
        log_in(page, personas.operator.username)
        page.goto("/accounts/registered/")
        row = page.locator("table.table-registrations tbody tr", has_text=account.username)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Giulia Verdi")
        expect(row).to_contain_text("127.0.0.1")
        if size is DESKTOP:
            expect(row).to_contain_text("sipp console-test")
        screenshot(page, f"registered_clients_{name}")

        row.get_by_role("link", name=account.username).click()
        page.wait_for_url(f"**/accounts/{account.pk}/")
        expect(page.locator("h1 .registration-indicator")).to_have_text("Registered")
        page.get_by_role("tab", name="Configuration").click()
        expect(page.locator("#tab-configuration")).to_have_class("tab-pane fade active show")
        expect(page.locator("#tab-configuration")).to_have_css("opacity", "1")
        expect(page.locator("#tab-configuration .registration-indicator")).to_have_text("Registered")
        screenshot(page, f"account_registered_indicator_{name}")

    page.goto(f"/accounts/group/{personas.group.pk}/")
    expect(page.locator("tr", has_text=account.username).locator(".registration-indicator")).to_have_text("Registered")
