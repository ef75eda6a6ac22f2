"""In a browser, at desktop and phone size: an operator searches every group, selects all
matching, disables them, and Kamailio refuses exactly those accounts (sipp), the rest untouched."""
import pytest
from playwright.sync_api import expect

from accounts.models import Account
from tests.conftest import DESKTOP, PHONE, log_in, make_account, screenshot
from tests.fleet.conftest import fingerprints

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "s3cret-pass"


@pytest.mark.parametrize("size,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_select_all_matching_a_search_and_disable_them_and_kamailio_refuses_exactly_those(size, name, browser_page, register, personas):
    matching = [make_account(personas.group, owner=f"Rossi {name} {n}") for n in range(3)]
    others = [make_account(personas.other_group, owner=f"Rossi {name} elsewhere"), make_account(personas.group, owner="Bianchi")]
    everyone = [(account.username, PASSWORD) for account in matching + others]
    assert set(register(everyone).values()) == {"200"}
    untouched = fingerprints(others)

    page = browser_page(size=size)
    log_in(page, personas.operator.username)
    page.goto("/accounts/search/?q=rossi")
    expect(page.locator(".search-count")).to_contain_text("3 accounts match")
    page.get_by_label(f"Select {matching[0].username}").check()
    expect(page.get_by_role("button", name="Apply to 1 ticked")).to_be_enabled()
    page.get_by_label("Select this page").check()
    expect(page.get_by_role("button", name="Apply to 3 ticked")).to_be_enabled()
    screenshot(page, f"fleet_bulk_selection_{name}")
    page.get_by_label("Select this page").uncheck()
    expect(page.get_by_role("button", name="Apply to 0 ticked")).to_be_disabled()
    page.get_by_label("Bulk action", exact=True).select_option("disable")
    page.get_by_role("button", name="Apply to all 3 matching").click()
    expect(page.locator(".bulk-consequence")).to_contain_text("Disable 3 accounts: their registrations are dropped")
    screenshot(page, f"fleet_bulk_disable_confirm_{name}")
    page.get_by_role("button", name="Disable 3 accounts").click()
    expect(page.locator(".bulk-summary")).to_contain_text("disabled 3 of 3 accounts, 0 skipped")
    expect(page.locator("table.bulk-report tbody tr")).to_have_count(3)
    screenshot(page, f"fleet_bulk_disable_report_{name}")

    assert not Account.objects.filter(pk__in=[a.pk for a in matching], enabled=True).exists()
    assert register(everyone) == {**{a.username: "403" for a in matching}, **{a.username: "200" for a in others}}
    assert fingerprints(others) == untouched
