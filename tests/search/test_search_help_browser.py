"""The search help in a real browser: "/" jumps to the top bar's search box, "?" opens the cheat-sheet."""
from playwright.sync_api import expect

from tests.conftest import DESKTOP, PHONE, log_in, make_operator, screenshot


def test_slash_focuses_the_search_box_and_the_question_mark_opens_the_help(browser_page, book):
    from console.models import Operator

    make_operator("oscar", Operator.Role.OPERATOR, [book.sales])
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = browser_page(size)
        log_in(page, "oscar")
        page.goto(f"/accounts/group/{book.sales.pk}/")
        page.keyboard.press("/")
        expect(page.get_by_role("searchbox", name="Search all accounts")).to_be_focused()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Query syntax help").last.click()
        dialog = page.locator("#search-help")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("number:39333*")
        screenshot(page, f"search-help-{label}")
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_be_hidden()
