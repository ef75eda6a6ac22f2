"""The whole automatic activation in real browsers: the operator's console on a desktop, the
customer's pages on phone-sized screens, SMS through a real Kannel."""
import re
from urllib.parse import urlsplit

import requests

from accounts.models import Account
from activation.sms.outbox import send_due_sms
from tests.activation.kannel import wait_for
from tests.conftest import describe_response, log_in, requires_postgresql, screenshot

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"
IPHONE_SIZE = {"width": 390, "height": 844}
ANDROID_SIZE = {"width": 412, "height": 915}
NUMBER = "+393471234567"


def link_in_sms(kannel, path: str) -> str:
    """The link of the last SMS the fake SMSC received for NUMBER whose link has `path` (/i/ or /a/)."""
    def find():
        texts = [text for _, to, text in kannel.received()[kannel.seen_before_test:] if to == NUMBER and path in text]
        return texts[-1] if texts else None

    return re.search(r"https?://\S+", wait_for(find, 15, f"an SMS with {path}")).group(0)


def hold_requests(page, url_pattern: str) -> list:
    """Requests of `page` to `url_pattern` wait, as Playwright routes, until the test continues them."""
    held = []
    page.route(url_pattern, lambda route: held.append(route))
    return held


def wait_until_held(page, held: list, seconds: float = 10) -> None:
    for _ in range(int(seconds * 10)):
        if held:
            return
        page.wait_for_timeout(100)  # lets Playwright hand over the route
    raise AssertionError(f"no request held within {seconds} s")


def send_sms_from_detail_page(page, button: str) -> None:
    page.get_by_role("link", name=button).click()
    dialog = page.locator(".modal.show")
    dialog.wait_for()
    assert NUMBER in dialog.inner_text() and "real mobile number" in dialog.inner_text()
    dialog.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    assert "queued to " + NUMBER in page.inner_text(".messages")
    assert send_due_sms() == 1


@requires_postgresql  # delivery reports and the worker write at once (see test_kannel.py)
def test_the_operator_and_the_customer_activate_a_wizard_account(
    browser_page, live_server, personas, via_kannel, profile,
):
    console = browser_page()
    log_in(console, personas.operator.username)
    console.goto(f"/accounts/group/{personas.group.pk}/")
    console.get_by_role("link", name="New account (wizard)").click()
    console.fill("input[name=owner]", "Giulia Verdi")
    console.fill("input[name=email]", "giulia@example.com")
    console.fill("input[name=virtual_number]", NUMBER)
    console.get_by_role("button", name="Create account").click()
    assert "created the wizard way" in console.inner_text(".messages")
    account = Account.objects.get(virtual_number=NUMBER)
    assert not account.enabled

    send_sms_from_detail_page(console, "Send installation SMS")
    install_link = link_in_sms(via_kannel, "/i/")

    iphone = browser_page(size=IPHONE_SIZE, user_agent=IPHONE, is_mobile=True, has_touch=True)
    iphone.goto(install_link)
    assert iphone.get_by_role("link", name="Download for iPhone").is_visible()
    assert iphone.locator(".download-android.btn").count() == 0
    screenshot(iphone, "activation-installation-390x844")
    android_view = browser_page(size=ANDROID_SIZE, user_agent=ANDROID, is_mobile=True, has_touch=True)
    android_view.goto(install_link)
    screenshot(android_view, "activation-installation-412x915")
    # The browser must stay on 127.0.0.1, so the "store" is a page of the live server itself.
    profile.ios_download_url = f"{install_link}?store=ios"
    profile.save()
    iphone.get_by_role("link", name="Download for iPhone").click()
    iphone.wait_for_url("**store=ios")

    console.get_by_role("link", name="Refresh").click()
    assert "Installation clicked" in console.inner_text("h1")

    token = install_link.rsplit("/", 1)[1]
    assert requests.post(f"{live_server.url}/client/v1/installed", json={"token": token}, timeout=10).status_code == 204
    console.get_by_role("link", name="Refresh").click()
    assert "Installed" in console.inner_text("h1")

    send_sms_from_detail_page(console, "Send activation SMS")
    activation_link = link_in_sms(via_kannel, "/a/")
    iphone_view = browser_page(size=IPHONE_SIZE, user_agent=IPHONE, is_mobile=True, has_touch=True)
    iphone_view.goto(activation_link)
    screenshot(iphone_view, "activation-activate-390x844")
    android = browser_page(size=ANDROID_SIZE, user_agent=ANDROID, is_mobile=True, has_touch=True, accept_downloads=True)
    beacons = hold_requests(android, "**/opened")
    android.goto(activation_link)
    screenshot(android, "activation-activate-412x915")
    wait_until_held(android, beacons)
    # The page's "opened" beacon is a POST too (a 204, typed text/html): it is answered while the test
    # waits for the Activate form's answer, as it may be on a slow machine, and must not be taken for it.
    activate_form = urlsplit(activation_link).path
    with android.expect_response(lambda response: response.request.method == "POST" and urlsplit(response.url).path == activate_form) as answer, \
            android.expect_download() as download:
        beacons[0].continue_()
        android.get_by_role("button", name="Activate").click()
    assert answer.value.headers["content-type"] == "application/vnd.sipconsole.provisioning+xml", describe_response(answer.value)
    assert download.value.suggested_filename == f"sipconsole-{account.username}.scprov"
    assert "<password>" in open(download.value.path()).read()

    console.get_by_role("link", name="Refresh").click()
    heading = console.inner_text("h1")
    assert "Activated" in heading and "Enabled" in heading
    console.get_by_role("tab", name="Activity").click()
    timeline = console.inner_text("#tab-activity")
    for event in ("Installation SMS #", "Installation page opened on the phone", "download for ios followed",
                  "the client app reported itself installed", "Activation SMS #", "activated from the activation link"):
        assert event in timeline
    wait_for(lambda: Account.objects.get(pk=account.pk).sms_messages.filter(state="delivered").count() == 2, 10, "both delivery reports")
