"""Two-factor sign-in in a real browser, at desktop and phone sizes: enrol from the operator's own
menu by typing the shown key into an "authenticator app" (django-otp's TOTP), keep the recovery
codes, log out, then log in with the password and a code. Screenshots:
tests/screenshots/two-factor-<size>-<step>.png."""
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from console.models import Operator
from tests.conftest import (
    DASHBOARD_URL,
    DESKTOP,
    PHONE,
    log_in,
    make_operator,
    screenshot,
)


def authenticator_code(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app that was given `secret` (base32, as the page shows it) displays."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def current_step() -> int:
    """The authenticator's time step now (30 s each)."""
    return int(time.time() // 30)


@pytest.mark.parametrize(("size_name", "size"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_an_operator_enrols_an_authenticator_app_and_logs_in_with_a_code(browser_page, size_name, size):
    make_operator("oscar", Operator.Role.OPERATOR)
    page = browser_page(size=size)
    log_in(page, "oscar")
    page.wait_for_url(DASHBOARD_URL)

    page.locator(".topbar .dropdown-toggle").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    page.wait_for_url("**/two-factor/")
    expect(page.locator(".two-factor-qr svg")).to_be_visible()
    secret = page.locator(".two-factor-secret").inner_text()
    screenshot(page, f"two-factor-{size_name}-enrol")

    page.get_by_label("Code shown by the app").fill("000000" if authenticator_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_contain_text("That code does not match")

    enrolled_step = current_step()
    page.get_by_label("Code shown by the app").fill(authenticator_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_url("**/two-factor/recovery-codes/")
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, f"two-factor-{size_name}-recovery-codes")

    page.locator(".topbar .dropdown-toggle").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    log_in(page, "oscar")
    page.wait_for_url("**/login/code/")
    assert not DASHBOARD_URL.match(page.url)
    screenshot(page, f"two-factor-{size_name}-code-step")

    # The code shown now, unless it is the enrolling one's (used): then the next one. Never a
    # later one: when the enrolling code reached the server in the next step, the device keeps
    # that drift (the phone seemed a step behind) and would refuse a code from further ahead.
    page.get_by_label("Code").fill(authenticator_code(secret, steps_ahead=0 if current_step() > enrolled_step else 1))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(DASHBOARD_URL)
    expect(page.locator(".topbar")).to_contain_text("oscar")
    screenshot(page, f"two-factor-{size_name}-logged-in")


@pytest.mark.parametrize(("size_name", "size"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_an_administrator_requires_two_factor_and_clears_a_login_throttle(browser_page, size_name, size):
    from django.utils import timezone

    from console.models import LoginThrottle, ServiceSettings

    make_operator("alice", Operator.Role.ADMINISTRATOR)
    now = timezone.now()
    LoginThrottle.objects.create(scope=LoginThrottle.Scope.PAIR, username="admin", address="203.0.113.5", failures=9,
                                 last_failure_at=now, blocked_until=now + timezone.timedelta(seconds=600))
    page = browser_page(size=size)
    log_in(page, "alice")
    page.goto("/operators/")
    page.get_by_label("Require two-factor sign-in for every operator").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("Two-factor sign-in is now required")
    assert ServiceSettings.load().require_two_factor
    screenshot(page, f"two-factor-{size_name}-operators")

    page.goto("/sessions/throttles/")
    expect(page.locator("table")).to_contain_text("203.0.113.5")
    screenshot(page, f"two-factor-{size_name}-throttles")
    page.get_by_role("link", name="Clear").click()
    page.locator("#confirm-dialog, .modal.show, form[action$='/clear/']").first.wait_for()
    page.get_by_role("button", name="Clear").last.click()
    expect(page.locator(".alert-success")).to_contain_text("The throttle of admin from 203.0.113.5 was cleared.")
    assert not LoginThrottle.objects.filter(address="203.0.113.5").exists()
