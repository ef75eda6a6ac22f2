"""Every edit form round-trips in a real browser (O7): an object with every field filled, saved
without touching anything, keeps every stored value, writes nothing and says "No changes"; each
field changed alone changes exactly that value in the database and shows once in the audit log,
before -> after (secrets only as "[changed]"). The wizard, a create form, stores what was typed.

Each form is described by a `FormCase`: how to fill its object, how to read the object's stored
rows, and the edits an operator makes, one field at a time.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.access_lists import parse_entries
from accounts.models import Account, SearchChange
from accounts.services import account_create
from activation.models import ProvisioningProfile
from console.audit import Actor
from console.models import AuditEntry, Operator, ServiceSettings
from groups.models import Group
from licensing.models import Licence
from tests.conftest import DESKTOP, PHONE, log_in, make_operator, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

BOOKKEEPING = {"version", "updated_at"}
SECRET = object()  # a secret's before: not recorded at all
SECRET_SHOWN = (SECRET, "[changed]")


@dataclass(frozen=True)
class Edit:
    """One field changed alone: what the operator does (name, how, value) in the form, the audit
    key and its expected before -> after, and the stored columns that change."""

    key: str
    actions: tuple[tuple[str, str, Any], ...]
    before: Any
    after: Any
    columns: frozenset[str]


def edit(key: str, how: str, value: Any, before: Any, after: Any, columns: set[str] | None = None, name: str | None = None) -> Edit:
    return Edit(key, ((name or key, how, value),), before, after, frozenset(columns or {key}))


@dataclass
class FormCase:
    url: str
    button: str
    stored: Callable[[], dict[str, Any]]
    edits: list[Edit]


def _row(model, pk: int, prefix: str = "") -> dict[str, Any]:
    values = model.objects.filter(pk=pk).values().get()
    return {f"{prefix}{key}": value for key, value in values.items()}


def _changed_columns(before: dict, after: dict) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key) and key.split(".")[-1] not in BOOKKEEPING}


def _do(page, actions) -> None:
    for name, how, value in actions:
        widget = page.locator(f"main form [name='{name}']") if how != "uncheck_value" else page.locator(f"input[name='{name}'][value='{value}']")
        if how == "fill":
            widget.fill(value)
        elif how == "select":
            widget.select_option(value)
        elif how == "check":
            widget.set_checked(value)
        elif how == "uncheck_value":
            widget.set_checked(False)


def _submit(page, case: FormCase, actions=()) -> None:
    """Open the form, do `actions` (none: save it as shown) and save, waiting for the answer."""
    page.goto(case.url)
    _do(page, actions)
    with page.expect_navigation():
        page.get_by_role("button", name=case.button, exact=True).click()


def _new_entries(known: set[int]) -> list[AuditEntry]:
    return list(AuditEntry.objects.exclude(pk__in=known))


def check_round_trip(browser_page, username: str, case: FormCase) -> None:
    """Logged in as `username` on a desktop: save unchanged: nothing written, "No changes"; then
    each edit alone: exactly that change, in the database and in one audit entry."""
    page = browser_page(size=DESKTOP)
    log_in(page, username)
    stored, known, search_rows = case.stored(), set(AuditEntry.objects.values_list("pk", flat=True)), SearchChange.objects.count()
    _submit(page, case)
    assert case.stored() == stored, _changed_columns(stored, case.stored())
    assert _new_entries(known) == []
    assert SearchChange.objects.count() == search_rows
    expect(page.locator(".alert").first).to_contain_text("No changes")
    for change in case.edits:
        stored, known = case.stored(), set(AuditEntry.objects.values_list("pk", flat=True))
        _submit(page, case, change.actions)
        expect(page.locator(".alert-success").first).to_contain_text("updated")
        now = case.stored()
        assert _changed_columns(stored, now) == change.columns, change.key
        entries = _new_entries(known)
        assert len(entries) == 1, (change.key, [entry.action for entry in entries])
        before = {} if change.before is SECRET else {change.key: change.before}
        assert (entries[0].before, entries[0].after) == (before, {change.key: change.after}), change.key


def _profile(name: str, **fields) -> ProvisioningProfile:
    return ProvisioningProfile.objects.create(name=name, **fields)


def _account_case(live_url: str, group: Group, standard: ProvisioningProfile, roaming: ProvisioningProfile) -> tuple[Account, FormCase]:
    expired_on = timezone.localdate() - timedelta(days=40)
    rules = [*parse_entries("allow", "192.168.0.38/255.255.255.255 10.0.0.0/8"), *parse_entries("deny", "0.0.0.0/0.0.0.0")]
    account = account_create(
        actor=Actor.system(), group=group, password="s3cret-pass", access_rules=rules,
        licence_edition=Licence.Edition.ENTERPRISE, licence_valid_until=expired_on,
        fields={
            "username": "4100000001", "virtual_number": "+390211111111", "secondary_number": "+390222222222",
            "owner": "Marco Rossi", "caller_id": '"Marco Rossi" <+39021234567>', "email": "marco@example.com",
            # Stored with a bare line feed (as the API or a CSV import stores it); a browser sends CRLF.
            "description": "First line\nSecond line", "account_type": Account.AccountType.PGSM,
            "security_model": Account.SecurityModel.END_TO_SITE, "obfuscation": False, "obfuscation_key": 17,
            "keepalive": True, "profile": standard,
        },
    )
    assert Licence.objects.get(account=account).state == Licence.State.EXPIRED

    def stored() -> dict:
        licence = Licence.objects.filter(account=account).values("edition", "valid_until", "state", "device_id").get()
        rules = list(account.access_rules.order_by("action", "position").values_list("action", "network", "as_typed", "position"))
        return {**_row(Account, account.pk, "account."), **{f"licence.{k}": v for k, v in licence.items()}, "rules": rules}

    new_date = expired_on - timedelta(days=3)
    edits = [
        edit("owner", "fill", "Giulia Verdi", "Marco Rossi", "Giulia Verdi", {"account.owner"}),
        edit("caller_id", "fill", "Giulia <+39021234568>", '"Marco Rossi" <+39021234567>', "Giulia <+39021234568>", {"account.caller_id"}),
        edit("email", "fill", "giulia@example.com", "marco@example.com", "giulia@example.com", {"account.email"}),
        edit("description", "fill", "Other\nlines", "First line\nSecond line", "Other\nlines", {"account.description"}),
        edit("account_type", "select", "snom", "pgsm", "snom", {"account.account_type"}),
        edit("security_model", "select", "end_to_end", "end_to_site", "end_to_end", {"account.security_model"}),
        edit("obfuscation", "check", True, False, True, {"account.obfuscation"}),
        edit("obfuscation_key", "fill", "23", 17, 23, {"account.obfuscation_key"}),
        edit("keepalive", "check", False, True, False, {"account.keepalive"}),
        edit("profile", "select", str(roaming.pk), "Standard", "Roaming", {"account.profile_id"}),
        edit("licence_edition", "select", "professional", "enterprise", "professional", {"licence.edition"}),
        edit("licence_valid_until", "fill", new_date.isoformat(), expired_on.isoformat(), new_date.isoformat(), {"licence.valid_until"}),
        edit("allow", "fill", "10.0.0.0/8\n172.16.0.0/12", "192.168.0.38/255.255.255.255, 10.0.0.0/8", "10.0.0.0/8, 172.16.0.0/12", {"rules"}),
        edit("deny", "fill", "203.0.113.7", "0.0.0.0/0.0.0.0", "203.0.113.7", {"rules"}),
        Edit("password", (("password1", "fill", "An0ther-secret"), ("password2", "fill", "An0ther-secret")),
             *SECRET_SHOWN, frozenset({"account.ha1", "account.ha1_sha256"})),
    ]
    url = live_url + reverse("accounts:account_edit", args=[account.pk])
    return account, FormCase(url, "Update", stored, edits)


def test_the_account_form_round_trips_every_stored_value_and_audits_each_change(browser_page, live_server, personas):
    standard = _profile("Standard", sip_port=5061)
    roaming = _profile("Roaming", sip_port=5062)
    account, case = _account_case(live_server.url, personas.group, standard, roaming)
    check_round_trip(browser_page, personas.operator.username, case)

    licence = Licence.objects.get(account=account)
    assert licence.state == Licence.State.EXPIRED  # edited, never turned valid by a save
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        view = browser_page(size=size)
        log_in(view, personas.operator.username)
        view.goto(case.url)
        expect(view.locator("input[name=licence_valid_until]")).to_have_value(licence.valid_until.isoformat())
        screenshot(view, f"account_edit_form_{label}")
        view.goto(reverse("accounts:account_detail", args=[account.pk]) + "?tab=activity")
        timeline = view.locator("#tab-activity")
        expect(timeline).to_contain_text("Owner")
        expect(timeline.locator("dd", has_text="Giulia Verdi").first).to_contain_text("Marco Rossi → Giulia Verdi")
        expect(timeline).to_contain_text("Licence valid until")
        screenshot(view, f"account_timeline_before_after_{label}")


def test_the_group_form_round_trips_and_audits_each_change(browser_page, live_server, personas):
    standard, roaming = _profile("Standard"), _profile("Roaming")
    group = Group.objects.create(name="Initech", admin_email="it@initech.example", description="First line\nSecond line", profile=standard)
    case = FormCase(
        live_server.url + reverse("groups:group_edit", args=[group.pk]), "Update", lambda: _row(Group, group.pk),
        [
            edit("name", "fill", "Initech Italia", "Initech", "Initech Italia"),
            edit("admin_email", "fill", "ops@initech.example", "it@initech.example", "ops@initech.example"),
            edit("description", "fill", "One line", "First line\nSecond line", "One line"),
            edit("profile", "select", str(roaming.pk), "Standard", "Roaming", {"profile_id"}),
        ],
    )
    check_round_trip(browser_page, personas.administrator.username, case)


def test_the_provisioning_profile_form_round_trips_and_audits_each_change(browser_page, live_server, personas):
    ProvisioningProfile.objects.update(is_default=False)  # the installation's default, when the database has it
    _profile("Standard", is_default=True)
    profile = _profile(
        "Roaming", sip_host="sip.example.net", sip_port=5062, transport="tcp", support_phone="+390200000000",
        support_email="help@example.net", client_logging=True, readonly_settings=False, oem_licence_code="OEM-1234",
        ios_download_url="https://apps.example.net/ios", android_download_url="https://apps.example.net/android",
    )
    case = FormCase(
        live_server.url + reverse("activation:profile_edit", args=[profile.pk]), "Update", lambda: _row(ProvisioningProfile, profile.pk),
        [
            edit("name", "fill", "Roaming EU", "Roaming", "Roaming EU"),
            edit("sip_host", "fill", "sip2.example.net", "sip.example.net", "sip2.example.net"),
            edit("sip_port", "fill", "5063", 5062, 5063),
            edit("transport", "select", "udp", "tcp", "udp"),
            edit("support_phone", "fill", "+390299999999", "+390200000000", "+390299999999"),
            edit("support_email", "fill", "support@example.net", "help@example.net", "support@example.net"),
            edit("client_logging", "check", False, True, False),
            edit("readonly_settings", "check", True, False, True),
            edit("oem_licence_code", "fill", "OEM-5678", "OEM-1234", "OEM-5678"),
            edit("ios_download_url", "fill", "https://apps.example.net/ios2", "https://apps.example.net/ios", "https://apps.example.net/ios2"),
            edit("android_download_url", "fill", "https://apps.example.net/a2", "https://apps.example.net/android", "https://apps.example.net/a2"),
            edit("is_default", "check", True, False, True),
            edit("sms_language", "select", "it", "en-gb", "it"),
        ],
    )
    check_round_trip(browser_page, personas.administrator.username, case)


def test_the_operator_form_round_trips_and_audits_each_change(browser_page, live_server, personas):
    operator = make_operator("olivia", Operator.Role.OPERATOR, [personas.group, personas.other_group])
    Operator.objects.filter(pk=operator.pk).update(first_name="Olivia", last_name="Neri", email="olivia@example.com")

    def stored() -> dict:
        groups = sorted(Operator.objects.get(pk=operator.pk).account_groups.values_list("name", flat=True))
        return {**_row(Operator, operator.pk), "groups": groups}

    case = FormCase(
        live_server.url + reverse("operator_edit", args=[operator.pk]), "Update", stored,
        [
            edit("first_name", "fill", "Livia", "Olivia", "Livia"),
            edit("last_name", "fill", "Bruni", "Neri", "Bruni"),
            edit("email", "fill", "livia@example.com", "olivia@example.com", "livia@example.com"),
            edit("role", "select", "auditor", "operator", "auditor"),
            edit("groups", "uncheck_value", str(personas.other_group.pk), ["Acme", "Globex"], ["Acme"], name="account_groups"),
            edit("is_active", "check", False, True, False),
            edit("language", "select", "it", "", "it"),
        ],
    )
    check_round_trip(browser_page, personas.administrator.username, case)


def test_the_services_settings_form_round_trips_and_audits_each_change(browser_page, live_server, personas):
    # Loopback addresses where nothing listens: the page's live checks fail fast.
    ServiceSettings.objects.create(
        pk=1, public_base_url="http://127.0.0.1:9/console", sip_server_host="sip.example.net", sip_server_port=5061,
        sms_backend="kannel", sms_gateway_url="http://127.0.0.1:9/cgi-bin/sendsms", sms_username="console",
        sms_password="gateway-secret", sms_sender="SIPConsole", kamailio_rpc_url="http://127.0.0.1:9/RPC",
    )
    case = FormCase(
        live_server.url + reverse("services"), "Save", lambda: _row(ServiceSettings, 1),
        [
            edit("public_base_url", "fill", "http://127.0.0.1:9/c2", "http://127.0.0.1:9/console", "http://127.0.0.1:9/c2"),
            edit("sip_server_host", "fill", "sip2.example.net", "sip.example.net", "sip2.example.net"),
            edit("sip_server_port", "fill", "5062", 5061, 5062),
            edit("sms_backend", "select", "http", "kannel", "http"),
            edit("sms_gateway_url", "fill", "http://127.0.0.1:9/send", "http://127.0.0.1:9/cgi-bin/sendsms", "http://127.0.0.1:9/send"),
            edit("sms_username", "fill", "console2", "console", "console2"),
            edit("sms_password", "fill", "new-gateway-secret", *SECRET_SHOWN),
            edit("sms_sender", "fill", "Voice", "SIPConsole", "Voice"),
            edit("kamailio_rpc_url", "fill", "http://127.0.0.1:9/RPC2", "http://127.0.0.1:9/RPC", "http://127.0.0.1:9/RPC2"),
        ],
    )
    check_round_trip(browser_page, personas.administrator.username, case)
    assert ServiceSettings.load().sms_password == "new-gateway-secret"


def test_the_wizard_stores_every_submitted_value_unchanged(browser_page, live_server, personas):
    _profile("Standard")
    roaming = _profile("Roaming")
    page = browser_page()
    log_in(page, personas.operator.username)
    page.goto(reverse("activation:account_wizard", args=[personas.group.pk]))
    typed = {"owner": "Anna Conti", "email": "anna@example.com", "virtual_number": "+390233333333",
             "description": "Sales, Milan office"}
    _do(page, [(name, "fill", value) for name, value in typed.items()])
    _do(page, [("security_model", "select", "end_to_site"), ("profile", "select", str(roaming.pk))])
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".alert").first).to_contain_text("created the wizard way")
    account = Account.objects.get(virtual_number=typed["virtual_number"])
    assert {name: getattr(account, name) for name in typed} == typed
    assert (account.security_model, account.profile_id, account.account_type) == ("end_to_site", roaming.pk, "pgsm")
    assert (account.enabled, account.creation_method) == (False, "wizard")
    created = AuditEntry.objects.get(action="account.create", account_id=account.pk)
    assert {name: created.after[name] for name in typed} == typed
