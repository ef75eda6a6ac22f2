"""Account pages: the list (A1), create the plain way (A2), detail (A4), status (A9)."""
import pytest
from django.urls import reverse

from accounts.digests import sip_digests
from accounts.models import Account, StatusEvent
from console.models import AuditEntry
from tests.conftest import make_account
from tests.console.payloads import account_create_data

# Session, operator, group, COUNT, the page's ids, the page's rows, the SMS settings (whether the
# SMS buttons can work), and the session save (savepoint, update, release): the same for 1 account and for 50.
ACCOUNT_LIST_QUERIES = 9


@pytest.fixture
def operator_client(personas, client_for):
    return client_for(personas.operator)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_account_list_links_each_username_to_its_account_and_has_every_column(personas, operator_client):
    account = make_account(personas.group, owner="Marco Rossi", caller_id='"Marco" <+390212>')
    response = operator_client.get(reverse("accounts:account_list", args=[personas.group.pk]))
    page = response.content.decode()
    head = page[page.index("<thead>"):page.index("</thead>")]
    headings = ["Username", "Owner", "Caller ID", "Number", "Type", "Enabled", "Last status", "Status date", "Licence",
                "Registered", "Actions"]
    positions = [head.index(f">{heading}") for heading in headings]
    assert positions == sorted(positions)
    detail_url = reverse("accounts:account_detail", args=[account.pk])
    row = page[page.index(detail_url):]
    assert f'<a href="{detail_url}" class="account-link">{account.username}</a>' in page
    assert row.index(account.username) < row.index("Marco Rossi")
    assert "&quot;Marco&quot; &lt;+390212&gt;" in row
    assert account.virtual_number in row
    assert "Created" in row
    assert f"{account.status_changed_at:%Y-%m-%d}" in row


def test_the_account_list_shows_only_the_group_s_accounts(personas, operator_client):
    mine = make_account(personas.group)
    theirs = make_account(personas.other_group)
    response = operator_client.get(reverse("accounts:account_list", args=[personas.group.pk]))
    assert [account.pk for account in response.context["page"]] == [mine.pk]
    assert theirs.username not in response.content.decode()


@pytest.mark.parametrize(("parameters", "expected"), [
    ({"enabled": "no"}, ["400002"]),
    ({"enabled": "yes"}, ["400001", "400003"]),
    ({"type": "snom"}, ["400003"]),
    ({"status": "created"}, ["400001", "400002", "400003"]),
    ({"status": "activated"}, []),
    ({"type": "bogus"}, ["400001", "400002", "400003"]),
    ({"sort": "-username"}, ["400003", "400002", "400001"]),
    ({"sort": "owner"}, ["400003", "400001", "400002"]),
])
def test_the_account_list_filters_and_sorts(personas, operator_client, parameters, expected):
    from accounts.services import account_set_enabled
    from console.audit import Actor

    make_account(personas.group, username="400001", owner="Bruno")
    second = make_account(personas.group, username="400002", owner="Carla")
    make_account(personas.group, username="400003", owner="Anna", account_type="snom")
    account_set_enabled(actor=Actor.system(), account_id=second.pk, enabled=False)
    response = operator_client.get(reverse("accounts:account_list", args=[personas.group.pk]), parameters)
    assert [account.username for account in response.context["page"]] == expected


def test_the_account_list_is_paginated(personas, operator_client):
    for _ in range(51):
        make_account(personas.group)
    response = operator_client.get(reverse("accounts:account_list", args=[personas.group.pk]), {"page": "2"})
    assert len(response.context["page"]) == 1
    assert "Page 2 of 2" in response.content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_the_account_list_costs_the_same_queries_for_1_and_50_accounts(personas, client_for, django_assert_num_queries, count):
    for _ in range(count):
        make_account(personas.group)
    client = client_for(personas.operator)
    with django_assert_num_queries(ACCOUNT_LIST_QUERIES):
        response = client.get(reverse("accounts:account_list", args=[personas.group.pk]))
    assert len(response.context["page"]) == count


def test_an_account_created_the_plain_way_is_enabled_at_once_with_status_created(personas, operator_client):
    form = account_create_data(username="5550001", virtual_number="+39 06 555-0001", secondary_number="+390655500002")
    response = operator_client.post(reverse("accounts:account_create", args=[personas.group.pk]), form, follow=True)
    account = Account.objects.get(username="5550001")
    assert response.redirect_chain[-1][0] == reverse("accounts:account_detail", args=[account.pk])
    assert "Account 5550001 created and enabled." in _messages(response)
    assert account.enabled is True
    assert account.creation_method == Account.CreationMethod.PLAIN
    assert account.status == Account.Status.CREATED
    assert account.status_changed_at is not None
    assert (account.virtual_number, account.secondary_number) == ("+39065550001", "+390655500002")
    assert account.caller_id == "+39065550001"
    assert list(StatusEvent.objects.filter(account=account).values_list("status", flat=True)) == ["created"]
    page = response.content.decode()
    assert f"Created, {account.status_changed_at:%Y-%m-%d}" in page


