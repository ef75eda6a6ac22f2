"""Forms an operator does not trip over, in a real browser: required fields marked, an error
summary at the top linked to the fields, specific messages, copy buttons for passwords shown once
and the public key, consistent labels, and one date format."""
import re
from datetime import UTC, date, datetime

from django.template import Context, Template
from playwright.sync_api import expect

from tests.conftest import DESKTOP, PHONE, log_in, screenshot


def test_a_long_form_summarises_its_errors_at_the_top_with_specific_messages_and_marks_required_fields(
    browser_page, personas,
):
    from accounts.models import Account

    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = browser_page(size)
        log_in(page, "oscar")
        page.goto(f"/accounts/group/{personas.group.pk}/new/")
        expect(page.locator(".required-legend")).to_contain_text("Fields marked * are required.")
        expect(page.locator("label[for=id_virtual_number] .asteriskField")).to_have_text("*")
        expect(page.locator("label[for=id_owner] .asteriskField")).to_have_count(0)
        page.fill("#id_virtual_number", "")
        page.fill("#id_email", "marco-at-example")
        page.fill("#id_password1", "one-password-1")
        page.fill("#id_password2", "another-password-2")
        page.get_by_role("button", name="Create account").click()

        summary = page.locator(".form-error-summary")
        expect(summary).to_be_visible()
        assert summary.bounding_box()["y"] < page.locator("#id_virtual_number").bounding_box()["y"]
        expect(summary).to_contain_text("Nothing was saved")
        expect(summary).to_contain_text("Virtual phone number: Enter the virtual phone number.")
        expect(summary).to_contain_text("E-mail: Enter the e-mail as an address like name@example.com.")
        expect(summary).to_contain_text("The two passwords differ.")
        expect(page.locator("body")).not_to_contain_text("This field is required.")
        expect(page.locator("body")).not_to_contain_text("Enter a valid email address.")
        screenshot(page, f"story-form-errors-{label}")
        summary.get_by_role("link", name="E-mail").click()
        expect(page).to_have_url(re.compile(r"#id_email$"))
        assert not Account.objects.exists()


def test_one_time_and_generated_passwords_and_the_public_key_have_copy_buttons(browser_page, personas):
    page = browser_page(permissions=["clipboard-read", "clipboard-write"])
    log_in(page, "alice")
    page.goto(f"/operators/{personas.operator.pk}/reset-password/")
    page.get_by_role("button", name="Reset password").click()
    shown = page.locator("#shown-secret")
    expect(shown).to_be_visible()
    page.locator(".messages").get_by_role("button", name="Copy").click()
    expect(page.locator(".messages .copy-button")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == shown.inner_text()
    screenshot(page, "story-one-time-password-desktop")

    page.goto(f"/accounts/group/{personas.group.pk}/new/")
    page.get_by_role("button", name="Generate password").click()
    page.locator(".generated-password").get_by_role("button", name="Copy").click()
    generated = page.locator("#generated-password").inner_text()
    assert len(generated) == 16 and page.evaluate("navigator.clipboard.readText()") == generated

    page.goto("/services/")
    key = page.locator("#licence-public-key").input_value()
    page.locator("#licence-public-key + .copy-button").click()
    assert key and page.evaluate("navigator.clipboard.readText()") == key
    expect(page.get_by_label("SMS username")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Sms ")
    screenshot(page, "story-services-desktop")


def test_the_services_audit_names_sms_fields_as_the_form_does(client_for, personas):
    from console.models import ServiceSettings

    row = ServiceSettings.load()
    client = client_for(personas.administrator)
    response = client.post("/services/", {"version": row.version, "sms_username": "gateway-user", "sms_backend": "console"})
    assert response.status_code == 302
    assert ServiceSettings.load().sms_username == "gateway-user"
    audit = client.get("/audit/", {"action": "services.update"}).content.decode()
    assert "SMS username" in audit and "Sms username" not in audit


def test_dates_print_in_one_format_everywhere():
    rendered = Template("{{ day }}|{{ moment }}|{{ day|date }}|{{ moment|date:'SHORT_DATETIME_FORMAT' }}").render(
        Context({"day": date(2026, 12, 6), "moment": datetime(2026, 12, 6, 23, 5, tzinfo=UTC)}))
    assert rendered == "2026-12-06|2026-12-06 23:05|2026-12-06|2026-12-06 23:05"
