"""The audit log (O3): every change through the pages is recorded once, with who, what, before and
after, secrets redacted; the global audit page is for Administrators."""
import json

import pytest
from django.urls import reverse

from accounts.models import Account
from console.models import AuditEntry, ServiceSettings
from groups.models import Group
from tests.conftest import PASSWORD, make_account
from tests.console.payloads import account_create_data, account_edit_data, group_data

SIP_PASSWORD = "Sup3r-secret-sip"
NEW_SIP_PASSWORD = "An0ther-secret-sip"
SMS_PASSWORD = "gateway-secret-99"


def _audit_text() -> str:
    return json.dumps(list(AuditEntry.objects.values("before", "after", "message", "object_repr")))


def _one_entry_per_request(client, requests) -> list[str]:
    """Make each (method, url, data) request and return the action each one recorded (exactly one)."""
    actions = []
    for url, data in requests:
        known = set(AuditEntry.objects.values_list("pk", flat=True))
        response = client.post(url, data)
        assert response.status_code == 302, url
        new = AuditEntry.objects.exclude(pk__in=known)
        assert new.count() == 1, (url, list(new.values_list("action", flat=True)))
        actions.append(new.get().action)
    return actions


def test_every_change_through_the_pages_is_recorded_exactly_once(personas, client_for):
    admin = client_for(personas.administrator)
    admin.post(reverse("groups:group_create"), group_data(name="Initech"))
    group = Group.objects.get(name="Initech")
    form = account_create_data(password1=SIP_PASSWORD, password2=SIP_PASSWORD)
    create_url = reverse("accounts:account_create", args=[group.pk])
    actions = _one_entry_per_request(admin, [(create_url, form)])
    account = Account.objects.get(username=form["username"])
    edit = account_edit_data(account, owner="New Owner", password1=NEW_SIP_PASSWORD, password2=NEW_SIP_PASSWORD)
    actions += _one_entry_per_request(admin, [
        (reverse("accounts:account_edit", args=[account.pk]), edit),
        (reverse("accounts:account_disable", args=[account.pk]), {}),
        (reverse("accounts:account_enable", args=[account.pk]), {}),
        (reverse("accounts:account_delete", args=[account.pk]), {}),
        (reverse("groups:group_edit", args=[group.pk]), group_data(group, admin_email="ops@initech.example")),
        (reverse("groups:group_delete", args=[group.pk]), {}),
        (reverse("operator_create"), {"username": "newbie", "role": "auditor", "is_active": "on"}),
        (reverse("operator_reset_password", args=[personas.auditor.pk]), {}),
    ])
    assert actions == ["account.create", "account.update", "account.disable", "account.enable", "account.delete",
                       "group.update", "group.delete", "operator.create", "operator.reset_password"]
    assert set(AuditEntry.objects.values_list("actor_id", flat=True)) == {personas.administrator.pk}


def test_account_entries_carry_the_account_id_and_the_changes_only(personas, client_for):
    client = client_for(personas.operator)
    account = make_account(personas.group, owner="Marco Rossi")
    client.post(reverse("accounts:account_edit", args=[account.pk]), account_edit_data(account, owner="Marco Bianchi", allow="10.0.0.0/8"))
    entry = AuditEntry.objects.get(action="account.update")
    assert (entry.account_id, entry.group_id, entry.actor, entry.actor_label) == (
        account.pk, personas.group.pk, personas.operator, "oscar")
    assert entry.before == {"owner": "Marco Rossi", "allow": ""}
    assert entry.after == {"owner": "Marco Bianchi", "allow": "10.0.0.0/8"}


def test_no_password_or_digest_ever_reaches_the_audit_log(personas, client_for):
    admin = client_for(personas.administrator)
    form = account_create_data(password1=SIP_PASSWORD, password2=SIP_PASSWORD)
    admin.post(reverse("accounts:account_create", args=[personas.group.pk]), form)
    account = Account.objects.get(username=form["username"])
    admin.post(reverse("accounts:account_edit", args=[account.pk]),
               account_edit_data(account, password1=NEW_SIP_PASSWORD, password2=NEW_SIP_PASSWORD))
    account.refresh_from_db()
    admin.post(reverse("accounts:account_delete", args=[account.pk]))
    admin.post(reverse("services"), {"version": "1", "sms_backend": "kannel", "sms_password": SMS_PASSWORD})
    admin.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Brand-new-console-pw1",
                                            "new_password2": "Brand-new-console-pw1"})
    text = _audit_text()
    for secret in (SIP_PASSWORD, NEW_SIP_PASSWORD, SMS_PASSWORD, "Brand-new-console-pw1", account.ha1, account.ha1_sha256):
        assert secret not in text
    for entry in AuditEntry.objects.all():
        for snapshot in (entry.before or {}, entry.after or {}):
            assert not {"ha1", "ha1_sha256"} & set(snapshot)
            assert snapshot.get("password", "[changed]") == "[changed]"
    assert AuditEntry.objects.get(action="services.update").after["sms_password"] == "[changed]"
    assert ServiceSettings.load().sms_password == SMS_PASSWORD


def test_the_global_audit_page_shows_every_entry_and_filters_by_action(personas, client_for):
    admin = client_for(personas.administrator)
    admin.post(reverse("groups:group_create"), group_data(name="Initech"))
    make_account(personas.group, owner="Marco Rossi")
    page = admin.get(reverse("audit_list"))
    assert [entry.action for entry in page.context["page"]] == ["account.create", "group.create"]
    assert "alice" in page.content.decode()
    filtered = admin.get(reverse("audit_list"), {"action": "group."})
    assert [entry.action for entry in filtered.context["page"]] == ["group.create"]


@pytest.mark.parametrize("persona", ["operator", "outsider", "auditor"])
def test_the_global_audit_page_is_for_administrators_only(personas, client_for, persona):
    assert client_for(getattr(personas, persona)).get(reverse("audit_list")).status_code == 403


def test_a_refused_change_records_nothing(personas, client_for):
    account = make_account(personas.group)
    before = AuditEntry.objects.count()
    client_for(personas.auditor).post(reverse("accounts:account_disable", args=[account.pk]))
    client_for(personas.outsider).post(reverse("accounts:account_delete", args=[account.pk]))
    client_for(personas.operator).post(reverse("accounts:account_edit", args=[account.pk]), account_edit_data(account, email="bad"))
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(("url_name", "params"), [
    ("activation:sms_list", {"q": "+39\x00"}),
    ("audit_list", {"action": "account\x00"}),
])
def test_a_nul_character_in_a_list_filter_is_not_a_server_error(personas, client_for, url_name, params):
    client = client_for(personas.administrator)
    client.raise_request_exception = False
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
