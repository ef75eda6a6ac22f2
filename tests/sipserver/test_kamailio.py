"""Kamailio authenticating from the console's database, driven by sipp (SPEC R1-R2, A6, A8, A9)."""
import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.access_lists import parse_entries
from accounts.models import Account, StatusEvent
from accounts.services import account_delete, account_set_enabled, account_update
from accounts.sipserver.rpc import check_rpc, rpc_call
from accounts.sipserver.tasks import accounts_connect_registered
from console.audit import Actor
from console.models import AuditEntry
from tests.conftest import make_account

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pass"


def location_rows(username: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM location WHERE username = %s", [username])
        return cursor.fetchone()[0]


def kamailio_contacts(kamailio, username: str) -> list:
    """The contacts Kamailio holds in memory for `username` (ul.lookup)."""
    try:
        result = rpc_call(kamailio.rpc_url, "ul.lookup", ["location", username])
    except Exception as error:
        if "not found" in str(error).lower():
            return []
        raise
    return (result or {}).get("Contacts", [])


def test_the_right_password_registers_and_the_client_shows_on_the_registered_clients_page(personas, register, client_for):
    account = make_account(personas.group, owner="Marco Rossi", caller_id='"Marco" <+3902555>')

    assert register([(account.username, PASSWORD)]) == {account.username: "200"}

    response = client_for(personas.operator).get(reverse("accounts:registration_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert account.username in page and "Marco Rossi" in page and "127.0.0.1" in page and "sipp console-test" in page
    registration = response.context["page"].object_list[0]
    assert registration.username == account.username
    assert timezone.now() + timedelta(seconds=290) < registration.expires < timezone.now() + timedelta(seconds=305)
    assert Account.objects.with_registration_state().get(pk=account.pk).registered_now is True


def test_a_registration_is_shown_only_to_operators_who_may_see_the_account(personas, register, client_for):
    account = make_account(personas.group)
    assert register([(account.username, PASSWORD)]) == {account.username: "200"}

    outsider_page = client_for(personas.outsider).get(reverse("accounts:registration_list"))
    administrator_page = client_for(personas.administrator).get(reverse("accounts:registration_list"))

    assert account.username not in outsider_page.content.decode()
    assert "No client is registered right now." in outsider_page.content.decode()
    assert account.username in administrator_page.content.decode()


def test_a_wrong_password_is_challenged_again_and_never_registers(personas, register):
    account = make_account(personas.group)

    assert register([(account.username, "not-the-password")]) == {account.username: "401"}
    assert location_rows(account.username) == 0


def test_an_unknown_username_never_registers(personas, register):
    assert register([("4999999999", PASSWORD)]) == {"4999999999": "401"}


def test_a_disabled_account_is_refused_with_403(personas, register):
    account = make_account(personas.group)
    account_set_enabled(actor=Actor.system(), account_id=account.pk, enabled=False)

    assert register([(account.username, PASSWORD)]) == {account.username: "403"}
    assert location_rows(account.username) == 0


def test_a_source_on_the_deny_list_is_refused_with_403_and_other_sources_register(personas, register):
    account = make_account(personas.group)
    account_update(
        actor=Actor.system(), account_id=account.pk, expected_version=account.version, fields={},
        access_rules=parse_entries("deny", "127.0.0.2/255.255.255.255"),
    )

    assert register([(account.username, PASSWORD)], source="127.0.0.2") == {account.username: "403"}
    assert register([(account.username, PASSWORD)], source="127.0.0.1") == {account.username: "200"}


def test_an_allow_listed_account_is_refused_from_an_unlisted_source(personas, register):
    account = make_account(personas.group)
    account_update(
        actor=Actor.system(), account_id=account.pk, expected_version=account.version, fields={},
        access_rules=parse_entries("allow", "127.0.0.1"),
    )

    assert register([(account.username, PASSWORD)], source="127.0.0.2") == {account.username: "403"}
    assert register([(account.username, PASSWORD)], source="127.0.0.1") == {account.username: "200"}


def test_the_most_specific_entry_decides_at_the_sip_server(personas, register):
    account = make_account(personas.group)
    rules = parse_entries("deny", "0.0.0.0/0.0.0.0") + parse_entries("allow", "127.0.0.2/32")
    account_update(actor=Actor.system(), account_id=account.pk, expected_version=account.version, fields={}, access_rules=rules)

    assert register([(account.username, PASSWORD)], source="127.0.0.1") == {account.username: "403"}
    assert register([(account.username, PASSWORD)], source="127.0.0.2") == {account.username: "200"}


def test_a_change_of_the_access_lists_applies_to_the_next_register(personas, register):
    account = make_account(personas.group)
    assert register([(account.username, PASSWORD)], source="127.0.0.2") == {account.username: "200"}

    account_update(
        actor=Actor.system(), account_id=account.pk, expected_version=account.version, fields={},
        access_rules=parse_entries("deny", "127.0.0.2"),
    )

    assert register([(account.username, PASSWORD)], source="127.0.0.2") == {account.username: "403"}


def test_disabling_an_account_drops_its_live_registration_at_the_sip_server(personas, register, sip_server):
    account = make_account(personas.group)
    assert register([(account.username, PASSWORD)]) == {account.username: "200"}
    assert len(kamailio_contacts(sip_server, account.username)) == 1

    account_set_enabled(actor=Actor.of(personas.operator), account_id=account.pk, enabled=False)

    assert kamailio_contacts(sip_server, account.username) == []
    assert location_rows(account.username) == 0
    assert Account.objects.with_registration_state().get(pk=account.pk).registered_now is False


def test_deleting_an_account_drops_its_live_registration_at_the_sip_server(personas, register, sip_server):
    account = make_account(personas.group)
    assert register([(account.username, PASSWORD)]) == {account.username: "200"}

    account_delete(actor=Actor.of(personas.operator), account_id=account.pk)

    assert kamailio_contacts(sip_server, account.username) == []
    assert location_rows(account.username) == 0


def test_disabling_still_succeeds_when_the_sip_server_cannot_be_reached(personas, register, settings, caplog):
    account = make_account(personas.group)
    assert register([(account.username, PASSWORD)]) == {account.username: "200"}
    settings.KAMAILIO_RPC_URL = "http://127.0.0.1:9/RPC"  # the discard port: nothing listens there

    with caplog.at_level(logging.WARNING, logger="accounts.sipserver.rpc"):
        account_set_enabled(actor=Actor.of(personas.operator), account_id=account.pk, enabled=False)

    assert Account.objects.get(pk=account.pk).enabled is False
    assert f"Could not drop the registrations of {account.username}" in caplog.text
    assert location_rows(account.username) == 1


def test_the_first_registration_moves_the_account_to_connected_with_the_registration_date(personas, register):
    account = make_account(personas.group)
    before = timezone.now().replace(microsecond=0)
    assert register([(account.username, PASSWORD)]) == {account.username: "200"}
    after = timezone.now()

    assert accounts_connect_registered() == 1

    account.refresh_from_db()
    assert account.status == Account.Status.CONNECTED
    assert before <= account.status_changed_at <= after
    event = StatusEvent.objects.get(account=account, status=Account.Status.CONNECTED)
    assert event.at == account.status_changed_at and "registered from 127.0.0.1" in event.cause
    entry = AuditEntry.objects.get(account_id=account.pk, action="account.status")
    assert entry.actor_kind == AuditEntry.ActorKind.SIP_SERVER and entry.after == {"status": "connected"}
    assert accounts_connect_registered() == 0


def test_a_registration_older_than_the_last_status_change_does_not_reconnect(personas, register):
    account = make_account(personas.group)
    assert register([(account.username, PASSWORD)]) == {account.username: "200"}
    Account.objects.filter(pk=account.pk).update(
        status=Account.Status.ACTIVATION_SMS_SENT, status_changed_at=timezone.now() + timedelta(seconds=2)
    )

    assert accounts_connect_registered() == 0
    assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVATION_SMS_SENT


def test_the_live_check_reports_kamailio_and_an_unreachable_address(sip_server):
    reachable, message = check_rpc(sip_server.rpc_url)
    unreachable, problem = check_rpc("http://127.0.0.1:9/RPC")

    assert reachable is True and "kamailio 5." in message
    assert unreachable is False and "not reachable" in problem
