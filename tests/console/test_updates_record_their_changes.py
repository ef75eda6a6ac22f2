"""What an update records (O3, O7): the one diff helper (`console.audit.changed_only`) and every
update service built on it. Each field changed alone appears once in the audit entry, with its
before and after; a secret only as "[changed]"; an update that changes nothing writes nothing."""
import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.access_lists import parse_entries
from accounts.models import Account, SearchChange
from accounts.services import account_update
from activation.models import ProvisioningProfile
from activation.services import profile_update
from console.audit import CHANGED, Actor, Secret, changed_only
from console.models import AuditEntry, Operator, ServiceSettings
from console.services import operator_update, service_settings_update
from groups.models import Group
from groups.services import group_update
from licensing.models import Licence
from tests.conftest import make_account, make_operator

ACTOR = Actor.system()


def test_equal_snapshots_have_no_changes():
    values = {"owner": "Marco", "enabled": True, "password": Secret.of("s3cret")}
    changes = changed_only(values, dict(values))
    assert changes.fields == [] and changes.before == {} and changes.after == {}


def test_only_the_keys_that_differ_are_kept_with_their_old_and_new_values():
    changes = changed_only({"owner": "Marco", "email": "", "gone": 1}, {"owner": "Giulia", "email": "", "new": None})
    assert changes.before == {"owner": "Marco", "gone": 1}
    assert changes.after == {"owner": "Giulia", "gone": None}


def test_a_changed_secret_shows_only_as_changed_and_never_its_value_or_fingerprint():
    changes = changed_only({"password": Secret.of("old-secret")}, {"password": Secret.of("new-secret")})
    assert (changes.before, changes.after) == ({}, {"password": CHANGED})
    assert changed_only({"password": Secret.of("old")}, {"password": Secret.of("")}).after == {"password": None}
    assert changed_only({"password": None}, {"password": Secret.of("first")}).after == {"password": CHANGED}
    text = json.dumps(changes)
    assert "secret" not in text and Secret.of("new-secret").fingerprint not in text


def test_merged_changes_keep_both_sides():
    merged = changed_only({"a": 1}, {"a": 2}).merged(changed_only({"b": "x"}, {"b": "y"}))
    assert (merged.before, merged.after, merged.fields) == ({"a": 1, "b": "x"}, {"a": 2, "b": "y"}, ["a", "b"])


def _only_new_entry(known: set[int]) -> AuditEntry:
    entries = list(AuditEntry.objects.exclude(pk__in=known))
    assert len(entries) == 1, [entry.action for entry in entries]
    return entries[0]


def _known() -> set[int]:
    return set(AuditEntry.objects.values_list("pk", flat=True))


@pytest.fixture
def profiles(db):
    return ProvisioningProfile.objects.create(name="Standard"), ProvisioningProfile.objects.create(name="Roaming")


@pytest.fixture
def full_account(personas, profiles):
    account = make_account(
        personas.group, owner="Marco Rossi", caller_id='"Marco" <+39021234567>', email="marco@example.com",
        description="Line one\nLine two", security_model=Account.SecurityModel.END_TO_SITE, obfuscation=False,
        obfuscation_key=17, keepalive=True, profile=profiles[0],
    )
    account_update(actor=ACTOR, account_id=account.pk, expected_version=account.version, fields={},
                   access_rules=[*parse_entries("allow", "10.0.0.0/8"), *parse_entries("deny", "203.0.113.7")],
                   licence_edition=Licence.Edition.ENTERPRISE, licence_valid_until=date(2030, 1, 31))
    return Account.objects.get(pk=account.pk)


ACCOUNT_FIELDS = [
    ("owner", "Giulia Verdi", "Marco Rossi", "Giulia Verdi"),
    ("caller_id", "Giulia <+39021234568>", '"Marco" <+39021234567>', "Giulia <+39021234568>"),
    ("email", "giulia@example.com", "marco@example.com", "giulia@example.com"),
    ("description", "One line", "Line one\nLine two", "One line"),
    ("account_type", "snom", "pgsm", "snom"),
    ("security_model", "end_to_end", "end_to_site", "end_to_end"),
    ("obfuscation", True, False, True),
    ("obfuscation_key", 23, 17, 23),
    ("keepalive", False, True, False),
]


