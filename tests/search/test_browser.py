"""The search boxes in a real browser: the group's box, the top bar's box, a malformed query."""
import re

from playwright.sync_api import expect

from accounts.search.engine.index_files import Patience
from tests.conftest import DESKTOP, PHONE, log_in, make_operator, screenshot
from tests.search.conftest import create_account


def test_operator_searches_a_group_and_every_group_and_sees_a_malformed_query_explained(browser_page, book, search_index):
    from console.models import Operator

    make_operator("oscar", Operator.Role.OPERATOR, [book.sales, book.support])
    page = browser_page()
    log_in(page, "oscar")

    page.goto(f"/accounts/group/{book.support.pk}/")
    page.get_by_role("searchbox", name="Search this group").fill("phone OR rossi")
    page.get_by_role("button", name="Search").first.click()
    rows = page.locator("table.table-accounts tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.table-accounts")).to_contain_text("200003")
    expect(page.locator("table.table-accounts")).to_contain_text("200006")

    top_bar_box = page.get_by_role("searchbox", name="Search all accounts")
    top_bar_box.fill("owner:rossi*")
    top_bar_box.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/search/\?q="))
    expect(page.locator(".search-count")).to_contain_text("3 accounts match")
    for username in ("100001", "100002", "100005"):
        expect(page.locator("table.table-accounts")).to_contain_text(username)

    top_bar_box = page.get_by_role("searchbox", name="Search all accounts")
    top_bar_box.fill("owner:(rossi")
    top_bar_box.press("Enter")
    error = page.locator(".search-error")
    expect(error).to_contain_text("Missing closing parenthesis ')'")
    expect(error).to_contain_text("(at position 13)")
    expect(error).to_contain_text("escape it as")
    expect(page.locator("table.table-accounts")).to_contain_text("No accounts match.")


def test_a_phrase_search_and_a_busy_index_on_a_desktop_and_a_phone(browser_page, book, search_index, monkeypatch):
    """Two-word phrases (answered from the word pair fields) find the owner; while another process
    holds the index for longer than a search waits, the page says so instead of failing."""
    from console.models import Operator

    monkeypatch.setattr("accounts.search.results.WITHIN_A_REQUEST", Patience(lock_wait=0.2, work_limit=None))
    make_operator("oscar", Operator.Role.OPERATOR, [book.sales, book.support])
    for size, label, username in ((DESKTOP, "desktop", "400021"), (PHONE, "phone", "400022")):
        page = browser_page(size)
        log_in(page, "oscar")
        page.goto('/accounts/search/?q="giulia rossi"')
        expect(page.locator(".search-count")).to_contain_text("1 account matches")
        expect(page.locator("table.table-accounts")).to_contain_text("100002")
        screenshot(page, f"search-phrase-{label}")

        create_account(book.support, username, f"+4144{username}", owner="Paola Rossi")
        with search_index.locked():
            page.goto("/accounts/search/?q=paola")
            expect(page.locator(".search-error")).to_contain_text("The search index is being brought up to date")
            expect(page.locator(".search-error")).not_to_contain_text("at position")
            screenshot(page, f"search-index-busy-{label}")
        page.goto("/accounts/search/?q=paola")
        expect(page.locator("table.table-accounts")).to_contain_text(username)
