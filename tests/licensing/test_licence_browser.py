"""In the browser: a second device causes a conflict, the licences view lists it, the operator
clears it from the account page, and the next validation binds the new device."""
import base64

import pytest
import requests
from playwright.sync_api import expect

from licensing.models import Licence
from tests.conftest import DESKTOP, PHONE, log_in, make_account, screenshot
from tests.licensing.helpers import SIP_PASSWORD, verify_answer

pytestmark = pytest.mark.django_db(transaction=True)


def validate_over_http(base_url: str, username: str, device_id: str) -> dict:
    """What the client app does: POST its SIP credentials and device id to the live service."""
    credentials = base64.b64encode(f"{username}:{SIP_PASSWORD}".encode()).decode()
    response = requests.post(
        f"{base_url}/client/v1/licence", json={"device_id": device_id},
        headers={"Authorization": f"Basic {credentials}"}, timeout=10,
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert verify_answer(answer)
    return answer


def test_an_operator_clears_a_conflict_and_the_new_device_binds(browser_page, live_server, personas):
    account = make_account(personas.group, owner="Lucia Neri")
    assert validate_over_http(live_server.url, account.username, "old-phone")["status"] == "valid"
    assert validate_over_http(live_server.url, account.username, "new-phone")["status"] == "conflict"

    page = browser_page(size=DESKTOP)
    log_in(page, personas.operator.username)
    page.get_by_role("link", name="Licences", exact=True).click()
    row = page.locator("table.table-licences tbody tr", has_text=account.username)
    expect(row).to_contain_text("Conflict")
    expect(row).to_contain_text("also tried: new-phone")
    screenshot(page, "licences_conflict_desktop")

    row.get_by_role("link", name=account.username).click()
    page.wait_for_url(f"**/accounts/{account.pk}/")
    page.get_by_role("link", name="Clear licence status").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    screenshot(page, "licence_clear_confirm_desktop")
    dialog.get_by_role("button", name="Clear licence status").click()
    expect(page.locator(".alert", has_text="Licence status of account")).to_contain_text("cleared")
    expect(page.locator("#tab-activity")).to_contain_text("Licence status cleared")
    screenshot(page, "licence_cleared_desktop")

    assert validate_over_http(live_server.url, account.username, "new-phone")["status"] == "valid"
    licence = Licence.objects.get(account=account)
    assert (licence.state, licence.device_id) == (Licence.State.VALID, "new-phone")

    phone = browser_page(size=PHONE)
    log_in(phone, personas.operator.username)
    phone.goto("/licensing/")
    expect(phone.locator("table.table-licences")).to_contain_text("No licence needs attention.")
    screenshot(phone, "licences_after_clear_phone")