def test_the_password_is_stored_only_as_sip_digests(personas, operator_client):
    form = account_create_data(username="5550002")
    operator_client.post(reverse("accounts:account_create", args=[personas.group.pk]), form)
    account = Account.objects.get(username="5550002")
    assert (account.ha1, account.ha1_sha256) == sip_digests("5550002", form["password1"])
    stored = [str(value) for value in Account.objects.filter(pk=account.pk).values().get().values()]
    assert form["password1"] not in " ".join(stored)


def test_the_create_form_suggests_an_unused_username(personas, operator_client):
    response = operator_client.get(reverse("accounts:account_create", args=[personas.group.pk]))
    suggested = response.context["form"].initial["username"]
    assert suggested.isdigit() and 6 <= len(suggested) <= 16
    assert not Account.objects.filter(username=suggested).exists()
    assert f'value="{suggested}"' in response.content.decode()


@pytest.mark.parametrize(("typed", "error"), [
    ({"username": "12345"}, "6 to 16 digits"),
    ({"username": "12345678901234567"}, "16"),
    ({"username": "abc123456"}, "6 to 16 digits"),
    ({"virtual_number": ""}, "Enter the virtual phone number."),
    ({"virtual_number": "call-me"}, "digits"),
    ({"password2": "something-else"}, "differ"),
    ({"password1": "", "password2": ""}, "Type a password"),
    ({"password1": "short", "password2": "short"}, "at least 8"),
    ({"email": "not-an-address"}, "Enter the e-mail as an address like name@example.com."),
    ({"obfuscation_key": "nine"}, "whole number"),
    ({"account_type": "landline"}, "Choose the account type from the list"),
], ids=lambda value: "-".join(value) if isinstance(value, dict) else None)
def test_a_create_form_with_a_bad_field_is_refused_naming_the_problem(personas, operator_client, typed, error):
    form = account_create_data(**typed)
    response = operator_client.post(reverse("accounts:account_create", args=[personas.group.pk]), form)
    assert response.status_code == 200
    errors = " ".join(str(message) for messages in response.context["form"].errors.values() for message in messages)
    assert error.lower() in errors.lower()
    assert not Account.objects.exists()


def test_a_taken_username_or_number_is_refused(personas, operator_client):
    taken = make_account(personas.group, username="5550003", number="+39065550003")
    for form in (account_create_data(username=taken.username), account_create_data(virtual_number=taken.virtual_number),
                 account_create_data(secondary_number=taken.virtual_number)):
        response = operator_client.post(reverse("accounts:account_create", args=[personas.group.pk]), form)
        assert response.status_code == 200
        assert "5550003" in response.content.decode() or "already belongs" in response.content.decode()
    assert Account.objects.count() == 1


def test_a_taken_username_or_number_is_shown_on_its_field(personas, operator_client):
    taken = make_account(personas.group, username="5550003", number="+39065550003")
    cases = [("username", "The username 5550003 is taken."),
             ("virtual_number", "The number +39065550003 already belongs to another account."),
             ("secondary_number", "The number +39065550003 already belongs to another account.")]
    for field, message in cases:
        value = taken.username if field == "username" else taken.virtual_number
        response = operator_client.post(reverse("accounts:account_create", args=[personas.group.pk]),
                                        account_create_data(**{field: value}))
        assert response.context["form"].errors == {field: [message]}


def test_the_detail_page_has_the_configuration_and_activity_tabs_and_every_action(personas, operator_client):
    account = make_account(personas.group, owner="Marco Rossi", email="marco@example.com")
    page = operator_client.get(reverse("accounts:account_detail", args=[account.pk])).content.decode()
    for text in ("Configuration", "Activity", "Edit", "Refresh", "Disable account", "Delete", "marco@example.com",
                 "Account created", "Test an address"):
        assert text in page, text


def test_an_auditor_sees_the_detail_page_without_write_actions(personas, client_for):
    account = make_account(personas.group)
    page = client_for(personas.auditor).get(reverse("accounts:account_detail", args=[account.pk])).content.decode()
    assert account.username in page
    for action in (reverse("accounts:account_edit", args=[account.pk]), reverse("accounts:account_disable", args=[account.pk]),
                   reverse("accounts:account_delete", args=[account.pk])):
        assert action not in page


def test_the_activity_timeline_shows_the_account_s_changes_newest_first(personas, operator_client):
    from accounts.services import account_set_enabled
    from console.audit import Actor

    account = make_account(personas.group)
    account_set_enabled(actor=Actor.of(personas.operator), account_id=account.pk, enabled=False)
    make_account(personas.group)
    response = operator_client.get(reverse("accounts:account_detail", args=[account.pk]))
    assert [entry.action for entry in response.context["timeline"]] == ["account.disable", "account.create"]
    assert AuditEntry.objects.filter(account_id=account.pk).count() == 2
