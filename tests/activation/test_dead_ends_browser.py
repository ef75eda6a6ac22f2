"""No silent dead ends on the SMS and activation paths, in a real browser: an SMS that cannot go
says why before anything is asked, profiles that would leave the customer without a download or
a contact are flagged, the installation page offers only downloads that exist, Activate says what
happened, a wizard account awaiting activation offers no Enable, and Disable asks first."""
import re

from playwright.sync_api import expect

from accounts.models import Account
from activation.models import SmsMessage
from tests.conftest import DESKTOP, PHONE, log_in, screenshot
from tests.fixtures.sms import send_and_deliver

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"


def open_sms_dialog(page, account, button: str):
    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("link", name=button).click()
    dialog = page.locator(".modal.show")
    dialog.wait_for()
    return dialog


def test_an_sms_without_a_public_base_url_says_why_before_asking_and_links_to_the_services_page(
    browser_page, personas, services_row, wizard_account,
):
    services_row.public_base_url = ""
    services_row.save()
    page = browser_page(DESKTOP)
    log_in(page, personas.administrator.username)
    dialog = open_sms_dialog(page, wizard_account, "Send installation SMS")
    expect(dialog).to_contain_text("No public base URL")
    expect(dialog.get_by_role("button", name="Send installation SMS")).to_be_hidden()
    screenshot(page, "dead-end-sms-no-public-url-desktop")
    dialog.get_by_role("link", name="Open the Services page").click()
    page.wait_for_url("**/services/")
    assert SmsMessage.objects.count() == 0

    operator = browser_page(PHONE)
    log_in(operator, personas.operator.username)
    dialog = open_sms_dialog(operator, wizard_account, "Send activation SMS")
    expect(dialog).to_contain_text("Only an Administrator can do that")
    expect(dialog.get_by_role("link", name="Open the Services page")).to_be_hidden()
    screenshot(operator, "dead-end-sms-no-public-url-phone")
    operator.goto(f"/activation/accounts/{wizard_account.pk}/sms/installation/")
    expect(operator.locator(".sms-refusal")).to_contain_text("No public base URL")
    expect(operator.get_by_role("button", name=re.compile("Send"))).to_have_count(0)
    assert SmsMessage.objects.count() == 0


def test_an_sms_through_a_gateway_without_an_address_says_so_and_a_working_one_still_asks(
    browser_page, personas, services_row, wizard_account,
):
    services_row.sms_backend = "kannel"
    services_row.sms_gateway_url = ""
    services_row.save()
    page = browser_page(DESKTOP)
    log_in(page, personas.administrator.username)
    expect(open_sms_dialog(page, wizard_account, "Send installation SMS")).to_contain_text("No SMS gateway is configured")
    services_row.sms_backend = "console"
    services_row.save()
    dialog = open_sms_dialog(page, wizard_account, "Send installation SMS")
    expect(dialog).to_contain_text("real mobile number")
    dialog.get_by_role("button", name="Send installation SMS").click()
    expect(page.locator(".messages")).to_contain_text("queued to +393331234567")
    assert SmsMessage.objects.count() == 1


def test_profiles_without_downloads_or_contact_are_flagged_and_the_customer_gets_only_real_downloads(
    browser_page, personas, services_row, profile, wizard_account,
):
    profile.ios_download_url = ""
    profile.support_phone, profile.support_email = "", ""
    profile.save()
    console = browser_page(DESKTOP)
    log_in(console, personas.administrator.username)
    console.goto("/activation/profiles/")
    expect(console.locator(".profile-gap")).to_have_text(["No iOS download address", "No customer-service phone or e-mail"])
    console.goto("/services/")
    expect(console.locator("li", has_text="Provisioning profiles")).to_contain_text("no iOS download address")
    screenshot(console, "dead-end-profile-gaps-services")

    token = send_and_deliver(wizard_account, "installation")
    iphone = browser_page(PHONE, user_agent=IPHONE, is_mobile=True)
    iphone.goto(f"/i/{token}")
    expect(iphone.locator(".no-download")).to_contain_text("No download of the app is available for this phone")
    expect(iphone.locator(".download-ios")).to_have_count(0)
    expect(iphone.get_by_role("link", name="Download for Android")).to_be_visible()  # "Not an iPhone?"
    expect(iphone.locator(".support-contact")).to_have_count(0)
    screenshot(iphone, "dead-end-installation-no-ios-download")

    profile.support_phone, profile.support_email = "+390212345678", "help@example.net"
    profile.save()
    iphone.reload()
    expect(iphone.locator(".support-contact")).to_contain_text("+390212345678")
    expect(iphone.locator(".support-contact")).to_contain_text("help@example.net")
    android = browser_page(PHONE, user_agent=ANDROID, is_mobile=True)
    android.goto(f"/i/{token}")
    expect(android.locator(".download-android.btn")).to_be_visible()
    expect(android.locator(".download-ios")).to_have_count(0)
    expect(android.get_by_text("Not an Android phone?")).to_have_count(0)


def test_after_activate_the_phone_says_the_settings_were_sent_and_what_comes_next(
    browser_page, personas, services_row, wizard_account,
):
    token = send_and_deliver(wizard_account, "activation")
    phone = browser_page(PHONE, user_agent=ANDROID, is_mobile=True, accept_downloads=True)
    phone.goto(f"/a/{token}")
    with phone.expect_download() as download:
        phone.get_by_role("button", name="Activate").click()
    assert download.value.suggested_filename.endswith(".scprov")
    sent = phone.locator(".activation-sent")
    expect(sent).to_be_visible()
    expect(sent).to_contain_text("Settings sent")
    expect(sent).to_contain_text("open the downloaded file")
    expect(phone.get_by_role("button", name="Activate")).to_be_hidden()
    screenshot(phone, "dead-end-activation-sent-phone")
    assert Account.objects.get(pk=wizard_account.pk).status == Account.Status.ACTIVATED


def test_a_wizard_account_awaiting_activation_offers_no_enable_and_disable_asks_first(
    browser_page, personas, services_row, wizard_account, plain_account,
):
    page = browser_page(DESKTOP)
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/{wizard_account.pk}/")
    expect(page.locator(".awaits-activation")).to_contain_text("Enabled when the customer activates")
    expect(page.get_by_role("button", name="Enable account")).to_have_count(0)
    screenshot(page, "dead-end-wizard-awaiting-activation")

    page.goto(f"/accounts/{plain_account.pk}/")
    page.get_by_role("link", name="Disable account").click()
    dialog = page.locator(".modal.show")
    dialog.wait_for()
    expect(dialog).to_contain_text("calls in progress are cut")
    dialog.get_by_role("button", name="Cancel", exact=True).last.click()
    expect(dialog).to_be_hidden()
    assert Account.objects.get(pk=plain_account.pk).enabled
    page.get_by_role("link", name="Disable account").click()
    page.locator(".modal.show").get_by_role("button", name="Disable account").click()
    expect(page.locator(".messages")).to_contain_text("disabled")
    assert not Account.objects.get(pk=plain_account.pk).enabled
