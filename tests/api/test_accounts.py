"""Accounts through the API: create (plain, wizard) with the page's validation and audit, read,
update with ETag/If-Match, delete, actions, lists with filters, sort, cursor paging and `q`."""
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from activation.models import ProvisioningProfile, SmsMessage
from activation.services import sms_refusal
from console.models import AuditEntry, ServiceSettings
from licensing.models import Licence
from tests.api.conftest import ApiClient, issue_token, new_account_body
from tests.api.world import data_state
from tests.conftest import make_account, requires_postgresql
from tests.console.payloads import account_create_data


def _url(group) -> str:
    return f"/api/v1/groups/{group.pk}/accounts/"


def test_a_plain_account_created_through_the_api_is_enabled_and_read_back(personas, operator_api):
    response = operator_api.post(_url(personas.group), new_account_body(1, allow=["10.0.0.0/8"], secondary_number="+39070000099"))
    assert response.status_code == 201
    body = response.json()
    account = Account.objects.get(pk=body["id"])
    assert account.enabled and account.creation_method == "plain" and account.group == personas.group
    assert body["allow"] == ["10.0.0.0/8"] and body["secondary_number"] == "+39070000099"
    assert response["ETag"] == f'"{account.version}"'
    assert response["Location"].endswith(f"/api/v1/accounts/{account.pk}/")
    read = operator_api.get(f"/api/v1/accounts/{account.pk}/")
    assert read.json() == body
    assert "no-store" in _directives(read) and "no-store" in _directives(response)
    assert "password" not in body and "ha1" not in body


@requires_postgresql
@pytest.mark.parametrize("minutes_left", [10, -10])
def test_a_created_account_s_answer_says_registered_as_its_read_does(personas, operator_api, minutes_left):
    """The answer to a create is not read back from the database: a live contact the SIP server
    still holds for the username (of an account deleted while it was unreachable) must show in it."""
    from accounts.sipserver.registrations import to_kamailio_local

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO location (ruid, username, contact, received, expires, last_modified, user_agent) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            ["r1", "5500000003", "sip:x@192.0.2.10:5061", "sip:192.0.2.10:5061",
             to_kamailio_local(now + timedelta(minutes=minutes_left)), to_kamailio_local(now), "SecureVoice/1.0"],
        )
    created = operator_api.post(_url(personas.group), new_account_body(3))
    assert created.json()["registered_now"] is (minutes_left > 0)
    assert operator_api.get(created["Location"]).json() == created.json()


def test_the_api_s_create_audit_entry_is_the_page_s_with_the_token_named(personas, operator_api, client_for):
    page_data = account_create_data(username="5600000001", virtual_number="+39080000001", owner="Same Owner", email="s@example.com")
    client_for(personas.operator).post(reverse("accounts:account_create", args=[personas.group.pk]), page_data)
    operator_api.post(_url(personas.group), {**new_account_body(2), "owner": "Same Owner", "email": "s@example.com"})
    page_entry, api_entry = AuditEntry.objects.filter(action="account.create").order_by("id")
    for field in ("actor_kind", "actor", "object_type", "group_id"):
        assert getattr(page_entry, field) == getattr(api_entry, field)
    differing = {key for key in page_entry.after if page_entry.after[key] != api_entry.after[key]}
    assert differing == {"username", "virtual_number", "caller_id"}
    assert page_entry.actor_label == "oscar" and api_entry.actor_label == "oscar (API token “billing”)"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"password": "short"}, "password"),
    ({"virtual_number": "not a number"}, "virtual_number"),
    ({"username": "12ab"}, "username"),
    ({"email": "nobody"}, "email"),
    ({"obfuscation_key": "nine"}, "obfuscation_key"),
    ({"deny": ["192.168.0.1/255.0.255.0"]}, "deny"),
    ({"owner": "line\nbreak"}, "owner"),
])
def test_a_refused_create_gives_the_page_s_message_for_the_field_and_creates_nothing(personas, operator_api, client_for, overrides, field):
    page_field = "password1" if field == "password" else field
    page_value = "\n".join(overrides[field]) if isinstance(overrides[field], list) else overrides[field]
    page_data = account_create_data(**{page_field: page_value, **({"password2": page_value} if field == "password" else {})})
    page = client_for(personas.operator).post(reverse("accounts:account_create", args=[personas.group.pk]), page_data)
    page_messages = page.context["form"].errors[page_field]
    before = data_state()
    response = operator_api.post(_url(personas.group), new_account_body(3, **overrides))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["message"] for error in response.json()["errors"] if error["field"] == field] == page_messages
    assert data_state() == before