@pytest.mark.parametrize(("field", "value", "before", "after"), ACCOUNT_FIELDS, ids=[case[0] for case in ACCOUNT_FIELDS])
def test_each_account_field_changed_alone_is_recorded_once_before_and_after(full_account, field, value, before, after):
    known, version = _known(), full_account.version
    account_update(actor=ACTOR, account_id=full_account.pk, expected_version=version, fields={field: value})
    entry = _only_new_entry(known)
    assert (entry.action, entry.before, entry.after) == ("account.update", {field: before}, {field: after})
    assert Account.objects.get(pk=full_account.pk).version == version + 1


def test_the_provisioning_profile_is_recorded_by_name(full_account, profiles):
    known = _known()
    account_update(actor=ACTOR, account_id=full_account.pk, expected_version=full_account.version, fields={"profile": profiles[1]})
    entry = _only_new_entry(known)
    assert (entry.before, entry.after) == ({"profile": "Standard"}, {"profile": "Roaming"})


def test_licence_edition_and_validity_from_the_account_form_are_recorded_with_the_state_they_cause(full_account):
    known = _known()
    account_update(actor=ACTOR, account_id=full_account.pk, expected_version=full_account.version, fields={},
                   licence_edition=Licence.Edition.PROFESSIONAL)
    entry = _only_new_entry(known)
    assert (entry.action, entry.before, entry.after) == ("account.update", {"licence_edition": "enterprise"}, {"licence_edition": "professional"})

    known, past = _known(), timezone.localdate() - timedelta(days=1)
    account_update(actor=ACTOR, account_id=full_account.pk, expected_version=full_account.version + 1, fields={},
                   licence_valid_until=past)
    entry = _only_new_entry(known)
    assert entry.before == {"licence_valid_until": "2030-01-31", "licence_state": "not_validated"}
    assert entry.after == {"licence_valid_until": past.isoformat(), "licence_state": "expired"}
    assert Licence.objects.get(account=full_account).state == Licence.State.EXPIRED


def test_an_update_that_names_no_validity_keeps_the_licence_end_date(full_account):
    account_update(actor=ACTOR, account_id=full_account.pk, expected_version=full_account.version, fields={"owner": "Someone"})
    assert Licence.objects.get(account=full_account).valid_until == date(2030, 1, 31)


def test_access_lists_are_recorded_as_typed(full_account):
    known = _known()
    account_update(actor=ACTOR, account_id=full_account.pk, expected_version=full_account.version, fields={},
                   access_rules=[*parse_entries("allow", "10.0.0.0/255.0.0.0 172.16.0.0/12"), *parse_entries("deny", "203.0.113.7")])
    entry = _only_new_entry(known)
    assert (entry.before, entry.after) == ({"allow": "10.0.0.0/8"}, {"allow": "10.0.0.0/255.0.0.0, 172.16.0.0/12"})
    typed = list(full_account.access_rules.order_by("action", "position").values_list("as_typed", flat=True))
    assert typed == ["10.0.0.0/255.0.0.0", "172.16.0.0/12", "203.0.113.7"]


def test_a_new_password_is_recorded_as_changed_without_digests(full_account):
    known = _known()
    account_update(actor=ACTOR, account_id=full_account.pk, expected_version=full_account.version, fields={}, password="An0ther-secret")
    entry = _only_new_entry(known)
    account = Account.objects.get(pk=full_account.pk)
    assert (entry.before, entry.after) == ({}, {"password": "[changed]"})
    text = json.dumps([entry.before, entry.after, entry.message])
    assert account.ha1 not in text and account.ha1_sha256 not in text and "An0ther-secret" not in text


def test_an_account_update_that_changes_nothing_writes_nothing(full_account):
    before = Account.objects.filter(pk=full_account.pk).values().get()
    licence = Licence.objects.filter(account=full_account).values().get()
    rules = list(full_account.access_rules.values())
    known, search_rows = _known(), SearchChange.objects.count()
    same = {field: getattr(full_account, field) for field, *_ in ACCOUNT_FIELDS}
    account_update(
        actor=ACTOR, account_id=full_account.pk, expected_version=full_account.version, fields={**same, "profile": full_account.profile},
        password="s3cret-pass",  # the password it already has: the same digests
        access_rules=[*parse_entries("allow", "10.0.0.0/8"), *parse_entries("deny", "203.0.113.7")],
        licence_edition=Licence.Edition.ENTERPRISE, licence_valid_until=date(2030, 1, 31),
    )
    assert Account.objects.filter(pk=full_account.pk).values().get() == before
    assert Licence.objects.filter(account=full_account).values().get() == licence
    assert list(full_account.access_rules.values()) == rules
    assert (_known(), SearchChange.objects.count()) == (known, search_rows)


