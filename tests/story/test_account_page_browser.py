"""The account page tells its story in a real browser: the timeline in words and labels, the
actor's role, the tab that has something to show, badges apart, a licence alert in the header, no
layout shift after load; and the audit log, readable at 1366 px, filtered and linked."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import DESKTOP, PHONE, log_in, make_account, screenshot

# The sum of the page's layout-shift scores since navigation (the Cumulative Layout Shift, CLS).
LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => { for (const entry of list.getEntries()) { if (!entry.hadRecentInput) total += entry.value; } })
    .observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 1500);
})"""


@pytest.fixture
def story(personas):
    from accounts.services import account_update
    from console.audit import Actor
    from licensing.models import Licence

    account = make_account(personas.group, username="700001", owner="Marco Rossi")
    account_update(actor=Actor.of(personas.administrator), account_id=account.pk, expected_version=account.version,
                   fields={"security_model": "end_to_site", "obfuscation": False, "caller_id": "Marco"})
    Licence.objects.filter(account=account).update(state=Licence.State.CONFLICT, conflict_device_id="device-2")
    quiet = make_account(personas.group, username="700002")
    return account, quiet


def test_the_timeline_reads_in_words_with_the_actors_role_and_the_header_shows_badges_and_the_licence(
    browser_page, personas, story,
):
    account, _ = story
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = browser_page(size)
        log_in(page, "alice")
        page.goto(f"/accounts/{account.pk}/")
        assert page.evaluate(LAYOUT_SHIFT) < 0.1

        timeline = page.locator("#tab-activity")
        expect(timeline).to_be_visible()
        expect(timeline).to_contain_text("Settings changed by alice (Administrator)")
        expect(timeline).to_contain_text("Security model")
        expect(timeline).to_contain_text("End to Site")
        expect(timeline).to_contain_text("Obfuscation mode")
        expect(timeline).to_contain_text("Account created by System")
        for raw in ("security_model", "end_to_end", "True", "(Operator)", "account.update"):
            expect(timeline).not_to_contain_text(raw)

        header = page.locator("h1")
        expect(header.locator(".enabled-badge")).to_have_text("Enabled")
        expect(header.locator(".status-badge")).to_have_text("Created")
        expect(header.locator(".licence-alert")).to_have_text("Licence in conflict")
        screenshot(page, f"story-account-page-{label}")
        header.locator(".licence-alert").click()
        expect(page.locator("#tab-configuration")).to_be_visible()
        expect(page.locator("#tab-configuration")).to_contain_text("device-2")


def test_an_account_with_nothing_recorded_opens_on_its_configuration(browser_page, personas, story):
    from console.models import AuditEntry

    _, quiet = story
    AuditEntry.objects.filter(account_id=quiet.pk).delete()  # as demo data, which records no history
    page = browser_page()
    log_in(page, "oscar")
    page.goto(f"/accounts/{quiet.pk}/")
    expect(page.locator("#tab-configuration")).to_be_visible()
    expect(page.locator("#tab-activity")).to_be_hidden()
    expect(page.get_by_role("tab", name="Configuration")).to_have_class("nav-link active")


def test_status_badges_differ_in_colour(browser_page, personas, story):
    from accounts.models import Account

    account, quiet = story
    Account.objects.filter(pk=quiet.pk).update(status=Account.Status.CONNECTED)
    page = browser_page()
    log_in(page, "alice")
    colours = {}
    for target in (account, quiet):
        page.goto(f"/accounts/{target.pk}/")
        badge = page.locator("h1 .status-badge")
        colours[badge.inner_text().strip()] = badge.evaluate("b => getComputedStyle(b).backgroundColor")
    assert set(colours) == {"Created", "Connected"}
    assert colours["Created"] != colours["Connected"]


def test_the_audit_log_filters_by_actor_object_and_dates_links_objects_and_fits_1366_px(browser_page, personas, story):
    account, _ = story
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = browser_page(size)
        log_in(page, "alice")
        page.goto("/audit/")
        page.get_by_label("Actor").fill("alice")
        page.get_by_label("Object").fill("700001")
        page.get_by_role("button", name="Filter").click()
        rows = page.locator(".audit-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Settings changed")
        expect(rows.first).to_contain_text("alice (Administrator)")
        if size is DESKTOP:
            # Each change's label ends before its value begins: nothing overlaps.
            for label_box, value_box in zip(rows.locator(".diff dt").all(), rows.locator(".diff dd").all()):
                left, right = label_box.bounding_box(), value_box.bounding_box()
                assert left["x"] + left["width"] <= right["x"] + 1
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"story-audit-log-{label}")
        page.get_by_label("From", exact=True).fill("2000-01-01")
        page.get_by_label("To", exact=True).fill("2000-01-31")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator(".audit-table tbody")).to_contain_text("Nothing recorded.")
        page.goto("/audit/?object=700001&actor=alice")
        rows.first.get_by_role("link", name="Account 700001").click()
        expect(page).to_have_url(re.compile(rf"/accounts/{account.pk}/$"))


def test_a_malformed_date_in_the_audit_filter_is_explained_and_the_other_filters_apply(client_for, personas, story):
    response = client_for(personas.administrator).get("/audit/", {"actor": "alice", "since": "yesterday"})
    assert response.status_code == 200
    assert "Enter the start date as YYYY-MM-DD." in response.content.decode()
    assert [entry.action for entry in response.context["page"]] == ["account.update"]


def test_the_audit_log_names_an_auditors_and_a_removed_operators_role(client_for, personas, story):
    from accounts.services import account_update
    from console.audit import Actor

    account, _ = story
    account.refresh_from_db()
    account_update(actor=Actor.of(personas.operator), account_id=account.pk, expected_version=account.version,
                   fields={"owner": "Marco B. Rossi"})
    personas.operator.delete()
    page = client_for(personas.administrator).get("/audit/", {"object": "700001"}).content.decode()
    assert "oscar (operator since removed)" in page
    assert "alice (Administrator)" in page


def test_a_recorded_moment_prints_in_the_console_date_format(db):
    from console.models import AuditEntry
    from console.templatetags.console_tags import audit_value

    entry = AuditEntry(object_type="licence", action="licence.check")
    assert audit_value(entry, "last_checked_at", "2026-12-06T23:05:38.123456+00:00") == "2026-12-06 23:05:38"
    assert audit_value(entry, "state", "conflict") == "Conflict"
