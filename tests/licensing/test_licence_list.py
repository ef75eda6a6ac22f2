"""The licences view (L4): conflicts, expired, expiring within 30 days, activated but never validated."""
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from licensing.models import Licence
from tests.conftest import make_account
from tests.licensing.helpers import validate

LIST_URL = "/licensing/"


def wizard_activated(group, **fields) -> Account:
    account = make_account(group, **fields)
    Account.objects.filter(pk=account.pk).update(creation_method=Account.CreationMethod.WIZARD, status=Account.Status.ACTIVATED)
    return account


def set_valid_until(account, days_from_today: int) -> None:
    Licence.objects.filter(account=account).update(valid_until=timezone.localdate() + timedelta(days=days_from_today))


def listed_usernames(response) -> list[str]:
    return [licence.account.username for licence in response.context["page"]]


def test_the_list_shows_each_kind_of_licence_needing_attention_and_nothing_else(client, client_for, personas):
    conflict = make_account(personas.group, owner="Conflict")
    validate(client, conflict.username, "a")
    validate(client, conflict.username, "b")
    expired, expiring, far, fine = (make_account(personas.group) for _ in range(4))
    set_valid_until(expired, -1)
    set_valid_until(expiring, 30)
    set_valid_until(far, 31)
    never = wizard_activated(personas.group)
    validated = wizard_activated(personas.group)
    validate(client, validated.username, "c")
    plain_activated = make_account(personas.group)
    Account.objects.filter(pk=plain_activated.pk).update(status=Account.Status.ACTIVATED)

    response = client_for(personas.operator).get(LIST_URL)

    assert response.status_code == 200
    rows = {licence.account.username: licence.attention for licence in response.context["page"]}
    assert rows == {
        conflict.username: "conflict", expired.username: "expired", expiring.username: "expiring", never.username: "never_validated",
    }
    assert listed_usernames(response) == [conflict.username, expired.username, expiring.username, never.username]
    text = response.content.decode()
    assert "Activated, never validated" in text and "also tried: b" in text


def test_the_reason_filter_narrows_the_list(client, client_for, personas):
    expired, expiring = make_account(personas.group), make_account(personas.group)
    set_valid_until(expired, -3)
    set_valid_until(expiring, 2)

    response = client_for(personas.operator).get(LIST_URL, {"reason": "expiring"})

    assert listed_usernames(response) == [expiring.username]
    assert response.context["counts"]["expired"] == 1


def test_operators_see_only_their_groups_and_administrators_see_all(client_for, personas):
    mine, theirs = make_account(personas.group), make_account(personas.other_group)
    set_valid_until(mine, -1)
    set_valid_until(theirs, -1)

    assert listed_usernames(client_for(personas.operator).get(LIST_URL)) == [mine.username]
    assert listed_usernames(client_for(personas.auditor).get(LIST_URL)) == [mine.username]
    assert listed_usernames(client_for(personas.outsider).get(LIST_URL)) == [theirs.username]
    assert sorted(listed_usernames(client_for(personas.administrator).get(LIST_URL))) == sorted([mine.username, theirs.username])


def test_anonymous_is_sent_to_the_login_page(client_for, db):
    response = client_for(None).get(LIST_URL)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_list_costs_the_same_queries_for_one_row_and_for_many(client_for, personas, django_assert_num_queries):
    first = make_account(personas.group)
    set_valid_until(first, -1)
    operator = client_for(personas.operator)
    operator.get(LIST_URL)
    with CaptureQueriesContext(connection) as one_row:
        operator.get(LIST_URL)
    for _ in range(8):
        set_valid_until(make_account(personas.group), 5)

    with django_assert_num_queries(len(one_row.captured_queries)):
        response = operator.get(LIST_URL)
    assert len(response.context["page"]) == 9


def test_the_menu_links_to_the_licences_view(client_for, personas):
    page = client_for(personas.operator).get(reverse("groups:group_list")).content.decode()

    assert f'href="{reverse("licensing:licence_list")}"' in page
