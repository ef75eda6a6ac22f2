"""Every page of the permission matrix, the console's other pages, its error pages and the
customer's pages, checked by axe-core in Chromium at desktop and phone size, in light and dark
mode: no violation of impact moderate or above. Each page is also saved as a screenshot."""
import pytest
from django.urls import reverse

from accounts.models import Account
from activation.models import ProvisioningProfile
from console.models import ServiceSettings
from tests.accessibility.axe import axe_violations
from tests.conftest import DESKTOP, PHONE, log_in, screenshot
from tests.console.test_permission_matrix import VIEWS, World, build_world
from tests.fixtures.sms import send_and_deliver

COMBINATIONS = [
    pytest.param(size, scheme, id=f"{label}-{scheme}")
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")) for scheme in ("light", "dark")
]
CUSTOMER_AGENT = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"


DOWNLOADS = {"accounts:batch_template", "accounts:batch_export", "accounts:batch_export_search"}
NOT_CHECKED = DOWNLOADS
# Pages that finish drawing after the load event, and what shows they are drawn: the API documentation
# (Swagger UI) draws its operations once the OpenAPI document has arrived.
DRAWN_WHEN = {"api_docs": ".swagger-ui .opblock"}


def console_pages(world: World) -> list[tuple[str, str]]:
    """(name, address) of every page an Administrator opens: the permission matrix's (but those
    NOT_CHECKED), then searches."""
    pages = [(case.url_name, case.url(world)) for case in VIEWS if "GET" in case.methods and case.url_name not in NOT_CHECKED]
    return pages + [
        ("account_search", reverse("accounts:account_search") + "?q=rossi"),
        ("account_search_error", reverse("accounts:account_search") + "?q=owner:(rossi"),
    ]


@pytest.fixture
def world(personas) -> World:
    return build_world(personas)


@pytest.fixture
def error_page(browser, live_server):
    """`error_page(size, scheme)`: a page for error answers (403, 404, 410), which the browser
    reports as console errors, so it is not watched for JavaScript errors like browser_page's."""
    contexts = []

    def open_page(size, scheme):
        contexts.append(browser.new_context(viewport=size, color_scheme=scheme, bypass_csp=True, base_url=live_server.url))
        return contexts[-1].new_page()

    yield open_page
    for context in contexts:
        context.close()


def check(page, name: str, label: str, problems: list[str]) -> None:
    problems.extend(f"{name}: {violation}" for violation in axe_violations(page))
    screenshot(page, f"a11y-{name.replace(':', '-')}-{label}")


@pytest.mark.parametrize(("size", "scheme"), COMBINATIONS)
def test_every_console_page_passes_axe(browser_page, error_page, world, size, scheme):
    label = f"{size['width']}x{size['height']}-{scheme}"
    problems: list[str] = []
    page = browser_page(size, color_scheme=scheme, bypass_csp=True)
    page.goto("/login/")
    assert page.get_by_role("button", name="Menu").count() == 0  # no menu to open before login
    check(page, "login", label, problems)
    log_in(page, world.personas.administrator.username)
    for name, address in console_pages(world):
        page.goto(address)
        if name in DRAWN_WHEN:
            page.locator(DRAWN_WHEN[name]).first.wait_for()
        check(page, name, label, problems)
    for address, opener, name in ((reverse("accounts:account_list", args=[world.personas.group.pk]), "Query syntax help", "search_help"),
                                  (reverse("accounts:account_detail", args=[world.account.pk]), "Disable account", "confirm_dialog")):
        page.goto(address)
        page.get_by_role("button" if opener == "Query syntax help" else "link", name=opener).last.click()
        page.locator(".modal.show").wait_for()
        page.wait_for_timeout(400)  # the dialog's fade-in
        check(page, name, label, problems)
    auditor = error_page(size, scheme)
    log_in(auditor, world.personas.auditor.username)
    auditor.goto(reverse("audit_list"))
    check(auditor, "forbidden", label, problems)
    auditor.goto("/accounts/999999/")
    check(auditor, "not_found", label, problems)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("size", "scheme"), COMBINATIONS)
def test_the_customer_pages_pass_axe(browser_page, error_page, personas, size, scheme):
    label = f"{size['width']}x{size['height']}-{scheme}"
    row = ServiceSettings.load()
    row.public_base_url = "https://voice.example.net"
    row.save()
    profile, _ = ProvisioningProfile.objects.get_or_create(is_default=True, defaults={"name": "Default"})
    profile.android_download_url = "https://apps.example.net/android"
    profile.support_phone, profile.support_email = "+390212345678", "help@example.net"
    profile.save()
    from activation.services import account_create_wizard
    from console.audit import Actor

    account = account_create_wizard(actor=Actor.system(), group=personas.group, fields={
        "owner": "Giulia Verdi", "email": "giulia@example.com", "virtual_number": "+393331234567", "profile": profile})
    pages = [("installation", f"/i/{send_and_deliver(account, 'installation')}"),
             ("activation", f"/a/{send_and_deliver(account, 'activation')}")]
    problems: list[str] = []
    page = browser_page(size, color_scheme=scheme, bypass_csp=True, user_agent=CUSTOMER_AGENT, is_mobile=size == PHONE)
    for name, address in pages:
        page.goto(address)
        check(page, f"customer-{name}", label, problems)
    refused = error_page(size, scheme)
    refused.goto("/a/not-a-token-00000000000000")
    check(refused, "customer-link_refused", label, problems)
    assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVATION_SMS_SENT
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("size", "scheme"), COMBINATIONS)
def test_the_api_docs_pass_axe_with_an_operation_open_for_trying_and_the_authorize_dialog(browser_page, personas, size, scheme):
    label = f"{size['width']}x{size['height']}-{scheme}"
    problems: list[str] = []
    page = browser_page(size, color_scheme=scheme, bypass_csp=True)
    log_in(page, personas.administrator.username)
    page.goto(reverse("api_docs"))
    page.locator(DRAWN_WHEN["api_docs"]).first.wait_for()
    page.locator(".opblock-summary-control").nth(1).click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").wait_for()
    check(page, "api_docs_try_it_out", label, problems)
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".swagger-ui .modal-ux").wait_for()
    check(page, "api_docs_authorize", label, problems)
    assert problems == [], "\n".join(problems)