GROUP_FIELDS = [
    ("name", "Initech Italia", "Initech", "Initech Italia"),
    ("admin_email", "ops@initech.example", "it@initech.example", "ops@initech.example"),
    ("description", "Milan", "Line one\nLine two", "Milan"),
]


@pytest.mark.parametrize(("field", "value", "before", "after"), GROUP_FIELDS, ids=[case[0] for case in GROUP_FIELDS])
def test_each_group_field_changed_alone_is_recorded_once(db, profiles, field, value, before, after):
    group = Group.objects.create(name="Initech", admin_email="it@initech.example", description="Line one\nLine two", profile=profiles[0])
    known = _known()
    group_update(actor=ACTOR, group_id=group.pk, expected_version=1, **{field: value})
    entry = _only_new_entry(known)
    assert (entry.action, entry.before, entry.after) == ("group.update", {field: before}, {field: after})


def test_a_group_update_that_changes_nothing_writes_nothing(db, profiles):
    group = Group.objects.create(name="Initech", admin_email="it@initech.example", profile=profiles[0])
    row, known = Group.objects.filter(pk=group.pk).values().get(), _known()
    saved = group_update(actor=ACTOR, group_id=group.pk, expected_version=1, name="Initech", admin_email="it@initech.example",
                         description="", profile=profiles[0])
    assert saved.version == 1 and Group.objects.filter(pk=group.pk).values().get() == row and _known() == known


PROFILE_FIELDS = [
    ("name", "Roaming EU"), ("sip_host", "sip2.example.net"), ("sip_port", 5063), ("transport", "udp"),
    ("support_phone", "+390299999999"), ("support_email", "support@example.net"), ("client_logging", False),
    ("readonly_settings", True), ("oem_licence_code", "OEM-5678"), ("ios_download_url", "https://apps.example.net/i2"),
    ("android_download_url", "https://apps.example.net/a2"), ("is_default", True), ("sms_language", "it"),
]


@pytest.mark.parametrize(("field", "value"), PROFILE_FIELDS, ids=[case[0] for case in PROFILE_FIELDS])
def test_each_profile_field_changed_alone_is_recorded_once(db, field, value):
    profile = ProvisioningProfile.objects.create(
        name="Roaming", sip_host="sip.example.net", sip_port=5062, transport="tcp", support_phone="+390200000000",
        support_email="help@example.net", client_logging=True, readonly_settings=False, oem_licence_code="OEM-1234",
        ios_download_url="https://apps.example.net/ios", android_download_url="https://apps.example.net/android",
    )
    before = getattr(profile, field)
    known = _known()
    profile_update(actor=ACTOR, profile_id=profile.pk, expected_version=1, fields={field: value})
    entry = _only_new_entry(known)
    assert (entry.action, entry.before, entry.after) == ("profile.update", {field: before}, {field: value})
    assert known == _known() - {entry.pk}
    unchanged = profile_update(actor=ACTOR, profile_id=profile.pk, expected_version=2, fields={field: value})
    assert unchanged.version == 2 and _known() == known | {entry.pk}


OPERATOR_FIELDS = [
    ("first_name", "Livia", "Olivia", "Livia"), ("last_name", "Bruni", "Neri", "Bruni"),
    ("email", "livia@example.com", "olivia@example.com", "livia@example.com"), ("role", "auditor", "operator", "auditor"),
    ("is_active", False, True, False), ("language", "it", "", "it"),
]


@pytest.mark.parametrize(("field", "value", "before", "after"), OPERATOR_FIELDS, ids=[case[0] for case in OPERATOR_FIELDS])
def test_each_operator_field_changed_alone_is_recorded_once(personas, field, value, before, after):
    operator = make_operator("olivia", Operator.Role.OPERATOR, [personas.group])
    Operator.objects.filter(pk=operator.pk).update(first_name="Olivia", last_name="Neri", email="olivia@example.com")
    known = _known()
    operator_update(actor=ACTOR, operator_id=operator.pk, expected_version=1, **{field: value})
    entry = _only_new_entry(known)
    assert (entry.action, entry.before, entry.after) == ("operator.update", {field: before}, {field: after})


