"""The permission matrix (O2) over every page of the console, generated from one table.

Each row of VIEWS names a view, the object it acts on, who may use it and, for a mutation, a
submission that would change data if it were accepted. The tests cross every row with the five
personas: anonymous -> login page; operator of another group -> 404 on the group's and account's
objects; auditor attempting a write -> 403; non-administrator on an Administrator page -> 403.
Every refused POST must leave every row of the console's tables as it was, and every accepted
POST by an Administrator must change something (so the refusal checks cannot pass vacuously).
"""
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from tests.conftest import PASSWORD, make_account
from tests.console.payloads import account_create_data, account_edit_data, group_data
from tests.console.state import database_state

ANY_LOGIN = "any logged-in operator"
SCOPED_READ = "reads in the operator's groups"
SCOPED_WRITE = "writes in the operator's groups"
ADMINISTRATOR = "Administrators only"
PERSONAS = ("anonymous", "administrator", "operator", "outsider", "auditor")
LOGIN_REDIRECT = "login"


@dataclass
class World:
    """The personas plus the objects the views act on, all in the operator's group."""

    personas: object
    account: object
    disabled_account: object
    empty_group: object
    throttle: object

    def operator(self, persona: str):
        return None if persona == "anonymous" else getattr(self.personas, persona)


@dataclass(frozen=True)
class ViewCase:
    url_name: str
    access: str
    methods: tuple[str, ...]
    args: Callable[[World], list] = lambda world: []
    post: Callable[[World], dict] | None = None

    def url(self, world: World) -> str:
        return reverse(self.url_name, args=self.args(world))


def _password_change(world: World) -> dict:
    new = "a-much-longer-new-passphrase-42"
    return {"old_password": PASSWORD, "new_password1": new, "new_password2": new}


def _services(world: World) -> dict:
    return {"version": "1", "public_base_url": "https://clients.example.net", "sip_server_host": "sip.example.net",
            "sip_server_port": "5061", "sms_backend": "console", "sms_gateway_url": "", "sms_username": "",
            "sms_password": "", "sms_sender": "", "kamailio_rpc_url": ""}


