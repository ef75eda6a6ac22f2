"""Property tests of the account forms posted through the views (A2, A5): whatever an operator
types, the console answers without a server error, and input that breaks a rule is never stored.

Each example starts from a valid form and breaks up to three fields with arbitrary text; the
rules are read independently here (`_breaks_a_rule`) rather than borrowed from the form.
"""
import ipaddress
import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.access_lists import parse_entries
from accounts.models import AccessRule, Account
from accounts.services import account_create
from activation.models import ProvisioningProfile
from console.audit import Actor
from console.errors import ServiceError
from console.models import AuditEntry
from licensing.models import Licence
from tests.conftest import make_account
from tests.console.payloads import form_as_submitted
from tests.console.state import rolled_back

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
typed_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
printable = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)
digits = st.text("0123456789", min_size=6, max_size=16)
networks = st.one_of(
    st.sampled_from(["10.0.0.0/8", "192.168.0.38/255.255.255.255", "172.16.0.0/12", "2001:db8::/32", "0.0.0.0/0.0.0.0",
                     "203.0.113.7", "::1"]),
    st.builds(lambda value, prefix: str(ipaddress.ip_network((value, prefix), strict=False)),
              st.integers(0, 2**32 - 1), st.integers(0, 32)),
)
TAKEN_USERNAME, TAKEN_NUMBER = "123456789", "+39061234567"
VALID = {
    "username": st.one_of(digits, st.just(TAKEN_USERNAME), st.just("")),
    "password": st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=("Cs",)), min_size=8, max_size=30),
    "virtual_number": st.one_of(st.builds(lambda number: f"+{number}", st.text("0123456789", min_size=6, max_size=15)),
                                st.just("+39 06 123-4567")),
    "secondary_number": st.one_of(st.just(""), st.builds(lambda number: f"+{number}", st.text("0123456789", min_size=6, max_size=15))),
    "account_type": st.sampled_from(["pgsm", "snom"]),
    "security_model": st.sampled_from(["end_to_end", "end_to_site"]),
    "obfuscation": st.sampled_from(["on", None]),
    "obfuscation_key": st.integers(0, 2**31 - 1).map(str),
    "owner": printable,
    "caller_id": st.one_of(st.just(""), printable, st.just('"Marco Rossi" <+39021234567>')),
    "email": st.one_of(st.just(""), st.emails().filter(lambda email: len(email) <= 254)),
    "description": printable,
    "licence_edition": st.sampled_from(["professional", "enterprise"]),
    "licence_valid_until": st.one_of(st.just(""), st.dates(date(2000, 1, 1), date(2100, 1, 1)).map(date.isoformat)),
    "allow": st.lists(networks, max_size=3).map("\n".join),
    "deny": st.lists(networks, max_size=3).map(", ".join),
}
BROKEN = {
    **{field: typed_text for field in VALID},
    "obfuscation_key": st.one_of(typed_text, st.integers(-2**40, 2**40).map(str)),
    "licence_valid_until": st.one_of(typed_text, st.sampled_from(["2024-02-30", "99999-01-01", "0000-01-01"])),
    "allow": st.one_of(typed_text, st.sampled_from(["10.0.0.1/8", "0.0.0.0/²", "fe80::1%eth0", "1.2.3.4/255.0.255.0"])),
    "deny": st.one_of(typed_text, st.sampled_from(["300.0.0.1", "::/129", "10.0.0.0/8 10.0.0.0/8"])),
    "profile": st.one_of(typed_text, st.integers(-5, 2**63).map(str)),
}
CREATE_FIELDS = sorted(VALID) + ["profile"]
EDIT_FIELDS = sorted(set(CREATE_FIELDS) - {"username", "virtual_number", "secondary_number"}) + ["version"]


@st.composite
def submissions(draw, fields: list[str]) -> dict:
    broken = draw(st.lists(st.sampled_from(fields), max_size=3, unique=True))
    values = {}
    for field in fields:
        if field in broken:
            values[field] = draw(BROKEN.get(field, typed_text))
        elif field in VALID:
            values[field] = draw(VALID[field])
        else:
            values[field] = ""
    password = values.pop("password")
    values["password1"] = password
    values["password2"] = password if "password" not in broken or draw(st.booleans()) else draw(typed_text)
    return {key: value for key, value in values.items() if value is not None}


def _has_controls(text: str, allow_tab: bool = True) -> bool:
    return any((ord(character) < 32 and not (allow_tab and character == "\t")) or ord(character) == 127 for character in text)


