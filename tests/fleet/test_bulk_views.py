"""The bulk-action pages (F1, F2) through the permission matrix: the list's bar, the confirmation
naming the count and consequence, the run, the outcome report, progress and cancel."""
import pytest
from django.urls import reverse

from accounts.models import Account
from fleet.models import BulkBatch
from fleet.selection import Selection
from fleet.services import bulk_start
from tests.fleet.conftest import fingerprints

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_group_list_offers_a_checkbox_per_row_and_all_matching_to_writers_only(personas, fleet, client_for):
    url = reverse("accounts:account_list", args=[personas.group.pk])
    page = client_for(personas.operator).get(url, {"q": "rossi"}).content.decode()
    assert page.count('name="ids"') == 6 and "Select this page" in page and "Apply to all 6 matching" in page
    page = client_for(personas.auditor).get(url).content.decode()
    assert 'name="ids"' not in page and "bulk-form" not in page


def test_the_confirmation_names_the_count_and_the_consequence(personas, fleet, client_for):
    response = client_for(personas.operator).get(reverse("fleet:bulk_confirm"), {
        "action": "disable", "scope": "all", "group": personas.group.pk, "q": "rossi"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Disable 6 accounts</strong>: their registrations are dropped" in page
    assert Account.objects.filter(enabled=False).count() == 0


def test_confirming_disables_all_matching_and_shows_the_report(personas, fleet, client_for):
    client = client_for(personas.operator)
    response = client.post(reverse("fleet:bulk_run"), {"action": "disable", "scope": "all", "q": "rossi"})
    batch = BulkBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("fleet:bulk_batch", args=[batch.pk])
    assert set(Account.objects.filter(enabled=False).values_list("pk", flat=True)) == {a.pk for a in fleet.mine}
    report = client.get(response["Location"]).content.decode()
    assert "disabled 6 of 6 accounts, 0 skipped" in report
    assert all(account.username in report for account in fleet.mine)


def test_a_large_delete_asks_for_the_count_and_a_wrong_one_changes_nothing(personas, fleet, client_for):
    client = client_for(personas.operator)
    params = {"action": "delete", "scope": "all", "group": personas.group.pk, "q": "rossi"}
    assert "Type the number of accounts, 6" in client.get(reverse("fleet:bulk_confirm"), params).content.decode()
    response = client.post(reverse("fleet:bulk_run"), {**params, "typed_count": "7"}, follow=True)
    assert "nothing was done" in response.content.decode()
    assert Account.objects.count() == 11 and not BulkBatch.objects.exists()


def test_export_of_the_ticked_rows_downloads_them_only(personas, fleet, client_for):
    response = client_for(personas.operator).get(reverse("fleet:bulk_confirm"), {
        "action": "export", "scope": "selected", "group": personas.group.pk, "ids": [fleet.mine[0].pk, fleet.theirs[0].pk]})
    body = b"".join(response.streaming_content).decode()
    assert fleet.mine[0].username in body and fleet.theirs[0].username not in body and fleet.mine[1].username not in body


def test_anonymous_is_sent_to_login_and_an_auditor_is_refused(personas, fleet, client_for):
    before = fingerprints(fleet.mine)
    params = {"action": "disable", "scope": "all", "group": personas.group.pk}
    assert client_for(None).post(reverse("fleet:bulk_run"), params).status_code == 302
    assert client_for(None).get(reverse("fleet:bulk_confirm"), params)["Location"].startswith(reverse("login"))
    assert client_for(personas.auditor).post(reverse("fleet:bulk_run"), params).status_code == 403
    assert client_for(personas.auditor).get(reverse("fleet:bulk_confirm"), params).status_code == 403
    assert fingerprints(fleet.mine) == before and not BulkBatch.objects.exists()


def test_another_groups_list_is_not_found_and_its_batch_report_neither(personas, fleet, client_for):
    before = fingerprints(fleet.mine)
    outsider = client_for(personas.outsider)
    params = {"action": "disable", "scope": "all", "group": personas.group.pk, "q": "acme"}
    assert outsider.get(reverse("fleet:bulk_confirm"), params).status_code == 404
    assert outsider.post(reverse("fleet:bulk_run"), params).status_code == 404
    response = outsider.post(reverse("fleet:bulk_run"), {**params, "group": ""}, follow=True)
    assert "No account matches" in response.content.decode()  # every group the outsider sees: none of these
    assert fingerprints(fleet.mine) == before
    batch = bulk_start(operator=personas.operator, action="enable", selection=Selection(account_ids=(fleet.mine[0].pk,)), parameters={})
    assert outsider.get(reverse("fleet:bulk_batch", args=[batch.pk])).status_code == 404
    assert outsider.post(reverse("fleet:bulk_cancel", args=[batch.pk])).status_code == 404
    assert client_for(personas.administrator).get(reverse("fleet:bulk_batch", args=[batch.pk])).status_code == 200


def test_a_get_cannot_run_an_action_and_an_unknown_action_is_refused(personas, fleet, client_for):
    client = client_for(personas.operator)
    assert client.get(reverse("fleet:bulk_run"), {"action": "disable", "scope": "all"}).status_code == 405
    response = client.post(reverse("fleet:bulk_run"), {"action": "explode", "scope": "all"}, follow=True)
    assert "Choose one of the listed actions" in response.content.decode()
    response = client.get(reverse("fleet:bulk_confirm"), {"action": "explode", "scope": "all"}, follow=True)
    assert response.status_code == 200 and "pick an action" in response.content.decode()
    assert Account.objects.filter(enabled=False).count() == 0


def test_a_malformed_search_is_explained_and_nothing_is_done(personas, fleet, client_for):
    response = client_for(personas.operator).post(reverse("fleet:bulk_run"), {"action": "disable", "scope": "all", "q": "owner:(rossi"}, follow=True)
    assert response.status_code == 200 and "the search is not valid" in response.content.decode()
    assert Account.objects.filter(enabled=False).count() == 0


def test_the_list_of_bulk_actions_shows_an_operator_their_own_and_an_administrator_all(personas, fleet, client_for):
    mine = bulk_start(operator=personas.operator, action="disable", selection=Selection(account_ids=(fleet.mine[0].pk,)), parameters={})
    theirs = bulk_start(operator=personas.outsider, action="disable", selection=Selection(account_ids=(fleet.theirs[0].pk,)), parameters={})
    url = reverse("fleet:bulk_list")
    assert [batch.pk for batch in client_for(personas.operator).get(url).context["page"]] == [mine.pk]
    assert [batch.pk for batch in client_for(personas.administrator).get(url).context["page"]] == [theirs.pk, mine.pk]
    assert client_for(None).get(url).status_code == 302