def test_a_taken_number_is_refused_with_the_page_s_message(personas, operator_api, account):
    response = operator_api.post(_url(personas.group), new_account_body(4, virtual_number=account.virtual_number))
    assert response.json()["errors"] == [
        {"field": "virtual_number", "message": f"The number {account.virtual_number} already belongs to another account."}
    ]


def test_a_taken_username_or_secondary_number_is_refused_on_its_field_with_the_page_s_message(personas, operator_api, account):
    taken_username = operator_api.post(_url(personas.group), new_account_body(4, username=account.username))
    assert taken_username.json()["errors"] == [{"field": "username", "message": f"The username {account.username} is taken."}]
    taken_secondary = operator_api.post(_url(personas.group), new_account_body(5, secondary_number=account.virtual_number))
    assert taken_secondary.json()["errors"] == [
        {"field": "secondary_number", "message": f"The number {account.virtual_number} already belongs to another account."}
    ]
    assert Account.objects.count() == 1


def test_unknown_fields_and_nested_values_are_refused(personas, operator_api):
    response = operator_api.post(_url(personas.group), {**new_account_body(5), "colour": "red", "owner": {"a": 1}})
    fields = {error["field"] for error in response.json()["errors"]}
    assert response.status_code == 400 and fields == {"colour"}
    response = operator_api.post(_url(personas.group), {**new_account_body(5), "owner": {"a": 1}})
    assert response.json()["errors"] == [{"field": "owner", "message": "This field takes a text, number or boolean."}]
    assert operator_api.post(_url(personas.group), ["not", "an", "object"]).status_code == 400
    assert not Account.objects.exists()


def test_a_wizard_account_starts_disabled_and_needs_a_profile_when_its_group_has_none(personas, operator_api):
    url = f"/api/v1/groups/{personas.group.pk}/accounts/wizard/"
    # A group without a profile of its own gets the system default: here there is none.
    ProvisioningProfile.objects.filter(is_default=True).update(is_default=False)
    refused = operator_api.post(url, {"owner": "Wanda", "virtual_number": "+390299000001"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "profile"
    local = operator_api.post(url, {"owner": "Wanda", "virtual_number": "0299000001", "profile": ProvisioningProfile.objects.get().pk})
    assert local.json()["errors"][0]["message"].startswith("Wizard accounts need an international number")
    created = operator_api.post(url, {"owner": "Wanda", "virtual_number": "+390299000001", "profile": ProvisioningProfile.objects.get().pk})
    assert created.status_code == 201
    account = Account.objects.get(pk=created.json()["id"])
    assert not account.enabled and account.is_wizard and account.account_type == "pgsm"


def test_an_update_needs_if_match_and_a_stale_one_is_412_and_loses_nothing(personas, account):
    first, second = ApiClient(issue_token(personas.operator)), ApiClient(issue_token(personas.administrator))
    url = f"/api/v1/accounts/{account.pk}/"
    etag_first, etag_second = first.get(url)["ETag"], second.get(url)["ETag"]
    assert first.patch(url, {"owner": "No precondition"}).status_code == 428
    accepted = first.patch(url, {"owner": "First Writer"}, headers={"If-Match": etag_first})
    assert accepted.status_code == 200 and accepted["ETag"] != etag_first
    before = data_state()
    stale = second.patch(url, {"description": "Second Writer"}, headers={"If-Match": etag_second})
    assert stale.status_code == 412 and stale["Content-Type"] == "application/problem+json"
    assert data_state() == before
    account.refresh_from_db()
    assert account.owner == "First Writer" and account.description == ""
    fresh = second.get(url)["ETag"]
    assert second.patch(url, {"description": "Second Writer"}, headers={"If-Match": fresh}).status_code == 200
    account.refresh_from_db()
    assert (account.owner, account.description) == ("First Writer", "Second Writer")


def test_an_update_keeps_every_field_it_does_not_name(personas, operator_api):
    created = operator_api.post(_url(personas.group), new_account_body(6, allow=["10.0.0.0/8"], keepalive=True,
                                                                      licence_valid_until="2030-01-31", description="keep me"))
    url = f"/api/v1/accounts/{created.json()['id']}/"
    updated = operator_api.patch(url, {"owner": "Renamed"}, headers={"If-Match": created["ETag"]}).json()
    unchanged = {key: value for key, value in created.json().items() if key not in ("owner", "version", "updated_at")}
    assert {key: updated[key] for key in unchanged} == unchanged


def test_numbers_and_username_never_change_through_the_api(personas, operator_api, account):
    url = f"/api/v1/accounts/{account.pk}/"
    before = data_state()
    response = operator_api.patch(url, {"virtual_number": "+39111", "username": "123456789"}, headers={"If-Match": '"1"'})
    assert response.status_code == 400
    assert response.json()["detail"] == "These fields cannot change after creation: username, virtual_number."
    assert data_state() == before


def test_an_update_refused_by_the_form_says_why_and_changes_nothing(personas, operator_api, account):
    before = data_state()
    response = operator_api.patch(f"/api/v1/accounts/{account.pk}/", {"allow": ["10.0.0.0/8"], "deny": ["10.0.0.0/255.0.0.0"]},
                                  headers={"If-Match": f'"{account.version}"'})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "deny", "message": "10.0.0.0/255.0.0.0 cannot be in both lists."}]
    assert data_state() == before