VIEWS = [
    ViewCase("home", ANY_LOGIN, ("GET",)),
    ViewCase("password_change", ANY_LOGIN, ("GET", "POST"), post=_password_change),
    ViewCase("language_set", ANY_LOGIN, ("POST",), post=lambda world: {"language": "it"}),
    ViewCase("groups:group_list", ANY_LOGIN, ("GET",)),
    ViewCase("groups:group_create", ADMINISTRATOR, ("GET", "POST"), post=lambda world: group_data()),
    ViewCase("groups:group_edit", ADMINISTRATOR, ("GET", "POST"), args=lambda world: [world.personas.group.pk],
             post=lambda world: group_data(world.personas.group, name="Acme Renamed")),
    ViewCase("groups:group_delete", ADMINISTRATOR, ("GET", "POST"), args=lambda world: [world.empty_group.pk],
             post=lambda world: {}),
    ViewCase("accounts:account_list", SCOPED_READ, ("GET",), args=lambda world: [world.personas.group.pk]),
    ViewCase("accounts:account_create", SCOPED_WRITE, ("GET", "POST"), args=lambda world: [world.personas.group.pk],
             post=lambda world: account_create_data()),
    ViewCase("accounts:account_detail", SCOPED_READ, ("GET",), args=lambda world: [world.account.pk]),
    ViewCase("accounts:account_edit", SCOPED_WRITE, ("GET", "POST"), args=lambda world: [world.account.pk],
             post=lambda world: account_edit_data(world.account, owner="Someone Else")),
    ViewCase("accounts:account_enable", SCOPED_WRITE, ("GET", "POST"), args=lambda world: [world.disabled_account.pk],
             post=lambda world: {}),
    ViewCase("accounts:account_disable", SCOPED_WRITE, ("GET", "POST"), args=lambda world: [world.account.pk],
             post=lambda world: {}),
    ViewCase("accounts:account_delete", SCOPED_WRITE, ("GET", "POST"), args=lambda world: [world.account.pk],
             post=lambda world: {}),
    ViewCase("operator_list", ADMINISTRATOR, ("GET",)),
    ViewCase("operator_create", ADMINISTRATOR, ("GET", "POST"),
             post=lambda world: {"username": "newcomer", "role": "operator", "is_active": "on"}),
    ViewCase("operator_edit", ADMINISTRATOR, ("GET", "POST"), args=lambda world: [world.personas.auditor.pk],
             post=lambda world: {"role": "auditor", "email": "aude@example.com", "is_active": "on",
                                 "account_groups": [str(world.personas.group.pk)]}),
    ViewCase("operator_reset_password", ADMINISTRATOR, ("GET", "POST"), args=lambda world: [world.personas.operator.pk],
             post=lambda world: {}),
    ViewCase("two_factor", ANY_LOGIN, ("GET",)),
    ViewCase("two_factor_recovery_codes", ANY_LOGIN, ("GET",)),
    ViewCase("operator_reset_two_factor", ADMINISTRATOR, ("GET", "POST"), args=lambda world: [world.personas.operator.pk],
             post=lambda world: {}),
    ViewCase("sign_in_policy", ADMINISTRATOR, ("POST",), post=lambda world: {"require_two_factor": "on"}),
    ViewCase("api_token_list", ANY_LOGIN, ("GET",)),
    ViewCase("api_token_admin_list", ADMINISTRATOR, ("GET",)),
    ViewCase("api_docs", ANY_LOGIN, ("GET",)),
    ViewCase("accounts:account_search", ANY_LOGIN, ("GET",)),
    ViewCase("accounts:registration_list", ANY_LOGIN, ("GET",)),
    ViewCase("accounts:batch_template", ANY_LOGIN, ("GET",)),
    ViewCase("accounts:batch_export_search", ANY_LOGIN, ("GET",)),
    ViewCase("accounts:batch_export", SCOPED_READ, ("GET",), args=lambda world: [world.personas.group.pk]),
    ViewCase("accounts:batch_upload", SCOPED_WRITE, ("GET",), args=lambda world: [world.personas.group.pk]),
    ViewCase("activation:profile_list", ADMINISTRATOR, ("GET",)),
    ViewCase("activation:profile_create", ADMINISTRATOR, ("GET",)),
    ViewCase("activation:account_wizard", SCOPED_WRITE, ("GET",), args=lambda world: [world.personas.group.pk]),
    ViewCase("activation:sms_send_installation", SCOPED_WRITE, ("GET",), args=lambda world: [world.account.pk]),
    ViewCase("activation:sms_send_activation", SCOPED_WRITE, ("GET",), args=lambda world: [world.account.pk]),
    ViewCase("activation:sms_list", ANY_LOGIN, ("GET",)),
    ViewCase("licensing:licence_list", ANY_LOGIN, ("GET",)),
    ViewCase("licensing:licence_clear", SCOPED_WRITE, ("GET", "POST"), args=lambda world: [world.account.pk],
             post=lambda world: {}),
    ViewCase("licensing:licence_revoke_keys", SCOPED_WRITE, ("GET", "POST"), args=lambda world: [world.account.pk],
             post=lambda world: {}),
    ViewCase("fleet:bulk_list", ANY_LOGIN, ("GET",)),
    ViewCase("login_throttle_list", ADMINISTRATOR, ("GET",)),
    ViewCase("login_throttle_clear", ADMINISTRATOR, ("GET", "POST"), args=lambda world: [world.throttle.pk],
             post=lambda world: {}),
    ViewCase("audit_list", ADMINISTRATOR, ("GET",)),
    ViewCase("session_log", ADMINISTRATOR, ("GET",)),
    ViewCase("services", ADMINISTRATOR, ("GET", "POST"), post=_services),
]
# Public by design: the login page and its code step, and logging out (harmless, and needed by everyone).
PUBLIC_VIEWS = {"login", "login_code", "logout"}
# Every other URL of the project without a row above, and where its access is proven instead.
COVERED_ELSEWHERE = {
    "client_licence": "public: the client web service, tests/licensing (credentials per request)",
    "client_openapi": "public: the client web service's schema",
    "healthz": "public: the reachability probe",
    "favicon.ico": "public: a redirect to a static file",
    "activation_public:*": "public: the customer pages, authorised by their one-time link (tests/activation)",
    "api_*": "the REST API: tests/api/test_permission_matrix.py, which covers its every endpoint",
    "^.*$": "the REST API's problem+json 404 for any other address under it: tests/api",
    "api_token_revoke": "an operator's own token: tests/api/test_tokens.py",
    "accounts:batch_job": "an import job's pages: tests/batch/test_views.py",
    "accounts:batch_commit": "an import job's pages: tests/batch/test_views.py",
    "accounts:batch_progress": "an import job's pages: tests/batch/test_views.py",
    "activation:profile_edit": "a profile's pages: tests/activation/test_profiles.py",
    "activation:profile_delete": "a profile's pages: tests/activation/test_profiles.py",
    "activation:sms_test": "the Services page's test SMS: tests/activation/test_sms_views.py",
    "fleet:bulk_confirm": "a selection's bulk action: tests/fleet/test_bulk_views.py",
    "fleet:bulk_run": "a selection's bulk action: tests/fleet/test_bulk_views.py",
    "fleet:bulk_batch": "a batch's pages: tests/fleet/test_bulk_views.py",
    "fleet:bulk_progress": "a batch's pages: tests/fleet/test_bulk_views.py",
    "fleet:bulk_cancel": "a batch's pages: tests/fleet/test_bulk_views.py",
    "fleet:group_delete_emptying": "deleting a group with its accounts: tests/fleet/test_group_delete.py",
}


