"""Bulk batches through their services (F1, F2): each action on a selection, per-account audit
entries tied to the batch, skipped accounts with their reasons, the typed count of a delete."""
import pytest
from django.urls import reverse

from accounts.models import Account
from activation.models import ProvisioningProfile, SmsMessage
from console.errors import ServiceError
from console.models import AuditEntry
from fleet.models import BulkBatch, BulkItem
from fleet.selection import Selection
from fleet.services import bulk_parameters, bulk_start
from licensing.models import Licence
from tests.conftest import make_account
from tests.fleet.conftest import fingerprints

# The search index sees committed accounts only.
pytestmark = pytest.mark.django_db(transaction=True)

ACTION_PARAMETERS = {
    "enable": {}, "disable": {}, "send_installation_sms": {}, "send_activation_sms": {}, "clear_licence": {},
    "change_profile": "profile", "move": "group", "delete": {},
}


def _parameters(action, personas, operator):
    kind = ACTION_PARAMETERS[action]
    if kind == "profile":
        profile = ProvisioningProfile.objects.create(name="Field staff")
        return bulk_parameters(operator=operator, action=action, profile_id=str(profile.pk))
    if kind == "group":
        target = personas.group.__class__.objects.create(name="Acme North")
        operator.account_groups.add(target)
        return bulk_parameters(operator=operator, action=action, group_id=str(target.pk))
    return {}


@pytest.mark.parametrize("action", list(ACTION_PARAMETERS))
def test_an_operators_all_matching_search_touches_no_account_of_another_group(action, personas, fleet):
    """The search `rossi` matches accounts of both groups; the operator of Acme acts on all matching."""
    Licence.objects.filter(account__in=fleet.mine + fleet.theirs).update(device_id="phone-1", state=Licence.State.VALID)
    Account.objects.filter(pk__in=[a.pk for a in fleet.theirs]).update(enabled=False)
    before = fingerprints(fleet.theirs + [fleet.bystander])
    parameters = _parameters(action, personas, personas.operator)

    batch = bulk_start(operator=personas.operator, action=action, selection=Selection(q="rossi"), parameters=parameters,
                       typed_count=len(fleet.mine))

    assert batch.state == BulkBatch.State.DONE and batch.total == len(fleet.mine)
    assert set(batch.items.values_list("account_id", flat=True)) == {a.pk for a in fleet.mine}
    assert fingerprints(fleet.theirs + [fleet.bystander]) == before


def test_disabling_a_selection_records_one_entry_per_account_tied_to_the_batch(personas, fleet):
    ticked = fleet.mine[:3]
    batch = bulk_start(operator=personas.operator, action="disable",
                       selection=Selection(group_id=personas.group.pk, account_ids=tuple(a.pk for a in ticked)), parameters={})

    assert not Account.objects.filter(pk__in=[a.pk for a in ticked], enabled=True).exists()
    assert Account.objects.filter(pk__in=[a.pk for a in fleet.mine[3:]], enabled=True).count() == 3
    entries = AuditEntry.objects.filter(action="account.disable", account_id__in=[a.pk for a in ticked])
    assert entries.count() == 3
    assert all(entry.actor == personas.operator and f"Bulk action #{batch.pk}." in entry.message for entry in entries)
    batch_entries = AuditEntry.objects.filter(object_type="bulkbatch", object_id=batch.pk).order_by("pk")
    assert [entry.action for entry in batch_entries] == ["bulk.disable", "bulk.finish"]
    assert batch_entries[0].after["accounts"] == 3 and batch_entries[0].actor == personas.operator
    assert "disabled 3 of 3 accounts, 0 skipped" in batch_entries[1].message


def test_a_second_disable_skips_the_accounts_already_disabled_and_says_so(personas, fleet):
    selection = Selection(group_id=personas.group.pk, account_ids=(fleet.mine[0].pk, fleet.mine[1].pk))
    bulk_start(operator=personas.operator, action="disable", selection=Selection(group_id=personas.group.pk, account_ids=(fleet.mine[0].pk,)), parameters={})

    batch = bulk_start(operator=personas.operator, action="disable", selection=selection, parameters={})

    assert (batch.done, batch.skipped) == (1, 1)
    assert BulkItem.objects.get(batch=batch, account_id=fleet.mine[0].pk).reason == "already disabled"


def test_sms_are_queued_for_those_who_can_receive_them_and_the_others_are_skipped_with_the_reason(personas, fleet):
    snom = make_account(personas.group, owner="Rossi desk", number="+390244400001", account_type=Account.AccountType.SNOM)
    national = make_account(personas.group, owner="Rossi national", number="0244400002")

    batch = bulk_start(operator=personas.operator, action="send_installation_sms",
                       selection=Selection(group_id=personas.group.pk, q="rossi"), parameters={})

    assert (batch.total, batch.done, batch.skipped) == (8, 6, 2)
    queued = SmsMessage.objects.filter(purpose=SmsMessage.Purpose.INSTALLATION)
    assert sorted(queued.values_list("account_id", flat=True)) == sorted(a.pk for a in fleet.mine)
    reasons = dict(batch.items.filter(outcome=BulkItem.Outcome.SKIPPED).values_list("account_id", "reason"))
    assert "SNOM" in reasons[snom.pk] and "international format" in reasons[national.pk]
    assert AuditEntry.objects.filter(action="sms.queue", account_id=fleet.mine[0].pk).count() == 1

    again = bulk_start(operator=personas.operator, action="send_installation_sms",
                       selection=Selection(group_id=personas.group.pk, account_ids=(fleet.mine[0].pk,)), parameters={})
    assert again.skipped == 1 and queued.filter(account=fleet.mine[0]).count() == 1
    assert again.items.get().reason == "an SMS of this kind is already waiting to be sent"