def test_delete_removes_the_account_and_then_it_is_404(personas, operator_api, account):
    url = f"/api/v1/accounts/{account.pk}/"
    assert operator_api.delete(url).status_code == 204
    assert not Account.objects.filter(pk=account.pk).exists()
    assert operator_api.get(url).status_code == 404
    assert AuditEntry.objects.filter(action="account.delete", account_id=account.pk).exists()


def test_disable_and_enable_toggle_the_account(personas, operator_api, account):
    url = f"/api/v1/accounts/{account.pk}/"
    assert operator_api.post(url + "disable/").json()["enabled"] is False
    assert operator_api.post(url + "enable/").json()["enabled"] is True
    assert list(AuditEntry.objects.filter(account_id=account.pk, action__in=["account.disable", "account.enable"])
                .order_by("id").values_list("action", flat=True)) == ["account.disable", "account.enable"]


def test_sending_the_activation_sms_queues_it_or_says_why_not_as_the_page(personas, operator_api, account):
    url = f"/api/v1/accounts/{account.pk}/sms/activation/"
    refused = operator_api.post(url)
    assert refused.status_code == 409
    assert refused.json()["detail"] == sms_refusal(account, "activation")
    assert refused.json()["detail"].startswith("No public base URL")
    ServiceSettings.objects.update_or_create(pk=1, defaults={"public_base_url": "https://clients.example.net"})
    queued = operator_api.post(url)
    assert queued.status_code == 201
    sms = SmsMessage.objects.get()
    assert (queued.json()["id"], sms.purpose, sms.recipient, sms.account) == (sms.pk, "activation", account.virtual_number, account)


def test_licence_actions_clear_and_revoke(personas, operator_api, account):
    url = f"/api/v1/accounts/{account.pk}/licence/"
    assert operator_api.post(url + "revoke-keys/").json()["licence"]["state"] == "revoked"
    assert operator_api.post(url + "revoke-keys/").status_code == 409
    assert operator_api.post(url + "clear/").json()["licence"]["state"] == "not_validated"
    assert Licence.objects.get(account=account).keys_revoked is False


def _usernames(response) -> list[str]:
    return [row["username"] for row in response.json()["results"]]


def test_the_list_pages_through_every_account_once_in_the_sort_order(personas, operator_api):
    accounts = [make_account(personas.group, owner=f"Owner {n % 3}") for n in range(7)]
    make_account(personas.other_group)
    expected = [a.username for a in sorted(accounts, key=lambda a: (a.owner, a.pk), reverse=True)]
    seen, url = [], _url(personas.group) + "?sort=-owner&page_size=3"
    while url:
        response = operator_api.get(url)
        seen += _usernames(response)
        url = response.json()["next"]
    assert seen == expected


def test_the_list_filters_as_the_page_and_refuses_unknown_values(personas, operator_api, account):
    other = make_account(personas.group)
    operator_api.post(f"/api/v1/accounts/{other.pk}/disable/")
    assert _usernames(operator_api.get(_url(personas.group) + "?enabled=no")) == [other.username]
    assert _usernames(operator_api.get(_url(personas.group) + "?enabled=yes&type=pgsm&status=created")) == [account.username]
    for query, field in [("enabled=maybe", "enabled"), ("sort=colour", "sort"), ("page_size=0", "page_size"), ("cursor=xyz", "cursor")]:
        response = operator_api.get(_url(personas.group) + "?" + query)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field