def test_an_operator_s_groups_are_recorded_by_name_and_an_unchanged_save_writes_nothing(personas):
    operator = make_operator("olivia", Operator.Role.OPERATOR, [personas.group, personas.other_group])
    known = _known()
    saved = operator_update(actor=ACTOR, operator_id=operator.pk, expected_version=1, groups=[personas.group, personas.other_group],
                            role=Operator.Role.OPERATOR, is_active=True)
    assert saved.version == 1 and _known() == known
    operator_update(actor=ACTOR, operator_id=operator.pk, expected_version=1, groups=[personas.group])
    entry = _only_new_entry(known)
    assert (entry.before, entry.after) == ({"groups": ["Acme", "Globex"]}, {"groups": ["Acme"]})


def test_a_stale_operator_form_is_refused_and_changes_nothing(personas):
    from console.errors import StaleEditError

    operator = make_operator("olivia", Operator.Role.OPERATOR, [personas.group])
    operator_update(actor=ACTOR, operator_id=operator.pk, expected_version=1, first_name="Olivia")
    with pytest.raises(StaleEditError):
        operator_update(actor=ACTOR, operator_id=operator.pk, expected_version=1, first_name="Other")
    assert Operator.objects.get(pk=operator.pk).first_name == "Olivia"


SERVICE_FIELDS = [
    ("public_base_url", "https://clients2.example.net"), ("sip_server_host", "sip2.example.net"), ("sip_server_port", 5062),
    ("sms_backend", "http"), ("sms_gateway_url", "https://sms2.example.net/send"), ("sms_username", "console2"),
    ("sms_sender", "Voice"), ("kamailio_rpc_url", "http://rpc2.example.net/RPC"),
]


@pytest.fixture
def services_row(db):
    return ServiceSettings.objects.create(
        pk=1, public_base_url="https://clients.example.net", sip_server_host="sip.example.net", sip_server_port=5061,
        sms_backend="kannel", sms_gateway_url="https://sms.example.net/send", sms_username="console",
        sms_password="gateway-secret", sms_sender="SIPConsole", kamailio_rpc_url="http://rpc.example.net/RPC",
    )


@pytest.mark.parametrize(("field", "value"), SERVICE_FIELDS, ids=[case[0] for case in SERVICE_FIELDS])
def test_each_services_setting_changed_alone_is_recorded_once(services_row, field, value):
    before, known = getattr(services_row, field), _known()
    service_settings_update(actor=ACTOR, expected_version=1, **{field: value})
    entry = _only_new_entry(known)
    assert (entry.action, entry.before, entry.after) == ("services.update", {field: before}, {field: value})


def test_the_sms_gateway_password_is_recorded_only_as_changed(services_row):
    known = _known()
    saved = service_settings_update(actor=ACTOR, expected_version=1, sms_password="gateway-secret")
    assert saved.version == 1 and _known() == known
    service_settings_update(actor=ACTOR, expected_version=1, sms_password="new-gateway-secret")
    entry = _only_new_entry(known)
    assert (entry.before, entry.after) == ({}, {"sms_password": "[changed]"})
    assert "gateway-secret" not in json.dumps([entry.before, entry.after])


def test_an_untouched_save_leaves_a_licence_past_its_date_to_the_worker(full_account):
    """The licence's end date passed but the worker has not marked it Expired yet: saving the
    account without touching its validity changes nothing (the worker records the expiry)."""
    Licence.objects.filter(account=full_account).update(valid_until=timezone.localdate() - timedelta(days=1))
    known = _known()
    account_update(actor=ACTOR, account_id=full_account.pk, expected_version=full_account.version, fields={},
                   licence_edition=Licence.Edition.ENTERPRISE, licence_valid_until=timezone.localdate() - timedelta(days=1))
    assert Licence.objects.get(account=full_account).state == Licence.State.NOT_VALIDATED
    assert _known() == known and Account.objects.get(pk=full_account.pk).version == full_account.version
