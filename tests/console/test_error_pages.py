"""403, 404 and 500 answers are the console's own pages, inside its layout, with a way back."""
import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import DESKTOP, PHONE, log_in, screenshot


@pytest.mark.parametrize(("size", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_an_auditor_opening_the_audit_log_or_a_missing_account_gets_a_page_with_a_way_back(
    browser, live_server, personas, size, label,
):
    # A context of its own: the browser reports a 403 or 404 answer as a console error.
    context = browser.new_context(viewport=size, base_url=live_server.url)
    page = context.new_page()
    log_in(page, personas.auditor.username)
    page.goto("/groups/")
    answer = page.goto(reverse("audit_list"))
    assert answer.status == 403
    assert page.locator("h1").inner_text() == "Not allowed"
    assert "Only Administrators may do this." in page.locator(".error-page").inner_text()
    assert page.locator("#sidebar").count() == 1  # the console's layout, menu included
    screenshot(page, f"error-403-{label}")
    page.get_by_role("button", name="Previous page").click()
    page.wait_for_url("**/groups/")

    answer = page.goto("/accounts/999999/")
    assert answer.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    screenshot(page, f"error-404-{label}")
    page.get_by_role("link", name="Back to the console's home").click()
    page.wait_for_url(f"{live_server.url}/**")
    assert page.locator("h1").inner_text() != "Not found"
    context.close()


def test_a_server_error_shows_the_consoles_page_not_djangos(personas, monkeypatch):
    # A fault that cannot be caused from outside: the account timeline breaks.
    def broken(account):
        raise RuntimeError("the timeline broke")

    monkeypatch.setattr("accounts.views.account_timeline", broken)
    from tests.conftest import make_account

    account = make_account(personas.group)
    client = Client(raise_request_exception=False)
    client.force_login(personas.operator)
    response = client.get(reverse("accounts:account_detail", args=[account.pk]))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "Back to the console's home" in page
    assert "SIP Console" in page and "the timeline broke" not in page
