"""The API's read-only lists with the pages' scoping and filters: SMS log, licences needing
attention, registered clients, the audit log, groups."""
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from activation.models import SmsMessage
from console.models import ServiceSettings
from licensing.models import Licence
from tests.api.conftest import ApiClient, issue_token
from tests.conftest import make_account, requires_postgresql


def _ids(response, key="id"):
    return [row[key] for row in response.json()["results"]]


def test_the_sms_log_filters_and_keeps_to_the_operator_s_groups(personas, operator_api):
    ServiceSettings.objects.update_or_create(pk=1, defaults={"public_base_url": "https://clients.example.net"})
    mine, theirs = make_account(personas.group), make_account(personas.other_group)
    operator_api.post(f"/api/v1/accounts/{mine.pk}/sms/installation/")
    operator_api.post(f"/api/v1/accounts/{mine.pk}/sms/activation/")
    ApiClient(issue_token(personas.outsider)).post(f"/api/v1/accounts/{theirs.pk}/sms/installation/")
    assert SmsMessage.objects.count() == 3
    assert len(_ids(operator_api.get("/api/v1/sms/"))) == 2
    activation = operator_api.get("/api/v1/sms/?purpose=activation").json()["results"]
    assert [(row["purpose"], row["account"]) for row in activation] == [("activation", mine.pk)]
    assert len(_ids(operator_api.get(f"/api/v1/sms/?q={mine.username}&state=queued"))) == 2
    assert operator_api.get("/api/v1/sms/?state=lost").status_code == 400


def test_licences_needing_attention_by_reason(personas, operator_api):
    expiring, fine = make_account(personas.group), make_account(personas.group)
    conflict = make_account(personas.group)
    Licence.objects.filter(account=expiring).update(valid_until=timezone.localdate() + timedelta(days=3))
    Licence.objects.filter(account=conflict).update(state=Licence.State.CONFLICT)
    make_account(personas.other_group)
    Licence.objects.exclude(account__in=[expiring, fine, conflict]).update(state=Licence.State.CONFLICT)
    rows = operator_api.get("/api/v1/licences/").json()["results"]
    assert [(row["account"], row["attention"]) for row in rows] == [(conflict.pk, "conflict"), (expiring.pk, "expiring")]
    assert _ids(operator_api.get("/api/v1/licences/?reason=expiring"), "account") == [expiring.pk]
    first = operator_api.get("/api/v1/licences/?page_size=1").json()
    assert _ids(operator_api.get(first["next"]), "account") == [expiring.pk]
    assert operator_api.get("/api/v1/licences/?reason=lost").status_code == 400


def test_the_audit_log_is_for_administrators_and_filters_by_action_and_account(personas, account):
    administrator = ApiClient(issue_token(personas.administrator))
    ApiClient(issue_token(personas.operator)).post(f"/api/v1/accounts/{account.pk}/disable/")
    entries = administrator.get(f"/api/v1/audit/?account_id={account.pk}&action=account.").json()["results"]
    assert [entry["action"] for entry in entries] == ["account.disable", "account.create"]
    assert entries[0]["actor_label"] == "oscar (API token “billing”)"
    assert ApiClient(issue_token(personas.auditor)).get("/api/v1/audit/").status_code == 403


def test_groups_list_only_the_operator_s_and_administrators_manage_them(personas, operator_api):
    assert [group["name"] for group in operator_api.get("/api/v1/groups/").json()["results"]] == ["Acme"]
    administrator = ApiClient(issue_token(personas.administrator))
    created = administrator.post("/api/v1/groups/", {"name": "Initech", "admin_email": "it@initech.example"})
    assert created.status_code == 201 and created.json()["name"] == "Initech"
    clash = administrator.post("/api/v1/groups/", {"name": "initech"})
    assert clash.status_code == 400 and clash.json()["detail"] == "A group named “initech” already exists."
    renamed = administrator.patch(f"/api/v1/groups/{created.json()['id']}/", {"name": "Initech Corp"}, headers={"If-Match": created["ETag"]})
    assert renamed.status_code == 200 and renamed.json()["admin_email"] == "it@initech.example"
    make_account(personas.group)
    refused = administrator.delete(f"/api/v1/groups/{personas.group.pk}/")
    assert refused.status_code == 409 and "still holds 1 account" in refused.json()["detail"]
    assert administrator.delete(f"/api/v1/groups/{created.json()['id']}/").status_code == 204


def test_without_a_sip_server_no_client_is_registered(personas, operator_api, monkeypatch):
    """On SQLite this is the real thing; on PostgreSQL the vendor test is answered "no SIP server"
    (a fake), since the suite runs on one database only."""
    monkeypatch.setattr("accounts.api.sip_server_database", lambda: False)
    assert operator_api.get("/api/v1/registrations/").json() == {"sip_server": False, "count": 0, "results": [], "next": None}


@requires_postgresql
def test_registered_clients_are_those_the_sip_server_holds_now_in_the_operator_s_groups(personas, operator_api):
    from accounts.sipserver.registrations import to_kamailio_local

    mine, theirs = make_account(personas.group, owner="Marco Rossi"), make_account(personas.other_group)
    now = timezone.now()
    with connection.cursor() as cursor:
        for ruid, account, expires in (("r1", mine, 10), ("r2", theirs, 10), ("r3", mine, -10)):
            cursor.execute(
                "INSERT INTO location (ruid, username, contact, received, expires, last_modified, user_agent) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [ruid, account.username, "sip:x@192.0.2.10:5061", "sip:192.0.2.10:5061",
                 to_kamailio_local(now + timedelta(minutes=expires)), to_kamailio_local(now), "SecureVoice/1.0"],
            )
    answer = operator_api.get("/api/v1/registrations/").json()
    assert answer["sip_server"] is True and answer["count"] == 1
    row = answer["results"][0]
    assert (row["account"], row["owner"], row["source_ip"], row["user_agent"]) == (mine.pk, "Marco Rossi", "192.0.2.10", "SecureVoice/1.0")