def refusal(case: ViewCase, persona: str) -> int | str | None:
    """What `persona` gets from `case`: None when allowed, else the status code (or the login page)."""
    if persona == "anonymous":
        return LOGIN_REDIRECT
    if case.access == ANY_LOGIN:
        return None
    if case.access == ADMINISTRATOR:
        return None if persona == "administrator" else 403
    if persona == "outsider":
        return 404
    if case.access == SCOPED_WRITE and persona == "auditor":
        return 403
    return None


@pytest.fixture
def world(personas) -> World:
    return build_world(personas)


def build_world(personas) -> World:
    """The objects every row of VIEWS acts on (also the pages the accessibility tests open)."""
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services import account_set_enabled
    from console.audit import Actor
    from console.models import LoginThrottle
    from groups.models import Group
    from licensing.models import Licence

    account = make_account(personas.group, owner="Marco Rossi")
    # A licence bound to a device: clearing it, or revoking its keys, changes something.
    Licence.objects.filter(account=account).update(device_id="phone-1", state=Licence.State.VALID, bound_at=timezone.now())
    disabled = make_account(personas.group, owner="Dora Spenta")
    account_set_enabled(actor=Actor.system(), account_id=disabled.pk, enabled=False)
    empty_group = Group.objects.create(name="Empty Co")
    for member in (personas.operator, personas.auditor):
        member.account_groups.add(empty_group)
    disabled.refresh_from_db()
    TOTPDevice.objects.create(user=personas.operator, name="Authenticator app", confirmed=True)
    now = timezone.now()
    throttle = LoginThrottle.objects.create(scope=LoginThrottle.Scope.PAIR, username="oscar", address="203.0.113.5",
                                            failures=7, last_failure_at=now, blocked_until=now)
    return World(personas=personas, account=account, disabled_account=disabled, empty_group=empty_group, throttle=throttle)


def _client(world: World, persona: str, **options) -> Client:
    client = Client(**options)
    operator = world.operator(persona)
    if operator is not None:
        client.force_login(operator)
    return client


def _assert_refused_as(response, expected, url: str) -> None:
    if expected == LOGIN_REDIRECT:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={quote(url)}"
    else:
        assert response.status_code == expected


MATRIX = [
    pytest.param(case, method, persona, id=f"{case.url_name}-{method}-{persona}")
    for case in VIEWS for method in case.methods for persona in PERSONAS
]


