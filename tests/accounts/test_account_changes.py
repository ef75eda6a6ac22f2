"""Changing an account: edit without lost updates (A5), allow/deny lists (A6), delete (A7),
disable/enable (A8)."""
import pytest
from django.urls import reverse

from accounts.digests import sip_digests
from accounts.models import AccessRule, Account
from console.models import AuditEntry
from tests.conftest import make_account
from tests.console.payloads import account_create_data, account_edit_data


@pytest.fixture
def operator_client(personas, client_for):
    return client_for(personas.operator)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _edit(client, account, **typed):
    return client.post(reverse("accounts:account_edit", args=[account.pk]), account_edit_data(account, **typed), follow=True)


def test_update_saves_every_editable_field_and_says_so(account, operator_client):
    response = _edit(operator_client, account, owner="Marco Bianchi", caller_id='"MB" <+3902>', email="mb@example.com",
                     description="sales", account_type="snom", security_model="end_to_site", obfuscation_key="4",
                     licence_edition="enterprise", licence_valid_until="2031-01-31")
    assert f"Account {account.username} updated." in _messages(response)
    account.refresh_from_db()
    assert (account.owner, account.caller_id, account.email, account.description) == ("Marco Bianchi", '"MB" <+3902>', "mb@example.com", "sales")
    assert (account.account_type, account.security_model, account.obfuscation_key, account.version) == ("snom", "end_to_site", 4, 2)
    assert (account.licence.edition, str(account.licence.valid_until)) == ("enterprise", "2031-01-31")


def test_unticking_a_checkbox_turns_the_setting_off(account, operator_client):
    assert account.obfuscation is True
    _edit(operator_client, account, obfuscation=None)
    account.refresh_from_db()
    assert account.obfuscation is False


def test_an_empty_password_keeps_the_current_one_and_a_new_one_replaces_its_digests(account, operator_client):
    digests = (account.ha1, account.ha1_sha256)
    _edit(operator_client, account, owner="Someone")
    account.refresh_from_db()
    assert (account.ha1, account.ha1_sha256) == digests
    _edit(operator_client, account, password1="a-new-sip-password", password2="a-new-sip-password")
    account.refresh_from_db()
    assert (account.ha1, account.ha1_sha256) == sip_digests(account.username, "a-new-sip-password")


def test_the_edit_page_shows_username_and_virtual_numbers_read_only(account, operator_client):
    response = operator_client.get(reverse("accounts:account_edit", args=[account.pk]))
    page = response.content.decode()
    assert f'value="{account.virtual_number}" readonly' in page
    assert f'value="{account.username}" readonly' in page
    assert 'name="virtual_number"' not in page
    assert 'name="secondary_number"' not in page
    assert 'name="username"' not in page


def test_a_post_that_tries_to_change_the_numbers_or_username_changes_nothing_of_them(account, operator_client):
    before = Account.objects.filter(pk=account.pk).values("username", "virtual_number", "secondary_number", "group_id").get()
    response = _edit(operator_client, account, owner="Changed", username="999999999", virtual_number="+111111111",
                     secondary_number="+222222222", group=str(account.group_id + 1))
    assert response.status_code == 200
    after = Account.objects.filter(pk=account.pk).values("username", "virtual_number", "secondary_number", "group_id").get()
    assert after == before
    assert Account.objects.get(pk=account.pk).owner == "Changed"


def test_a_second_edit_made_from_the_same_version_is_refused_and_the_first_stays(account, personas, client_for):
    first, second = client_for(personas.operator), client_for(personas.administrator)
    form_first = account_edit_data(account, owner="First Owner")
    form_second = account_edit_data(account, owner="Second Owner")
    url = reverse("accounts:account_edit", args=[account.pk])
    assert first.post(url, form_first).status_code == 302
    response = second.post(url, form_second)
    assert response.status_code == 200
    assert any("was changed by someone else" in text for text in _messages(response))
    assert "was changed by someone else" in response.content.decode()
    account.refresh_from_db()
    assert (account.owner, account.version) == ("First Owner", 2)
    assert AuditEntry.objects.filter(account_id=account.pk, action="account.update").count() == 1


def test_an_edit_form_posted_without_a_version_is_refused(account, operator_client):
    form = account_edit_data(account, owner="No Version", version=None)
    response = operator_client.post(reverse("accounts:account_edit", args=[account.pk]), form)
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.owner == "Marco Rossi"


@pytest.mark.parametrize(("field", "typed", "named"), [
    ("allow", "10.0.0.1/8", "'10.0.0.1/8'"),
    ("allow", "192.168.0.0/255.0.255.0", "'192.168.0.0/255.0.255.0'"),
    ("deny", "300.1.1.1", "'300.1.1.1'"),
    ("deny", "10.0.0.0/33", "'10.0.0.0/33'"),
    ("deny", "192.168.1.0/24 nonsense", "'nonsense'"),
    ("allow", "2001:db8::1/32", "'2001:db8::1/32'"),
])
def test_a_bad_allow_or_deny_entry_is_refused_with_an_error_naming_it(personas, operator_client, field, typed, named):
    form = account_create_data(**{field: typed})
    response = operator_client.post(reverse("accounts:account_create", args=[personas.group.pk]), form)
    assert response.status_code == 200
    assert named in " ".join(response.context["form"].errors[field])
    assert not Account.objects.exists()


def test_the_same_network_in_both_lists_is_refused(personas, operator_client):
    form = account_create_data(allow="10.0.0.0/8", deny="10.0.0.0/255.0.0.0")
    response = operator_client.post(reverse("accounts:account_create", args=[personas.group.pk]), form)
    assert "cannot be in both lists" in " ".join(response.context["form"].errors["deny"])
    assert not Account.objects.exists()


