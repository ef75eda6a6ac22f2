"""Deleting a group that holds accounts (F3): move them first, or delete them with it after typing
its name; and moving one account from its page."""
import pytest
from django.urls import reverse

from accounts.models import Account
from console.models import AuditEntry
from fleet.models import BulkBatch
from groups.models import Group
from licensing.models import Licence
from tests.fleet.conftest import fingerprints

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_delete_page_of_a_group_with_accounts_offers_to_move_them_or_delete_them_with_it(personas, fleet, client_for):
    response = client_for(personas.administrator).get(reverse("groups:group_delete", args=[personas.group.pk]))
    page = response.content.decode()
    assert "holds <strong>7 accounts</strong>" in page
    assert "Move 7 accounts and delete the group" in page and "Type the group's name, <strong>Acme</strong>" in page
    assert "Globex" in page  # a group to move them to


def test_moving_the_accounts_then_deleting_the_group(personas, fleet, client_for):
    client = client_for(personas.administrator)
    response = client.post(reverse("fleet:group_delete_emptying", args=[personas.group.pk]),
                           {"how": "move", "target_group": personas.other_group.pk})
    batch = BulkBatch.objects.get()
    assert response["Location"] == reverse("fleet:bulk_batch", args=[batch.pk])
    assert not Group.objects.filter(pk=personas.group.pk).exists()
    assert Account.objects.filter(group=personas.other_group).count() == 11
    assert "Group “Acme” was deleted." in client.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="group.delete", group_id=personas.group.pk).exists()


def test_deleting_the_group_with_its_accounts_needs_its_exact_name(personas, fleet, client_for):
    client = client_for(personas.administrator)
    url = reverse("fleet:group_delete_emptying", args=[personas.group.pk])
    before = fingerprints(fleet.mine)
    response = client.post(url, {"how": "delete", "typed_name": "acme"}, follow=True)
    assert "Type the group&#x27;s name, Acme, exactly: nothing was deleted." in response.content.decode()
    assert fingerprints(fleet.mine) == before and Group.objects.filter(pk=personas.group.pk).exists()

    client.post(url, {"how": "delete", "typed_name": "Acme"})

    assert not Group.objects.filter(pk=personas.group.pk).exists()
    assert Account.objects.count() == 4 and Licence.objects.count() == 4
    assert AuditEntry.objects.filter(action="account.delete").count() == 7


def test_only_administrators_delete_groups_and_a_refused_request_changes_nothing(personas, fleet, client_for):
    before = fingerprints(fleet.mine)
    url = reverse("fleet:group_delete_emptying", args=[personas.group.pk])
    assert client_for(personas.operator).post(url, {"how": "delete", "typed_name": "Acme"}).status_code == 403
    assert client_for(personas.auditor).post(url, {"how": "delete", "typed_name": "Acme"}).status_code == 403
    assert client_for(None).post(url, {"how": "delete", "typed_name": "Acme"}).status_code == 302
    assert client_for(personas.administrator).post(url, {"how": "move", "target_group": personas.group.pk}).status_code == 302
    assert fingerprints(fleet.mine) == before and Group.objects.filter(pk=personas.group.pk).exists()


def test_a_refused_plain_delete_of_a_group_with_accounts_leads_to_the_choices(personas, fleet, client_for):
    response = client_for(personas.administrator).post(reverse("groups:group_delete", args=[personas.group.pk]))
    assert response["Location"] == reverse("groups:group_delete", args=[personas.group.pk])
    assert Group.objects.filter(pk=personas.group.pk).exists()


def test_one_account_moves_from_its_page(personas, fleet, client_for):
    target = Group.objects.create(name="Acme North")
    personas.operator.account_groups.add(target)
    client = client_for(personas.operator)
    account = fleet.mine[0]
    detail = client.get(reverse("accounts:account_detail", args=[account.pk])).content.decode()
    assert "Move to another group" in detail
    confirm = client.get(reverse("fleet:bulk_confirm"), {"action": "move", "scope": "selected", "group": personas.group.pk, "ids": account.pk})
    assert "Move 1 account</strong>: their licence" in confirm.content.decode() and "Acme North" in confirm.content.decode()

    client.post(reverse("fleet:bulk_run"), {"action": "move", "scope": "selected", "group": personas.group.pk, "ids": account.pk,
                                            "target_group": target.pk})

    assert Account.objects.get(pk=account.pk).group_id == target.pk
    assert Account.objects.filter(group=personas.group).count() == 6
