"""Moving an account to another group through the API (F3): the page's service, target check and
audit entry; the licence goes with the account; refusals change nothing."""
from console.models import AuditEntry
from groups.models import Group
from licensing.models import Licence
from tests.api.conftest import ApiClient, issue_token
from tests.api.world import data_state
from tests.conftest import make_account


def _move_url(account) -> str:
    return f"/api/v1/accounts/{account.pk}/move/"


def _group_the_operator_also_runs(personas) -> Group:
    target = Group.objects.create(name="Acme North")
    personas.operator.account_groups.add(target)
    return target


def test_a_moved_account_is_in_the_new_group_with_its_licence_numbers_and_credentials(personas, operator_api):
    account = make_account(personas.group, owner="Marco Rossi")
    Licence.objects.filter(account=account).update(device_id="phone-1", state=Licence.State.VALID)
    target = _group_the_operator_also_runs(personas)

    response = operator_api.post(_move_url(account), {"group": target.pk})

    assert response.status_code == 200, response.content
    assert response.json()["group"] == target.pk
    moved = account.__class__.objects.get(pk=account.pk)
    assert moved.group_id == target.pk
    assert (moved.username, moved.virtual_number, moved.ha1) == (account.username, account.virtual_number, account.ha1)
    assert Licence.objects.get(account=account).device_id == "phone-1"


def test_the_api_s_move_audit_entry_is_the_page_s_with_the_token_named(personas, operator_api):
    account = make_account(personas.group)
    target = _group_the_operator_also_runs(personas)

    operator_api.post(_move_url(account), {"group": target.pk})

    entry = AuditEntry.objects.get(action="account.move", account_id=account.pk)
    assert entry.before == {"group": "Acme"} and entry.after == {"group": "Acme North"}
    assert entry.group_id == target.pk and entry.message == "Moved from Acme to Acme North."
    assert entry.actor_label == "oscar (API token “billing”)"


def test_a_group_the_operator_does_not_see_is_refused_with_the_page_s_message_and_nothing_moves(personas, operator_api):
    account = make_account(personas.group)
    before = data_state()

    response = operator_api.post(_move_url(account), {"group": personas.other_group.pk})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "group", "message": "Choose the group to move the accounts to."}]
    assert data_state() == before


def test_a_missing_or_malformed_group_is_refused_and_nothing_moves(personas, operator_api):
    account = make_account(personas.group)
    before = data_state()
    for body in ({}, {"group": "abc"}, {"group": -1}, {"group": None}, ["not", "an", "object"]):
        response = operator_api.post(_move_url(account), body)
        assert response.status_code == 400, (body, response.content)
    assert data_state() == before


def test_moving_an_account_into_its_own_group_says_so_and_changes_nothing(personas, operator_api):
    account = make_account(personas.group)
    before = data_state()

    response = operator_api.post(_move_url(account), {"group": personas.group.pk})

    assert response.status_code == 400
    assert response.json()["detail"] == "Nothing was done: the account is already in Acme."
    assert data_state() == before


def test_another_group_s_account_is_not_found_and_a_read_only_token_is_refused(personas):
    theirs = make_account(personas.other_group)
    mine = make_account(personas.group)
    target = _group_the_operator_also_runs(personas)
    operator_api = ApiClient(issue_token(personas.operator))
    read_only_api = ApiClient(issue_token(personas.operator, name="reports", read_only=True))
    before = data_state()

    outsider = operator_api.post(_move_url(theirs), {"group": target.pk})
    read_only = read_only_api.post(_move_url(mine), {"group": target.pk})

    assert outsider.status_code == 404 and read_only.status_code == 403
    assert read_only.json()["detail"] == "This API token is read-only."
    assert data_state() == before