def test_q_searches_in_lucene_syntax_within_the_operator_s_groups(transactional_db, personas, operator_api, search_index):
    rossi = make_account(personas.group, owner="Marco Rossi", email="marco@example.com")
    make_account(personas.group, owner="Giulia Bianchi")
    make_account(personas.other_group, owner="Marco Rossi")
    assert _usernames(operator_api.get("/api/v1/accounts/?q=rossi")) == [rossi.username]
    assert _usernames(operator_api.get("/api/v1/accounts/?q=owner:(rossi OR bianchi) AND email:marco@example.com")) == [rossi.username]
    refused = operator_api.get("/api/v1/accounts/?q=owner:(rossi")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "q"
    assert "position" in refused.json()["detail"]


def test_a_search_pages_through_every_match_once_in_the_sort_order_with_its_rules(transactional_db, personas, operator_api, search_index):
    """A search's page reads its ids first and then those rows: the order, the paging and each
    row's access rules are those of the plain list."""
    matches = [make_account(personas.group, owner=f"Rossi {n % 3}") for n in range(7)]
    make_account(personas.group, owner="Bianchi")
    make_account(personas.other_group, owner="Rossi 0")
    with_rules = operator_api.post(_url(personas.group), new_account_body(9, owner="Rossi 9", allow=["10.0.0.0/8"], deny=["10.1.0.0/16"]))
    expected = [a.username for a in sorted(matches, key=lambda a: (a.owner, a.pk), reverse=True)]
    seen, rules, url = [], {}, _url(personas.group) + "?q=owner:rossi&sort=-owner&page_size=3"
    while url:
        page = operator_api.get(url).json()
        seen += [row["username"] for row in page["results"]]
        rules.update({row["username"]: (row["allow"], row["deny"]) for row in page["results"]})
        url = page["next"]
    assert seen == [with_rules.json()["username"], *expected]
    assert rules[with_rules.json()["username"]] == (["10.0.0.0/8"], ["10.1.0.0/16"])
    assert all(rules[username] == ([], []) for username in expected)


def test_the_export_is_the_page_s_csv(personas, operator_api, account, client_for):
    response = operator_api.get(f"/api/v1/groups/{personas.group.pk}/accounts/export/", headers={"Accept": "text/csv"})
    page = client_for(personas.operator).get(reverse("accounts:batch_export", args=[personas.group.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content) == b"".join(page.streaming_content)


def test_errors_of_the_protocol_are_problems_too(personas, operator_api, account):
    url = f"/api/v1/accounts/{account.pk}/"
    cases = [
        (operator_api.request("PUT", url, {"owner": "x"}), 405),
        (operator_api.post(_url(personas.group), "owner=x", content_type="text/plain"), 415),
        (operator_api.get(url, headers={"Accept": "text/html"}), 406),
        (operator_api.post(_url(personas.group), "{not json", content_type="application/json"), 400),
        (operator_api.get("/api/v1/no/such/thing/"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == status
        assert "no-store" in _directives(response)


def test_a_forged_cursor_is_a_400_whatever_it_holds(personas, operator_api, account):
    from console.api.pagination import encode_cursor

    for values in (["x"], [None, 1], [["a"], 1], [{"a": 1}, 1], ["40000001", "not an id"]):
        response = operator_api.get(_url(personas.group) + "?cursor=" + encode_cursor(values))
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cursor"
    licences = operator_api.get("/api/v1/licences/?cursor=" + encode_cursor(["high", "x", 1]))
    assert licences.status_code == 400


def test_a_list_page_costs_the_same_queries_for_one_account_and_for_twenty(personas, operator_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert operator_api.get(_url(personas.group) + "?page_size=50").status_code == 200
        return len(captured)

    make_account(personas.group)
    one = queries()
    for _ in range(19):
        make_account(personas.group)
    assert queries() == one


def test_reading_one_account_never_reads_the_whole_table(personas, account):
    """Every query of an account's read, write or action names the rows it wants (an unfiltered
    SELECT would fetch every account: a million rows in production)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    administrator = ApiClient(issue_token(personas.administrator))
    url = f"/api/v1/accounts/{account.pk}/"
    with CaptureQueriesContext(connection) as captured:
        etag = administrator.get(url)["ETag"]
        administrator.patch(url, {"owner": "Someone"}, headers={"If-Match": etag})
        administrator.post(url + "disable/")
        administrator.post(url + "licence/revoke-keys/")
    reads = [query["sql"] for query in captured if query["sql"].startswith("SELECT") and 'FROM "accounts_account"' in query["sql"]]
    assert reads and all("WHERE" in sql for sql in reads)


def _directives(response) -> list[str]:
    """The Cache-Control directives of an answer (the operator middleware adds never-cache ones)."""
    return [part.strip() for part in response.get("Cache-Control", "").split(",")]
