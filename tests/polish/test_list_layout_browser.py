"""Wide lists fit the screen (issue 16, item 2), in Chromium: at 1366 px the account list, search
results and the SMS log show their default columns with no sideways scrolling and every row one line
high; the operator chooses the columns and a compact density, both remembered after a reload, and
the rows per page; every sortable heading shows that it sorts; on a phone a list shows the columns
that matter and says that it scrolls sideways when it does."""
import time

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from activation.models import ProvisioningProfile, SmsMessage
from activation.services import activation_send_sms
from console.audit import Actor
from console.models import ServiceSettings
from tests.accessibility.axe import axe_violations
from tests.conftest import DESKTOP, PHONE, log_in, make_account, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

OWNERS = ["Maria Giovanna Bianchi-Ferrarotti di Montecatini Terme", "Jean-Baptiste Alexandre de La Rochefoucauld",
          "Li Wei", "Studio Legale Associato Rossi, Verdi & Partners S.r.l.", "Anna"]
DESCRIPTIONS = ["Front desk phone of the second floor, shared by the reception and the night porter",
                "Sales director, travels a lot: mostly on the mobile app", ""]
STATUSES = [Account.Status.CREATED, Account.Status.INSTALLATION_SMS_SENT, Account.Status.ACTIVATION_SMS_SENT,
            Account.Status.CONNECTED]
LONG_ERROR = "Gateway refused the message: HTTP 403 Forbidden (the account of the SMS centre has run out of credit)"

# What a table's box and its rows measure: the page's and the box's sideways overflow, every row's
# height, and two lines of the table's text (a row reaching it wraps).
MEASURE = """(selector) => {
  const table = document.querySelector(selector);
  const box = table.closest(".table-responsive");
  const cell = table.tBodies[0].rows[0].cells[1];
  const style = getComputedStyle(cell);
  const twoLines = 2 * parseFloat(style.lineHeight) + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  return {
    pageWidth: document.scrollingElement.scrollWidth, viewport: window.innerWidth,
    boxWidth: box.scrollWidth, boxVisible: box.clientWidth,
    rows: Array.from(table.tBodies[0].rows, (row) => row.getBoundingClientRect().height), twoLines,
    cut: Array.from(table.querySelectorAll("td.cell-cut"))
      .filter((td) => !td.hidden && td.scrollWidth > td.clientWidth).map((td) => [td.textContent.trim(), td.title]),
  };
}"""