def test_moving_accounts_keeps_their_licence_numbers_and_credentials(personas, fleet):
    target = personas.group.__class__.objects.create(name="Acme North")
    personas.operator.account_groups.add(target)
    moving = fleet.mine[:2]
    Licence.objects.filter(account=moving[0]).update(device_id="phone-1", state=Licence.State.VALID)
    kept = {a.pk: (a.username, a.virtual_number, a.ha1, a.ha1_sha256) for a in moving}

    bulk_start(operator=personas.operator, action="move", selection=Selection(account_ids=tuple(kept)),
               parameters=bulk_parameters(operator=personas.operator, action="move", group_id=str(target.pk)))

    for account in Account.objects.filter(pk__in=kept):
        assert account.group_id == target.pk
        assert (account.username, account.virtual_number, account.ha1, account.ha1_sha256) == kept[account.pk]
    assert Licence.objects.get(account=moving[0]).device_id == "phone-1"
    entry = AuditEntry.objects.get(action="account.move", account_id=moving[0].pk)
    assert entry.before == {"group": "Acme"} and entry.after == {"group": "Acme North"} and entry.group_id == target.pk


def test_an_operator_cannot_move_accounts_to_a_group_they_do_not_see(personas, fleet):
    with pytest.raises(ServiceError):
        bulk_parameters(operator=personas.operator, action="move", group_id=str(personas.other_group.pk))


def test_deleting_more_than_five_accounts_needs_their_number_typed(personas, fleet):
    selection = Selection(group_id=personas.group.pk, q="rossi")
    with pytest.raises(ServiceError, match="holds 6 accounts"):
        bulk_start(operator=personas.operator, action="delete", selection=selection, parameters={}, typed_count=5)
    assert Account.objects.filter(group=personas.group).count() == 7
    assert not BulkBatch.objects.exists()

    batch = bulk_start(operator=personas.operator, action="delete", selection=selection, parameters={}, typed_count=6)

    assert batch.done == 6 and list(Account.objects.filter(group=personas.group)) == [fleet.bystander]
    assert AuditEntry.objects.filter(action="account.delete").count() == 6


def test_an_empty_selection_and_an_auditor_are_refused_with_nothing_written(personas, fleet):
    with pytest.raises(ServiceError, match="No account matches"):
        bulk_start(operator=personas.operator, action="disable", selection=Selection(q="nobody"), parameters={})
    with pytest.raises(ServiceError, match="only read"):
        bulk_start(operator=personas.auditor, action="disable", selection=Selection(q="rossi"), parameters={})
    assert not BulkBatch.objects.exists() and Account.objects.filter(enabled=False).count() == 0


def test_ticked_ids_of_another_group_are_not_in_the_selection(personas, fleet):
    ids = (fleet.mine[0].pk, fleet.theirs[0].pk)
    batch = bulk_start(operator=personas.operator, action="disable", selection=Selection(account_ids=ids), parameters={})
    assert batch.total == 1
    assert Account.objects.get(pk=fleet.theirs[0].pk).enabled


def test_a_bulk_disable_records_the_entry_the_account_page_records(personas, fleet, client_for):
    by_page, by_bulk = fleet.mine[0], fleet.mine[1]
    client_for(personas.operator).post(reverse("accounts:account_disable", args=[by_page.pk]))
    batch = bulk_start(operator=personas.operator, action="disable",
                       selection=Selection(group_id=personas.group.pk, account_ids=(by_bulk.pk,)), parameters={})

    per_account = ("id", "at", "object_id", "object_repr", "account_id", "message", "message_text")
    page_entry, bulk_entry = (
        AuditEntry.objects.filter(action="account.disable", account_id=account.pk).values().get() for account in (by_page, by_bulk))
    assert {k: v for k, v in page_entry.items() if k not in per_account} == {k: v for k, v in bulk_entry.items() if k not in per_account}
    assert (bulk_entry["object_id"], bulk_entry["object_repr"], bulk_entry["message"]) == (by_bulk.pk, by_bulk.username, f"Bulk action #{batch.pk}.")
    assert bulk_entry["message_text"] == {"msgid": "Bulk action #%(batch)s.", "values": {"batch": batch.pk}}
    assert (page_entry["object_type"], page_entry["before"], page_entry["after"]) == ("account", {"enabled": True}, {"enabled": False})
