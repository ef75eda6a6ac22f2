"""The token page and the API documentation in a real browser: an operator creates a token (shown
once), uses it against the API, finds the docs page (Swagger UI served by the console, no CDN)
from the token page, and revokes the token."""
import json
import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests.conftest import DESKTOP, PHONE, log_in, screenshot


def _api_status(base_url: str, token: str) -> int:
    request = urllib.request.Request(f"{base_url}/api/v1/groups/", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _operations(base_url: str, token: str) -> list[str]:
    """"METHOD /path" of every operation the OpenAPI document lists."""
    request = urllib.request.Request(f"{base_url}/api/v1/schema/", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        paths = json.load(response)["paths"]
    return sorted(f"{method.upper()} {path}" for path, operations in paths.items() for method in operations)


def _documented_operations(page) -> list[str]:
    summaries = page.locator(".swagger-ui .opblock-summary")
    return sorted(" ".join(summary.inner_text().split()[:2]) for summary in summaries.all())


def test_an_operator_creates_uses_documents_and_revokes_a_token(browser_page, personas, live_server):
    page = browser_page(DESKTOP)
    log_in(page, "oscar")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("billing system")
    page.get_by_label("Allowed networks").fill("127.0.0.0/8")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-api-token").inner_text().strip()
    assert token.startswith("sipc_")
    expect(page.locator("table")).to_contain_text("billing system")
    expect(page.locator("table")).to_contain_text("127.0.0.0/8")
    screenshot(page, "api-token-created-desktop")
    assert _api_status(live_server.url, token) == 200

    page.reload()
    expect(page.locator("#new-api-token")).to_have_count(0)
    expect(page.locator("table")).to_contain_text("from 127.0.0.1")

    page.get_by_role("link", name="API documentation").first.click()
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=30_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/accounts/{account_id}/")
    assert _documented_operations(page) == _operations(live_server.url, token)
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    screenshot(page, "api-docs-desktop")

    page.get_by_role("link", name="API tokens").first.click()
    page.get_by_role("link", name="Revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke token").click()
    expect(page.locator(".alert")).to_contain_text("revoked")
    expect(page.locator("table")).to_contain_text("Revoked")
    assert _api_status(live_server.url, token) == 401


def test_the_token_page_and_the_docs_on_a_phone(browser_page, personas):
    page = browser_page(PHONE)
    log_in(page, "oscar")
    page.goto("/api-tokens/")
    page.get_by_label("Name").fill("crm")
    page.get_by_label("Read-only (the token can read but never change anything)").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-api-token")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Read-only")
    screenshot(page, "api-token-created-phone")
    page.goto("/api-docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=30_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/groups/{group_id}/accounts/")
    screenshot(page, "api-docs-phone")