# The page's cumulative layout shift so far (Chromium's layout-shift entries, none when nothing moved).
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => { for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value; })
    .observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 500);
})"""


def arrive_late(route):
    """A slow network: the script arrives a second after it was asked for."""
    time.sleep(1)
    route.continue_()


@pytest.fixture
def crowded_group(personas):
    """50 accounts of realistic length (long owners, multi-word descriptions, sixteen-digit usernames)
    in a group with a long name, each with an installation SMS in the log (some failed, with an error)."""
    settings = ServiceSettings.load()
    settings.public_base_url = "https://voice.example.net"
    settings.save()
    profile, _ = ProvisioningProfile.objects.get_or_create(is_default=True, defaults={"name": "Default"})
    profile.android_download_url = "https://apps.example.net/android"
    profile.save()
    group = personas.group
    group.name = "Azienda Sanitaria Locale Bergamo Ovest, Cardiologia"
    group.save()
    for n in range(50):
        account = make_account(group, username=f"3902{n:012d}", number=f"+39333{n:07d}", owner=OWNERS[n % 5],
                               caller_id=f'"{OWNERS[n % 5]}" <+39333{n:07d}>', description=DESCRIPTIONS[n % 3])
        activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose="installation")
        Account.objects.filter(pk=account.pk).update(status=STATUSES[n % 4], enabled=n % 7 != 0)
    SmsMessage.objects.filter(account__username__endswith="3").update(state=SmsMessage.State.FAILED, attempts=6,
                                                                       last_error=LONG_ERROR)
    return group


def visible_columns(page, selector: str) -> list[str]:
    """The columns a table shows, by their data-col (or their heading's text: the username; "select": the checkboxes)."""
    return page.evaluate("""(selector) => Array.from(document.querySelector(selector).tHead.rows[0].cells)
      .filter((cell) => cell.getClientRects().length).map((cell) => cell.dataset.col || cell.innerText.trim() || "select")""", selector)


def measure(page, selector: str) -> dict:
    return page.evaluate(MEASURE, selector)


def assert_fits_one_line_per_row(page, selector: str, rows: int) -> dict:
    metrics = measure(page, selector)
    assert metrics["pageWidth"] <= metrics["viewport"], metrics
    assert metrics["boxWidth"] <= metrics["boxVisible"], metrics
    assert len(metrics["rows"]) == rows
    assert max(metrics["rows"]) < metrics["twoLines"], metrics
    assert max(metrics["rows"]) - min(metrics["rows"]) < 1, metrics
    return metrics


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_account_list_search_results_and_sms_log_fit_1366_px_one_line_per_row(browser_page, personas, crowded_group, scheme):
    page = browser_page(DESKTOP, color_scheme=scheme)
    log_in(page, personas.operator.username)

    page.goto(f"/accounts/group/{crowded_group.pk}/")
    metrics = assert_fits_one_line_per_row(page, "table.table-accounts", 50)
    assert any(text == OWNERS[0] and title == OWNERS[0] for text, title in metrics["cut"])  # cut, whole in the title
    expect(page.get_by_role("link", name="3902000000000007")).to_have_attribute("href", f"/accounts/{Account.objects.get(username='3902000000000007').pk}/")
    assert visible_columns(page, "table.table-accounts") == [
        "select", "Username", "owner", "number", "enabled", "status", "status_date", "licence", "registered", "actions"]
    screenshot(page, f"lists-account_list-1366-{scheme}")

    page.goto("/accounts/search/?q=rossi")
    expect(page.locator(".search-count")).to_contain_text("10 accounts match")
    assert_fits_one_line_per_row(page, "table.table-accounts", 10)
    assert visible_columns(page, "table.table-accounts")[:5] == ["select", "Username", "owner", "number", "group"]
    screenshot(page, f"lists-search_results-1366-{scheme}")

    page.goto("/activation/sms/")
    metrics = assert_fits_one_line_per_row(page, "table.table-sms", 50)
    assert any(title == LONG_ERROR for _, title in metrics["cut"])
    screenshot(page, f"lists-sms_list-1366-{scheme}")


def test_every_sortable_heading_shows_that_it_sorts_and_which_way(browser_page, personas, crowded_group):
    page = browser_page(DESKTOP)
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/group/{crowded_group.pk}/")
    headings = page.locator("table.table-accounts thead th:visible:has(a.sort-link)")
    expect(headings).to_have_count(6)  # username, owner, number, enabled, last status, status date (type, caller ID hidden)
    expect(page.locator("th[aria-sort=ascending] .bi-sort-up")).to_have_count(1)
    expect(page.locator("th:visible:not([aria-sort]) .sort-link .bi-arrow-down-up")).to_have_count(5)
    page.get_by_role("link", name="Username").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Username")
    expect(page.locator("th[aria-sort=descending] .bi-sort-down")).to_have_count(1)
    assert page.locator("table.table-accounts tbody tr a").first.inner_text() == "3902000000000049"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_operator_chooses_the_columns_and_a_compact_density_and_the_browser_remembers_both(browser_page, personas, crowded_group, scheme):
    page = browser_page(DESKTOP, color_scheme=scheme, bypass_csp=True)  # axe's script needs the CSP bypassed
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/group/{crowded_group.pk}/")
    owner_cells = page.locator("table.table-accounts td[data-col=owner]")
    description_cells = page.locator("table.table-accounts td[data-col=description]")
    expect(owner_cells.first).to_be_visible()
    expect(description_cells.first).to_be_hidden()

    page.get_by_role("button", name="Columns").click()
    page.get_by_label("Owner", exact=True).uncheck()
    page.get_by_label("Description", exact=True).check()
    expect(owner_cells.first).to_be_hidden()
    expect(description_cells.nth(0)).to_have_text(DESCRIPTIONS[0])
    expect(description_cells.nth(0)).to_be_visible()
    assert_fits_one_line_per_row(page, "table.table-accounts", 50)
    screenshot(page, f"lists-account_list-column_chooser-1366-{scheme}")
    assert axe_violations(page) == []
    comfortable = max(measure(page, "table.table-accounts")["rows"])
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Compact rows").click()
    compact = max(measure(page, "table.table-accounts")["rows"])
    assert compact < comfortable - 3
    screenshot(page, f"lists-account_list-chosen_columns_compact-1366-{scheme}")
    assert axe_violations(page) == []

    page.route("**/js/list_table.js", arrive_late)  # the table is parsed and could paint long before its script
    page.reload()
    assert page.evaluate(LAYOUT_SHIFT) < 0.01  # the remembered choice applies before the table first shows
    page.unroute("**/js/list_table.js")
    expect(owner_cells.first).to_be_hidden()
    expect(description_cells.first).to_be_visible()
    expect(page.get_by_role("button", name="Compact rows")).to_have_attribute("aria-pressed", "true")
    assert max(measure(page, "table.table-accounts")["rows"]) == compact
    page.goto("/activation/sms/")  # the density holds for every list; the columns are the account list's
    expect(page.locator("table.table-sms")).to_have_class("table table-sm table-hover align-middle list-table table-sms table-compact")
    expect(page.locator("table.table-sms td[data-col=text]").first).to_be_visible()

    page.goto(f"/accounts/group/{crowded_group.pk}/")
    page.get_by_role("button", name="Columns").click()
    page.get_by_role("button", name="Back to the default columns").click()
    expect(owner_cells.first).to_be_visible()
    expect(description_cells.first).to_be_hidden()


def test_the_rows_per_page_choice_shows_that_many_rows_and_keeps_the_sort(browser_page, personas, crowded_group):
    for n in range(60):
        make_account(crowded_group, owner=f"Extra {n}")
    page = browser_page(DESKTOP)
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/group/{crowded_group.pk}/?sort=-username")
    expect(page.locator("table.table-accounts tbody tr")).to_have_count(50)
    page.get_by_role("link", name="100 rows per page").click()
    expect(page.locator("table.table-accounts tbody tr")).to_have_count(100)
    assert "sort=-username" in page.url and "page_size=100" in page.url
    expect(page.locator(".page-sizes [aria-current]")).to_have_text("100")
    assert_fits_one_line_per_row(page, "table.table-accounts", 100)
    page.get_by_label("Status", exact=True).select_option("created")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.table-accounts tbody tr")).to_have_count(73)  # 60 extras and 13 of the 50: kept at 100 a page
    page.goto(f"/accounts/group/{crowded_group.pk}/?page_size=100000")
    expect(page.locator("table.table-accounts tbody tr")).to_have_count(50)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_a_list_shows_the_columns_that_matter_and_says_when_it_scrolls(browser_page, personas, crowded_group, scheme):
    page = browser_page(PHONE, color_scheme=scheme, is_mobile=True, has_touch=True)
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/group/{crowded_group.pk}/")
    assert visible_columns(page, "table.table-accounts") == ["select", "Username", "status"]
    hint = page.get_by_text("The table is wider than the screen")
    metrics = measure(page, "table.table-accounts")
    assert metrics["pageWidth"] <= metrics["viewport"], metrics
    expect(hint).to_be_visible() if metrics["boxWidth"] > metrics["boxVisible"] else expect(hint).to_be_hidden()
    screenshot(page, f"lists-account_list-phone-{scheme}")

    page.get_by_role("button", name="Columns").click()
    page.get_by_label("Owner", exact=True).check()
    page.get_by_label("Number", exact=True).check()
    page.keyboard.press("Escape")
    metrics = measure(page, "table.table-accounts")
    assert metrics["boxWidth"] > metrics["boxVisible"] and metrics["pageWidth"] <= metrics["viewport"], metrics
    expect(hint).to_be_visible()
    screenshot(page, f"lists-account_list-phone-more_columns-{scheme}")

    page.goto("/accounts/search/?q=rossi")  # the same choice, and the search results' own Group column
    assert visible_columns(page, "table.table-accounts") == ["select", "Username", "owner", "number", "group", "status"]
    page.goto("/activation/sms/")
    assert visible_columns(page, "table.table-sms") == ["purpose", "account", "state"]
    screenshot(page, f"lists-sms_list-phone-{scheme}")


def test_without_javascript_a_list_shows_its_default_columns_and_the_rows_per_page(browser_page, personas, crowded_group):
    page = browser_page(DESKTOP, java_script_enabled=False)
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/group/{crowded_group.pk}/")
    headings = page.locator("table.table-accounts thead th:visible")
    expect(headings).to_have_count(10)
    expect(page.locator("table.table-accounts thead th[data-col=caller_id]")).to_be_hidden()
    expect(page.locator("table.table-accounts tbody td[data-col=owner]").first).to_be_visible()
    expect(page.get_by_role("button", name="Columns")).to_be_hidden()
    expect(page.get_by_role("button", name="Compact rows")).to_be_hidden()
    page.get_by_role("link", name="25 rows per page").click()
    expect(page.locator("table.table-accounts tbody tr")).to_have_count(25)
