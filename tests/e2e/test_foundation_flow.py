"""The foundation's operator flow in a real browser, at desktop and phone sizes: first run with the
forced password change, a group, a plain-way account from creation to deletion.

The browser_page fixture fails the test on any JavaScript error and on any request that leaves
127.0.0.1; each step saves a screenshot under tests/screenshots/ (foundation-<size>-<step>.png).
"""
import re

import pytest

from accounts.models import Account
from console.services import first_administrator_create
from groups.models import Group
from tests.conftest import DASHBOARD_URL, DESKTOP, PHONE, log_in, screenshot

# Bootstrap icons are glyphs in the accessible name, hence names matched as "...label$".
NEW_PASSWORD = "my-own-long-passphrase-7"
SIP_PASSWORD = "Sup3r-secret-sip"


def open_menu_on_a_phone(page, size_name: str) -> None:
    """On a phone the left menu lives in an off-canvas panel behind the menu button."""
    if size_name == "phone":
        page.get_by_role("button", name="Menu").click()
        page.locator("#sidebar.show").wait_for()


def _shot(page, size_name: str, step: str) -> None:
    screenshot(page, f"foundation-{size_name}-{step}")


@pytest.mark.parametrize(("size_name", "size"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_an_administrator_runs_the_console_from_first_login_to_deleting_an_account(browser_page, size_name, size):
    _, one_time_password = first_administrator_create()
    page = browser_page(size=size)

    log_in(page, "admin", one_time_password)
    page.wait_for_url("**/password/")
    assert "Choose your own password" in page.inner_text("main")
    _shot(page, size_name, "01-forced-password-change")
    page.fill("input[name=old_password]", one_time_password)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(DASHBOARD_URL)
    assert "Your password was changed." in page.inner_text(".messages")

    open_menu_on_a_phone(page, size_name)
    menu = page.get_by_role("navigation", name="Main menu")
    assert menu.get_by_role("link").first.inner_text().strip() == "Groups & Accounts"
    _shot(page, size_name, "02-menu")
    menu.get_by_role("link", name="Groups & Accounts").click()

    page.get_by_role("link", name="New group").click()
    page.fill("input[name=name]", "Acme Telecom")
    page.fill("input[name=admin_email]", "it@acme.example")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/groups/")
    group = Group.objects.get(name="Acme Telecom")
    assert f"Group “Acme Telecom” created with id {group.pk}." in page.inner_text(".messages")
    _shot(page, size_name, "03-group-created")

    row = page.get_by_role("row", name=re.compile("Acme Telecom"))
    if size_name == "phone":
        # The row's buttons sit at the end of a table that scrolls sideways; the name opens it too.
        name_link = row.get_by_role("link", name="Acme Telecom", exact=True)
        assert name_link.bounding_box()["x"] + name_link.bounding_box()["width"] <= size["width"]
        name_link.click()
    else:
        row.get_by_role("link", name=re.compile(r"Accounts$")).click()
    page.wait_for_url(f"**/accounts/group/{group.pk}/")
    _shot(page, size_name, "04-empty-account-list")

    page.get_by_role("link", name=re.compile(r"New account$")).click()
    username = page.input_value("input[name=username]")
    assert re.fullmatch(r"[0-9]{6,16}", username)
    page.get_by_role("button", name="Generate password").click()
    generated = page.inner_text("#generated-password")
    assert len(generated) == 16 and page.input_value("input[name=password2]") == generated
    page.fill("input[name=virtual_number]", "+390612345678")
    page.fill("input[name=owner]", "Marco Rossi")
    page.fill("textarea[name=deny]", "192.168.0.38/255.255.255.255")
    _shot(page, size_name, "05-account-form")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/*/")
    assert f"Account {username} created and enabled." in page.inner_text(".messages")
    account = Account.objects.get(username=username)
    assert account.enabled and account.virtual_number == "+390612345678"

    page.get_by_role("link", name="Acme Telecom").first.click()
    row = page.get_by_role("row", name=re.compile(username))
    assert "Created" in row.inner_text()
    _shot(page, size_name, "06-account-list")
    row.get_by_role("link", name=username).click()
    page.wait_for_url(f"**/accounts/{account.pk}/")
    page.get_by_role("tab", name="Configuration").click()
    assert "+390612345678" in page.inner_text("#tab-configuration")
    page.fill("#test-address", "192.168.0.38")
    page.get_by_role("button", name="Test", exact=True).click()
    assert "192.168.0.38 is refused" in page.inner_text(".address-result")
    _shot(page, size_name, "07-account-detail")

    page.get_by_role("link", name="Edit").click()
    number = page.locator("#ro-number")
    assert number.input_value() == "+390612345678"
    assert number.get_attribute("readonly") is not None
    assert page.locator("input[name=virtual_number]").count() == 0
    background = "element => getComputedStyle(element).backgroundColor"
    assert number.evaluate(background) != page.locator("input[name=owner]").evaluate(background)
    _shot(page, size_name, "08-account-edit")
    page.fill("input[name=owner]", "Marco Bianchi")
    page.get_by_role("button", name="Update").click()
    page.wait_for_url(f"**/accounts/{account.pk}/")
    assert f"Account {username} updated." in page.inner_text(".messages")

    page.get_by_role("link", name="Disable account").click()
    dialog = page.locator(".modal.show")
    dialog.wait_for()
    assert "calls in progress are cut" in dialog.inner_text()
    dialog.get_by_role("button", name="Disable account").click()
    page.get_by_role("button", name="Enable account").wait_for()
    assert "disabled" in page.inner_text(".messages")
    account.refresh_from_db()
    assert not account.enabled
    _shot(page, size_name, "09-account-disabled")
    page.get_by_role("button", name="Enable account").click()
    page.get_by_role("link", name="Disable account").wait_for()
    account.refresh_from_db()
    assert account.enabled

    page.get_by_role("link", name=re.compile(r"Delete$")).click()
    dialog = page.locator(".modal.show")
    dialog.wait_for()
    assert username in dialog.inner_text()
    _shot(page, size_name, "10-delete-pop-up")
    dialog.get_by_role("button", name="Delete account").click()
    page.wait_for_url(f"**/accounts/group/{group.pk}/")
    warning = page.locator(".alert-warning")
    assert f"Account {username} was deleted." in warning.inner_text()
    assert not Account.objects.filter(pk=account.pk).exists()
    _shot(page, size_name, "11-deleted-warning")


def test_without_javascript_delete_leads_to_a_confirmation_page_that_deletes(browser_page, personas):
    from tests.conftest import make_account

    account = make_account(personas.group, owner="Dora Spenta")
    page = browser_page(size=DESKTOP, java_script_enabled=False)
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("link", name=re.compile(r"Delete$")).click()
    page.wait_for_url(f"**/accounts/{account.pk}/delete/")
    assert f"Delete account {account.username}" in page.inner_text("main")
    assert Account.objects.filter(pk=account.pk).exists()
    _shot(page, "desktop", "12-delete-without-javascript")
    page.get_by_role("button", name="Delete account").click()
    page.wait_for_url(f"**/accounts/group/{personas.group.pk}/")
    assert f"Account {account.username} was deleted." in page.inner_text(".alert-warning")
    assert not Account.objects.filter(pk=account.pk).exists()