def _number(text: str) -> str | None:
    number = text.strip().replace(" ", "").replace("-", "")
    return number if re.fullmatch(r"\+?[0-9]{3,20}", number) else None


def _network(text: str):
    address, slash, mask = text.partition("/")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if "%" in address:
        return None
    if not slash:
        return ipaddress.ip_network(ip)
    if ip.version == 4 and "." in mask:
        try:
            bits = int(ipaddress.IPv4Address(mask))
        except ValueError:
            return None
        prefix = next((length for length in range(33) if bits == (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF), None)
        mask = str(prefix) if prefix is not None else "not contiguous"
    if re.fullmatch(r"[0-9]+", mask) and int(mask) <= ip.max_prefixlen:
        try:
            return ipaddress.ip_network(f"{address}/{int(mask)}", strict=True)
        except ValueError:
            return None
    return None


def _networks(text: str) -> set | None:
    found = set()
    for token in text.replace(",", " ").split():
        network = _network(token)
        if network is None or len(token) > 100:
            return None
        found.add(network)
    return found


def _integer(text: str) -> int | None:
    """`text` read as a whole number the way Django's forms read one (signs, "5.0", other scripts' digits)."""
    try:
        return forms.IntegerField().clean(text)
    except ValidationError:
        return None


def _names_no_profile(raw: str) -> bool:
    """Whether a submitted provisioning profile is refused: anything but nothing or the id of an
    existing profile (a fresh installation has its default one), read as a database key is read."""
    if raw == "":
        return False
    try:
        return not ProvisioningProfile.objects.filter(pk=int(raw)).exists()
    except ValueError:
        return True


def _breaks_a_rule(values: dict, *, creating: bool) -> bool:
    """The account rules (SPEC A2, A5, A6) read independently of the form's code."""
    text = {key: value.strip() if isinstance(value, str) else value for key, value in values.items()}
    if creating:
        # An empty username is generated (A2: pre-filled with a random unused number).
        if text["username"] and (not re.fullmatch(r"[0-9]{6,16}", text["username"])
                                 or Account.objects.filter(username=text["username"]).exists()):
            return True
        primary, secondary = _number(text["virtual_number"]), _number(text["secondary_number"]) if text["secondary_number"] else ""
        if primary is None or secondary is None or primary == secondary:
            return True
        for number in filter(None, (primary, secondary)):
            if Account.objects.filter(virtual_number=number).exists() or Account.objects.filter(secondary_number=number).exists():
                return True
    first, second = values["password1"], values["password2"]
    if (creating or first or second) and (first != second or len(first) < 8 or _has_controls(first, allow_tab=False)):
        return True
    if text["account_type"] not in {"pgsm", "snom"} or text["security_model"] not in {"end_to_end", "end_to_site"}:
        return True
    key = _integer(text["obfuscation_key"])
    if key is None or not 0 <= key <= 2**31 - 1:
        return True
    limits = {"owner": 100, "caller_id": 120, "description": 500}
    if any(len(text[field]) > limit or "\x00" in text[field] for field, limit in limits.items()):
        return True
    if any(ord(character) < 32 and character != "\t" for character in text["owner"] + text["caller_id"]):
        return True
    if text["email"]:
        try:
            validate_email(text["email"])
        except ValidationError:
            return True
    if text["licence_edition"] not in {"professional", "enterprise"} or _names_no_profile(values.get("profile", "")):
        return True
    if text["licence_valid_until"]:
        try:
            forms.DateField().clean(text["licence_valid_until"])  # the input formats of the locale
        except ValidationError:
            return True
    allow, deny = _networks(values["allow"]), _networks(values["deny"])
    return allow is None or deny is None or bool(allow & deny)


def _stored(account_id: int) -> tuple:
    return (
        Account.objects.filter(pk=account_id).values().get(),
        list(AccessRule.objects.filter(account_id=account_id).order_by("pk").values("action", "network", "as_typed")),
        Licence.objects.filter(account_id=account_id).values("edition", "valid_until", "state").get(),
    )


def _values(stored: tuple) -> tuple:
    """`_stored` without the bookkeeping a save moves (version, time of the update)."""
    row = {key: value for key, value in stored[0].items() if key not in ("version", "updated_at")}
    return (row, *stored[1:])


def _assert_storable(account: Account) -> None:
    account.full_clean(exclude=["ha1", "ha1_sha256"])
    for rule in account.access_rules.all():
        assert ipaddress.ip_network(rule.network, strict=True).with_prefixlen == rule.network


@PROPERTY_SETTINGS
@given(form=submissions(CREATE_FIELDS))
def test_no_account_form_input_breaks_the_create_page_or_stores_a_bad_account(personas, client_for, form):
    with rolled_back():
        make_account(personas.group, username=TAKEN_USERNAME, number=TAKEN_NUMBER)
        client = client_for(personas.operator)
        breaks_a_rule = _breaks_a_rule(form, creating=True)
        existing = list(Account.objects.values_list("pk", flat=True))
        response = client.post(reverse("accounts:account_create", args=[personas.group.pk]), form)
        assert response.status_code < 500
        event("stored" if response.status_code == 302 else "refused")
        if response.status_code == 302:
            assert not breaks_a_rule, repr(form)
            account = Account.objects.exclude(pk__in=existing).get()
            assert account.username == form["username"].strip() or not form["username"].strip()
            _assert_storable(account)
            assert account.enabled and account.status == Account.Status.CREATED
        else:
            assert response.status_code == 200
            assert Account.objects.count() == len(existing)
            assert breaks_a_rule, response.context["form"].errors


@PROPERTY_SETTINGS
@given(form=submissions(EDIT_FIELDS), right_version=st.booleans())
def test_no_account_form_input_breaks_the_edit_page_or_stores_a_bad_change(personas, client_for, form, right_version):
    with rolled_back():
        client = client_for(personas.operator)
        account = make_account(personas.group)
        if right_version or "version" not in form or not form["version"]:
            form["version"] = str(account.version)
        breaks_a_rule = _breaks_a_rule(form, creating=False) or _integer(form["version"]) != account.version
        before = _stored(account.pk)
        response = client.post(reverse("accounts:account_edit", args=[account.pk]), form)
        assert response.status_code < 500
        event("stored" if response.status_code == 302 else "refused")
        if response.status_code == 302:
            assert not breaks_a_rule, repr(form)
            account.refresh_from_db()
            _assert_storable(account)
            # A save that changes nothing writes nothing (O7): the version moves only with a change.
            assert account.version == before[0]["version"] + (_values(_stored(account.pk)) != _values(before))
            assert (account.username, account.virtual_number) == (before[0]["username"], before[0]["virtual_number"])
        else:
            assert _stored(account.pk) == before
            assert breaks_a_rule, response.context["form"].errors


# Values as the console stores them (its inputs trim text); a description may hold line breaks.
trimmed = printable.map(str.strip)
STORED = {
    "owner": trimmed,
    "caller_id": st.one_of(trimmed, st.just('"Marco Rossi" <+39021234567>')),
    "email": st.one_of(st.just(""), st.emails().filter(lambda email: len(email) <= 254)),
    "description": st.lists(trimmed, max_size=4).map(lambda lines: "\n".join(lines).strip()),
    "account_type": st.sampled_from(["pgsm", "snom"]),
    "security_model": st.sampled_from(["end_to_end", "end_to_site"]),
    "obfuscation": st.booleans(),
    "obfuscation_key": st.integers(0, 2**31 - 1),
    "keepalive": st.booleans(),
}


@PROPERTY_SETTINGS
@given(
    fields=st.fixed_dictionaries(STORED), with_profile=st.booleans(), edition=st.sampled_from(["professional", "enterprise"]),
    valid_until=st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 1, 1))),
    allow=st.lists(networks, max_size=3), deny=st.lists(networks, max_size=3),
)
def test_the_edit_form_saved_untouched_changes_nothing(personas, client_for, fields, with_profile, edition, valid_until, allow, deny):
    """O7: whatever an account holds, its edit form as rendered, submitted back as a browser
    submits it, stores exactly what was there and records nothing."""
    rules = [*parse_entries("allow", " ".join(allow)), *parse_entries("deny", " ".join(deny))]
    if len({rule.canonical for rule in rules}) < len(rules):
        return  # a network in both lists: the form refuses it, so no account holds one
    with rolled_back():
        profile = ProvisioningProfile.objects.first() if with_profile else None
        try:
            account = account_create(
                actor=Actor.system(), group=personas.group, password="s3cret-pass", access_rules=rules,
                licence_edition=edition, licence_valid_until=valid_until,
                fields={**fields, "username": "4200000001", "virtual_number": "+390244444444", "profile": profile},
            )
        except ServiceError:
            event("not storable")
            return
        before, audited = _stored(account.pk), AuditEntry.objects.count()
        client = client_for(personas.operator)
        url = reverse("accounts:account_edit", args=[account.pk])
        response = client.post(url, form_as_submitted(client.get(url).content.decode(), containing="version"))
        assert response.status_code == 302, response.context["form"].errors
        assert _stored(account.pk) == before
        assert AuditEntry.objects.count() == audited
