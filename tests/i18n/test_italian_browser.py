"""In Italian, in real browsers: an operator whose language is Italian creates an account and
sends its activation SMS; the SMS reaches Kannel's fake SMS centre in Italian (the profile's
language); a phone set to it-IT opens the link and gets the Italian customer page. Screenshots at
desktop and phone size; no label is cut off or overflows."""
import re

from django.urls import reverse

from accounts.models import Account
from activation.models import SmsMessage
from activation.sms.outbox import send_due_sms
from console.models import Operator
from tests.activation.kannel import wait_for
from tests.conftest import DESKTOP, PHONE, log_in, requires_postgresql, screenshot

NUMBER = "+393471112233"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
# Elements whose text must fit: a translation longer than the English must wrap, not overflow.
OVERFLOWING = """() => {
  const cut = [];
  for (const element of document.querySelectorAll("h1, h2, label, th, .btn, .badge, .nav-link, .dropdown-item, .form-text")) {
    if (element.offsetParent === null) continue;
    if (element.scrollWidth > element.clientWidth + 1) cut.push(element.textContent.trim());
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) cut.push("the page is wider than the screen");
  return cut;
}"""


def _sms_to(kannel, number: str) -> str:
    def find():
        texts = [text for _, to, text in kannel.received()[kannel.seen_before_test:] if to == number]
        return texts[-1] if texts else None

    return wait_for(find, 15, f"an SMS to {number}")


def _assert_nothing_overflows(page) -> None:
    assert page.evaluate(OVERFLOWING) == []


@requires_postgresql  # the worker and Kannel's delivery reports write at once (see tests/activation/test_kannel.py)
def test_an_italian_operator_s_activation_sms_and_customer_page_are_in_italian(
    browser_page, live_server, personas, via_kannel, profile,
):
    profile.sms_language = "it"
    profile.save()
    Operator.objects.filter(pk=personas.operator.pk).update(language="it")
    console = browser_page(size=DESKTOP)
    log_in(console, personas.operator.username)
    console.goto(reverse("activation:account_wizard", args=[personas.group.pk]))
    assert console.locator("h1").inner_text().endswith("Nuovo account (procedura guidata)")
    console.fill("input[name=owner]", "Giulia Verdi")
    console.fill("input[name=virtual_number]", NUMBER)
    console.get_by_role("button", name="Crea account").click()
    console.wait_for_url(re.compile(r"/accounts/\d+/"))
    account = Account.objects.get(virtual_number=NUMBER)

    console.get_by_role("link", name="Invia SMS di attivazione").click()
    dialog = console.locator(".modal.show")
    dialog.wait_for()
    console.wait_for_function("() => getComputedStyle(document.querySelector('.modal.show')).opacity === '1'")
    assert "Deve essere un vero numero di cellulare" in dialog.inner_text()
    screenshot(console, "i18n-it-send-activation-sms-1366x900")
    dialog.get_by_role("button", name="Invia SMS di attivazione").click()
    console.wait_for_load_state()
    assert send_due_sms() == 1
    text = _sms_to(via_kannel, NUMBER)
    assert text.startswith("Attiva l'app di voce sicura: ") and "(aprilo su questo telefono" in text
    console.get_by_role("tab", name="Attività").click()
    assert f"SMS di attivazione n. {SmsMessage.objects.get(account=account).pk} in coda per {NUMBER}" in console.inner_text("#tab-activity")
    screenshot(console, "i18n-it-account-1366x900")
    _assert_nothing_overflows(console)

    phone = browser_page(size=PHONE, user_agent=IPHONE, is_mobile=True, has_touch=True, locale="it-IT")
    phone.goto(re.search(r"https?://\S+", text).group(0))
    assert phone.locator("html").get_attribute("lang") == "it"
    assert phone.get_by_role("heading", name="Attiva l'app").is_visible()
    assert phone.get_by_role("button", name="Attiva").is_visible()
    assert "Passo 2 di 2" in phone.inner_text("main")
    screenshot(phone, "i18n-it-activation-page-390x844")
    _assert_nothing_overflows(phone)
    assert Account.objects.get(pk=account.pk).sms_messages.get().language == "it"


def test_an_operator_switches_to_italian_in_the_user_menu_and_the_console_fits_a_phone(browser_page, live_server, personas):
    page = browser_page(size=PHONE, is_mobile=True, has_touch=True)
    log_in(page, personas.operator.username)
    page.goto(reverse("home"))
    assert page.locator("h1").inner_text() == "Dashboard"
    page.locator("header .dropdown-toggle").click()
    page.select_option("#menu-language", "it")
    screenshot(page, "i18n-user-menu-390x844")
    _assert_nothing_overflows(page)
    page.locator(".language-menu").get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Cruscotto"
    assert "Lingua salvata." in page.inner_text(".messages")
    assert Operator.objects.get(pk=personas.operator.pk).language == "it"
    screenshot(page, "i18n-it-dashboard-390x844")
    _assert_nothing_overflows(page)
    page.get_by_role("button", name="Menu").first.click()
    page.locator("#sidebar.show").wait_for()
    assert page.get_by_role("link", name="Gruppi e account").is_visible()
    screenshot(page, "i18n-it-menu-390x844")
    _assert_nothing_overflows(page)
