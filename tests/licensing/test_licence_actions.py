"""Clear licence status and Revoke keys on the account page (L3): the permission matrix and the timeline."""
import pytest
from django.urls import reverse

from console.models import AuditEntry
from licensing.models import Licence
from tests.conftest import make_account
from tests.licensing.helpers import validate

ACTIONS = ["licensing:licence_clear", "licensing:licence_revoke_keys"]


@pytest.fixture
def conflicted(client, account) -> Licence:
    validate(client, account.username, "phone-A")
    validate(client, account.username, "phone-B")
    return Licence.objects.get(account=account)


def licence_row(account) -> tuple:
    return tuple(Licence.objects.filter(account=account).values_list("state", "device_id", "conflict_device_id", "keys_revoked").get())


def test_an_operator_of_the_group_clears_a_conflict_and_the_timeline_records_it(client_for, personas, account, conflicted):
    response = client_for(personas.operator).post(reverse("licensing:licence_clear", args=[account.pk]), follow=True)

    assert response.status_code == 200
    assert f"Licence status of account {account.username} cleared" in response.content.decode()
    assert licence_row(account) == (Licence.State.NOT_VALIDATED, "", "", False)
    entry = AuditEntry.objects.filter(account_id=account.pk, action="licence.clear").get()
    assert entry.actor == personas.operator
    assert entry.before["state"] == "conflict" and entry.after["state"] == "not_validated"


def test_an_administrator_revokes_keys_and_the_timeline_records_it(client_for, personas, account, conflicted):
    response = client_for(personas.administrator).post(reverse("licensing:licence_revoke_keys", args=[account.pk]), follow=True)

    assert f"Keys of account {account.username} revoked" in response.content.decode()
    assert licence_row(account)[0] == Licence.State.REVOKED and licence_row(account)[3] is True
    assert AuditEntry.objects.filter(account_id=account.pk, action="licence.revoke_keys", actor=personas.administrator).count() == 1


def test_revoking_twice_is_refused_with_a_message_and_records_nothing_more(client_for, personas, account):
    operator = client_for(personas.operator)
    url = reverse("licensing:licence_revoke_keys", args=[account.pk])
    operator.post(url)

    response = operator.post(url, follow=True)

    assert "already revoked" in response.content.decode()
    assert AuditEntry.objects.filter(account_id=account.pk, action="licence.revoke_keys").count() == 1


def test_clearing_a_licence_with_nothing_to_clear_says_so(client_for, personas, account):
    response = client_for(personas.operator).post(reverse("licensing:licence_clear", args=[account.pk]), follow=True)

    assert "nothing to clear" in response.content.decode()
    assert not AuditEntry.objects.filter(account_id=account.pk, action="licence.clear").exists()


@pytest.mark.parametrize("url_name", ACTIONS)
def test_an_auditor_gets_403_and_nothing_changes(client_for, personas, account, conflicted, url_name):
    before = licence_row(account)

    response = client_for(personas.auditor).post(reverse(url_name, args=[account.pk]))

    assert response.status_code == 403
    assert licence_row(account) == before


@pytest.mark.parametrize("url_name", ACTIONS)
def test_an_operator_of_another_group_gets_404_and_nothing_changes(client_for, personas, account, conflicted, url_name):
    before = licence_row(account)

    response = client_for(personas.outsider).post(reverse(url_name, args=[account.pk]))

    assert response.status_code == 404
    assert licence_row(account) == before


@pytest.mark.parametrize("url_name", ACTIONS)
def test_anonymous_is_sent_to_the_login_page_and_nothing_changes(client_for, account, conflicted, url_name):
    before = licence_row(account)

    response = client_for(None).post(reverse(url_name, args=[account.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert licence_row(account) == before


@pytest.mark.parametrize("url_name", ACTIONS)
def test_without_javascript_a_get_shows_a_confirmation_page_that_changes_nothing(client_for, personas, account, conflicted, url_name):
    before = licence_row(account)

    response = client_for(personas.operator).get(reverse(url_name, args=[account.pk]))

    assert response.status_code == 200
    assert f'action="{reverse(url_name, args=[account.pk])}"' in response.content.decode()
    assert licence_row(account) == before


def test_the_account_page_offers_both_actions_to_writers_only(client_for, personas, account):
    url = reverse("accounts:account_detail", args=[account.pk])
    operator_page = client_for(personas.operator).get(url).content.decode()
    auditor_page = client_for(personas.auditor).get(url).content.decode()

    for url_name in ACTIONS:
        action_url = reverse(url_name, args=[account.pk])
        assert f'action="{action_url}"' in operator_page
        assert action_url not in auditor_page


def test_the_account_page_shows_the_licence_and_the_conflicting_device(client_for, personas, account, conflicted):
    page = client_for(personas.operator).get(reverse("accounts:account_detail", args=[account.pk]) + "?tab=configuration")
    text = page.content.decode()

    assert "Conflict" in text and "phone-A" in text and "phone-B" in text
    assert "Licence check from device phone-B: conflict" in text


def test_another_groups_licences_are_untouched_by_a_clear(client_for, personas, conflicted, client):
    other = make_account(personas.other_group)
    validate(client, other.username, "x-1")
    validate(client, other.username, "x-2")

    client_for(personas.administrator).post(reverse("licensing:licence_clear", args=[conflicted.account_id]))

    assert licence_row(other)[0] == Licence.State.CONFLICT