def test_entries_are_stored_canonically_and_shown_as_typed(personas, operator_client):
    form = account_create_data(allow="192.168.0.38/255.255.255.255\n10.0.0.0/8, 2001:DB8::/32", deny="0.0.0.0/0.0.0.0")
    operator_client.post(reverse("accounts:account_create", args=[personas.group.pk]), form)
    account = Account.objects.get(username=form["username"])
    rules = list(AccessRule.objects.filter(account=account).order_by("action", "position").values_list(
        "action", "network", "prefix_length", "as_typed"))
    assert rules == [
        ("allow", "192.168.0.38/32", 32, "192.168.0.38/255.255.255.255"),
        ("allow", "10.0.0.0/8", 8, "10.0.0.0/8"),
        ("allow", "2001:db8::/32", 32, "2001:DB8::/32"),
        ("deny", "0.0.0.0/0", 0, "0.0.0.0/0.0.0.0"),
    ]
    edit_page = operator_client.get(reverse("accounts:account_edit", args=[account.pk])).content.decode()
    assert "192.168.0.38/255.255.255.255\n10.0.0.0/8\n2001:DB8::/32</textarea>" in edit_page
    detail = operator_client.get(reverse("accounts:account_detail", args=[account.pk])).content.decode()
    assert "<code>192.168.0.38/255.255.255.255</code> <span class=\"text-muted small\">= 192.168.0.38/32</span>" in detail


@pytest.mark.parametrize(("address", "verdict", "reason"), [
    ("192.168.0.38", "is refused", "deny entry 192.168.0.38"),
    ("192.168.0.7", "is allowed", "allow entry 192.168.0.0/24"),
    ("10.1.2.3", "is refused", "no entry matches"),
    ("2001:db8::5", "is refused", "no entry matches"),
    ("not-an-ip", "", "is not an IP address"),
])
def test_the_test_an_address_box_says_allowed_or_refused_and_why(personas, operator_client, address, verdict, reason):
    account = make_account(personas.group)
    form = account_edit_data(account, allow="192.168.0.0/24", deny="192.168.0.38")
    operator_client.post(reverse("accounts:account_edit", args=[account.pk]), form)
    response = operator_client.get(reverse("accounts:account_detail", args=[account.pk]), {"address": address})
    page = response.content.decode()
    result = page[page.index("address-result"):]
    result = result[:result.index("</div>")]
    if verdict:
        assert f"{address} {verdict}" in result
    assert reason in result
    assert response.context["tab"] == "configuration"


def test_an_account_without_entries_allows_every_address(account, operator_client):
    response = operator_client.get(reverse("accounts:account_detail", args=[account.pk]), {"address": "203.0.113.9"})
    assert response.context["address_check"] == {
        "address": "203.0.113.9", "allowed": True, "reason": "allowed: no entry matches this address"}


def test_disable_then_enable_toggles_the_flag_and_the_link_label(account, operator_client):
    detail = reverse("accounts:account_detail", args=[account.pk])
    page = operator_client.get(detail).content.decode()
    assert 'bi-slash-circle" aria-hidden="true"></i> Disable account' in page and "Enable account" not in page
    response = operator_client.post(reverse("accounts:account_disable", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.enabled is False
    page = response.content.decode()
    assert 'bi-check-circle" aria-hidden="true"></i> Enable account' in page and "Disable account" not in page
    assert any("disabled" in text for text in _messages(response))
    response = operator_client.post(reverse("accounts:account_enable", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.enabled is True
    assert "Disable account" in response.content.decode()
    actions = list(AuditEntry.objects.filter(account_id=account.pk).values_list("action", flat=True))
    assert actions == ["account.enable", "account.disable", "account.create"]


def test_disabling_a_disabled_account_records_nothing_more(account, operator_client):
    operator_client.post(reverse("accounts:account_disable", args=[account.pk]))
    operator_client.post(reverse("accounts:account_disable", args=[account.pk]))
    assert AuditEntry.objects.filter(account_id=account.pk, action="account.disable").count() == 1


def test_a_get_of_disable_only_asks_for_confirmation_and_changes_nothing(account, operator_client):
    disable_url = reverse("accounts:account_disable", args=[account.pk])
    response = operator_client.get(disable_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "calls in progress are cut" in page and f'action="{disable_url}"' in page
    account.refresh_from_db()
    assert account.enabled is True


def test_the_delete_button_opens_a_pop_up_with_a_confirmation_page_behind_it(account, operator_client):
    delete_url = reverse("accounts:account_delete", args=[account.pk])
    page = operator_client.get(reverse("accounts:account_detail", args=[account.pk])).content.decode()
    assert f'href="{delete_url}"' in page
    assert f'data-confirm-modal="#confirm-dialog" data-confirm-action="{delete_url}"' in page
    assert '<div class="modal fade" id="confirm-dialog"' in page
    confirmation = operator_client.get(delete_url)
    assert confirmation.status_code == 200
    assert f"Delete account {account.username}" in confirmation.content.decode()
    assert f'action="{delete_url}"' in confirmation.content.decode()
    assert Account.objects.filter(pk=account.pk).exists()


def test_deleting_an_account_returns_to_the_list_with_a_warning_message(account, operator_client):
    response = operator_client.post(reverse("accounts:account_delete", args=[account.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:account_list", args=[account.group_id])
    assert [(message.level_tag, str(message)) for message in response.context["messages"]] == [
        ("warning", f"Account {account.username} was deleted.")]
    assert "alert-warning" in response.content.decode()
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not AccessRule.objects.filter(account_id=account.pk).exists()
    entry = AuditEntry.objects.get(account_id=account.pk, action="account.delete")
    assert entry.before["username"] == account.username
