"""The home page is the dashboard (F4): the funnel and stuck accounts in the operator's scope, per
group, licences and failed SMS; exact counts from a fixed number of queries."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from activation.models import SmsMessage
from licensing.models import Licence
from tests.conftest import make_account

Status = Account.Status


@pytest.fixture
def lifecycle(personas):
    """Acme: 2 created (1 for 5 days), 3 activation SMS sent (2 for 4 days), 1 connected;
    Globex: 4 created for 10 days."""
    def made(group, status, days=0):
        account = make_account(group)
        Account.objects.filter(pk=account.pk).update(status=status, status_changed_at=timezone.now() - timedelta(days=days))
        return account

    acme = [made(personas.group, Status.CREATED), made(personas.group, Status.CREATED, 5),
            made(personas.group, Status.ACTIVATION_SMS_SENT), made(personas.group, Status.ACTIVATION_SMS_SENT, 4),
            made(personas.group, Status.ACTIVATION_SMS_SENT, 4), made(personas.group, Status.CONNECTED, 30)]
    globex = [made(personas.other_group, Status.CREATED, 10) for _ in range(4)]
    return acme, globex


def steps(response) -> dict:
    return {step.status: step for step in response.context["steps"]}


def test_the_operators_funnel_counts_their_groups_only(personas, lifecycle, client_for):
    response = client_for(personas.operator).get(reverse("home"))
    assert response.status_code == 200 and response.context["total"] == 6
    funnel = steps(response)
    assert [funnel[s].at_step for s in Status.values] == [2, 0, 0, 0, 3, 0, 1]
    assert [funnel[s].reached for s in Status.values] == [6, 4, 4, 4, 4, 1, 1]
    assert funnel[Status.CREATED].moved_on_percent == 67 and funnel[Status.ACTIVATION_SMS_SENT].moved_on_percent == 25
    assert funnel[Status.CONNECTED].moved_on_percent is None
    assert (funnel[Status.CREATED].stuck, funnel[Status.ACTIVATION_SMS_SENT].stuck) == (1, 2)


def test_the_administrators_dashboard_counts_every_group_and_one_group_on_request(personas, lifecycle, client_for):
    client = client_for(personas.administrator)
    assert client.get(reverse("home")).context["total"] == 10
    response = client.get(reverse("home"), {"group": personas.other_group.pk, "stuck": "7"})
    assert response.context["total"] == 4 and steps(response)[Status.CREATED].stuck == 4


def test_the_stuck_list_links_to_exactly_those_accounts_and_offers_the_steps_sms(personas, lifecycle, client_for):
    acme, _ = lifecycle
    client = client_for(personas.operator)
    page = client.get(reverse("home"), {"group": personas.group.pk}).content.decode()
    list_link = f"{reverse('accounts:account_list', args=[personas.group.pk])}?status=activation_sms_sent&amp;stuck=3"
    assert list_link in page and "Re-send the activation SMS to all 2" in page and "Re-send the installation SMS to all 1" in page
    listed = client.get(list_link.replace("&amp;", "&")).context["page"]
    assert sorted(account.pk for account in listed) == sorted([acme[3].pk, acme[4].pk])


def test_licences_and_failed_sms_are_counted_in_scope(personas, lifecycle, client_for):
    acme, globex = lifecycle
    today = timezone.localdate()
    Licence.objects.filter(account__in=[acme[0], globex[0]]).update(valid_until=today + timedelta(days=10))
    Licence.objects.filter(account__in=[acme[1], globex[1]]).update(state=Licence.State.CONFLICT, conflict_device_id="x")
    now = timezone.now()
    for account, finished in ((acme[2], now - timedelta(hours=2)), (acme[3], now - timedelta(hours=30)), (globex[2], now)):
        SmsMessage.objects.create(account=account, group_id=account.group_id, purpose="activation", recipient=account.virtual_number,
                                  text="x", state=SmsMessage.State.FAILED, created_at=finished, next_attempt_at=finished, finished_at=finished)

    attention = client_for(personas.operator).get(reverse("home")).context["attention"]

    assert (attention.licences_expiring, attention.licences_conflict, attention.failed_sms) == (1, 1, 1)


def test_anonymous_goes_to_login_and_another_groups_dashboard_is_not_found(personas, lifecycle, client_for):
    assert client_for(None).get(reverse("home"))["Location"].startswith(reverse("login"))
    assert client_for(personas.outsider).get(reverse("home"), {"group": personas.group.pk}).status_code == 404
    assert client_for(personas.auditor).get(reverse("home")).status_code == 200
    assert "Re-send" not in client_for(personas.auditor).get(reverse("home")).content.decode()


def test_the_dashboard_costs_the_same_queries_for_few_and_many_accounts(personas, lifecycle, client_for):
    client = client_for(personas.operator)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for _ in range(20):
        make_account(personas.group)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(many) == len(few)
