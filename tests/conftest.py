"""Shared test fixtures: the personas of the permission matrix, PostgreSQL detection, the browser.

Tests that need PostgreSQL, Chromium, Kamailio or Kannel skip with a reason when it is absent;
with REQUIRE_ALL=1 (set by .ci/run) a skipped test fails the run instead.
"""
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop in the test thread.

SCREENSHOT_DIR = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Fixtures of several folders (Kannel and SMS settings, Kamailio and sipp), for every test.
pytest_plugins = ["tests.fixtures.sms", "tests.fixtures.sip"]

PASSWORD = "correct-horse-battery-staple"
DESKTOP = {"width": 1366, "height": 900}
DASHBOARD_URL = re.compile(r"^https?://[^/]+/$")  # where a login lands (the home page)
PHONE = {"width": 390, "height": 844}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("REQUIRE_ALL") == "1" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"Skipped, but REQUIRE_ALL=1 forbids skips: {reason}"


@pytest.fixture(autouse=True, scope="session")
def isolated_search_index(tmp_path_factory):
    """Each test session writes its own search index, never the developer's."""
    from django.conf import settings

    settings.SEARCH_INDEX_DIR = tmp_path_factory.mktemp("search-index")
    return settings.SEARCH_INDEX_DIR


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher():
    """Operators' passwords hashed with a cheap hasher: the default costs seconds per persona."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def on_postgresql() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


requires_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL: set DATABASE_URL=postgres://...",
)


@dataclass
class Personas:
    group: object
    other_group: object
    administrator: object
    operator: object
    outsider: object
    auditor: object


def make_operator(username: str, role: str, groups=()):
    from console.models import Operator

    operator = Operator.objects.create_user(username=username, password=PASSWORD, role=role)
    operator.account_groups.set(groups)
    return operator


@pytest.fixture
def personas(db) -> Personas:
    """Two groups and the five personas: administrator, operator of the group, operator of the
    other group (the outsider), auditor of the group; anonymous is a client without login."""
    from console.models import Operator
    from groups.models import Group

    group = Group.objects.create(name="Acme")
    other_group = Group.objects.create(name="Globex")
    return Personas(
        group=group,
        other_group=other_group,
        administrator=make_operator("alice", Operator.Role.ADMINISTRATOR),
        operator=make_operator("oscar", Operator.Role.OPERATOR, [group]),
        outsider=make_operator("olga", Operator.Role.OPERATOR, [other_group]),
        auditor=make_operator("aude", Operator.Role.AUDITOR, [group]),
    )


@pytest.fixture
def client_for(client):
    """`client_for(operator)`: a test client logged in as that operator (None: anonymous)."""
    from django.test import Client

    def make(operator):
        new_client = Client()
        if operator is not None:
            new_client.force_login(operator)
        return new_client

    return make


def make_account(group, *, username=None, number=None, password="s3cret-pass", **fields):
    """Create an account through the service, as an operator would."""
    from accounts.services import account_create
    from console.audit import Actor

    make_account.counter = getattr(make_account, "counter", 0) + 1
    suffix = f"{make_account.counter:06d}"
    values = {"username": username or f"40{suffix}", "virtual_number": number or f"+3902{suffix}", **fields}
    return account_create(actor=Actor.system(), group=group, fields=values, password=password)


@pytest.fixture
def account(personas):
    return make_account(personas.group, owner="Marco Rossi", email="marco@example.com")


# --- Browser -------------------------------------------------------------------------------------

def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not chromium_available():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    }


class PageWatch:
    """Collects JavaScript errors and every request host while a page is used."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.foreign_requests: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("request", self._note_request)

    def _note_request(self, request) -> None:
        from urllib.parse import urlparse

        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host not in ("127.0.0.1", "localhost"):
            self.foreign_requests.append(request.url)

    def assert_clean(self) -> None:
        assert self.errors == [], f"JavaScript errors: {self.errors}"
        assert self.foreign_requests == [], f"requests left 127.0.0.1: {self.foreign_requests}"


def describe_response(response) -> str:
    """A Playwright response as a failed assertion should show it: request, status, type and body."""
    from playwright.sync_api import Error

    try:
        body = response.text()[:2000]
    except Error as error:
        body = f"(no body: {error.message})"
    return (f"{response.request.method} {response.url} answered {response.status} "
            f"{response.headers.get('content-type', '')}:\n{body}")


def screenshot(page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def browser_page(browser, live_server, transactional_db):
    """`browser_page(size=DESKTOP, user_agent=None)`: a fresh page on the live server, watched for
    JavaScript errors and foreign requests (asserted when the test ends)."""
    contexts, watches = [], []

    def open_page(size=DESKTOP, user_agent=None, **options):
        context = browser.new_context(viewport=size, user_agent=user_agent, base_url=live_server.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        watches.append(PageWatch(page))
        return page

    yield open_page
    for context in contexts:
        context.close()
    for watch in watches:
        watch.assert_clean()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