@pytest.mark.parametrize(("case", "method", "persona"), MATRIX)
def test_each_persona_gets_exactly_what_its_role_and_groups_allow(world, case, method, persona):
    url = case.url(world)
    client = _client(world, persona)
    expected = refusal(case, persona)
    before = database_state()
    if method == "GET":
        response = client.get(url)
        if expected is None:
            assert response.status_code in (200, 302), response.status_code
            if response.status_code == 302:
                assert not response["Location"].startswith(reverse("login"))
        else:
            _assert_refused_as(response, expected, url)
        return
    response = client.post(url, case.post(world))
    after = database_state()
    if expected is None:
        assert response.status_code == 302, getattr(response, "context", {}) and response.context.get("form").errors
        assert after != before, "an accepted submission should have changed something"
    else:
        _assert_refused_as(response, expected, url)
        assert after == before


@pytest.mark.parametrize("case", [case for case in VIEWS if case.post], ids=lambda case: case.url_name)
def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(world, case):
    url = case.url(world)
    client = _client(world, "administrator", enforce_csrf_checks=True)
    before = database_state()
    response = client.post(url, case.post(world))
    assert response.status_code == 403
    assert database_state() == before


def test_a_post_with_a_forged_csrf_token_is_refused_too(world):
    client = _client(world, "administrator", enforce_csrf_checks=True)
    client.get(reverse("groups:group_list"))
    before = database_state()
    response = client.post(reverse("groups:group_create"), {**group_data(), "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert database_state() == before


def test_a_post_with_the_page_s_csrf_token_is_accepted(world):
    """The positive control of the CSRF tests: the same client with a real token succeeds."""
    client = _client(world, "administrator", enforce_csrf_checks=True)
    page = client.get(reverse("groups:group_create"))
    token = page.context["csrf_token"]
    response = client.post(reverse("groups:group_create"), {**group_data(), "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302


@pytest.mark.parametrize("url_name", ["login", "login_code", "logout"])
def test_login_and_logout_refuse_a_post_without_a_csrf_token(db, url_name):
    from console.models import LoginAttempt

    response = Client(enforce_csrf_checks=True).post(reverse(url_name), {"username": "nobody", "password": "x"})
    assert response.status_code == 403
    assert not LoginAttempt.objects.exists()


def project_url_names(patterns=None, namespace: str = "") -> set[str]:
    """The name of every URL pattern of the project (a pattern without a name by its route)."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= project_url_names(pattern.url_patterns, inner)
        else:
            names.add(f"{namespace}{pattern.name or pattern.pattern}")
    return names


def _covered_elsewhere(name: str) -> bool:
    return any(name == key or (key.endswith("*") and name.startswith(key[:-1])) for key in COVERED_ELSEWHERE)


def test_the_matrix_covers_every_url_of_the_project():
    """A new view fails this test until it has a row above (or a line in COVERED_ELSEWHERE)."""
    covered = {case.url_name for case in VIEWS} | PUBLIC_VIEWS
    names = project_url_names()
    assert {"groups:group_list", "accounts:account_detail", "services", "fleet:bulk_list", "api_accounts"} <= names
    assert {name for name in names - covered if not _covered_elsewhere(name)} == set()
    assert {key for key in COVERED_ELSEWHERE if not any(name == key or name.startswith(key.rstrip("*")) for name in names)} == set()


def _assert_not_stored(response) -> None:
    directives = [part.strip() for part in response.get("Cache-Control", "").split(",")]
    assert "no-store" in directives, (response.status_code, response.get("Cache-Control"))


@pytest.mark.parametrize(("case", "method", "persona"), [param for param in MATRIX if param.values[2] != "anonymous"])
def test_every_response_to_a_logged_in_operator_says_no_store(world, case, method, persona):
    """Allowed or refused, nothing shown to an operator is kept by a browser or proxy cache."""
    url = case.url(world)
    client = _client(world, persona)
    response = client.get(url) if method == "GET" else client.post(url, case.post(world))
    _assert_not_stored(response)


def test_the_page_showing_a_one_time_password_is_not_stored(world):
    url = reverse("operator_reset_password", args=[world.personas.operator.pk])
    response = _client(world, "administrator").post(url, follow=True)
    assert f"New one-time password for {world.personas.operator.username} (shown once)" in response.content.decode()
    _assert_not_stored(response)
