"""API tokens (API2): how a request proves who it is, what a token may do, and the token pages."""
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from console.api.models import ApiToken
from console.api.services import token_parts
from console.models import AuditEntry
from tests.api.conftest import ApiClient, issue_token
from tests.api.world import data_state


def test_a_token_is_shown_once_and_only_its_hash_is_stored(personas, client_for):
    client = client_for(personas.operator)
    response = client.post(reverse("api_token_list"), {"name": "billing system", "allowed_networks": ""}, follow=True)
    token_text = response.context["new_token"]["text"]
    assert token_text.startswith("sipc_")
    assert token_text in response.content.decode()
    token = ApiToken.objects.get(name="billing system")
    secret = token_text.rsplit("_", 1)[-1]
    stored = " ".join(str(value) for value in ApiToken.objects.filter(pk=token.pk).values().first().values())
    assert secret not in stored and token.secret_hash != secret
    assert token_text not in client.get(reverse("api_token_list")).content.decode()
    assert ApiClient(token_text).get("/api/v1/groups/").status_code == 200


def test_creating_and_revoking_a_token_are_audited_without_the_token(personas, client_for):
    client = client_for(personas.operator)
    text = client.post(reverse("api_token_list"), {"name": "crm"}, follow=True).context["new_token"]["text"]
    token = ApiToken.objects.get(name="crm")
    client.post(reverse("api_token_revoke", args=[token.pk]))
    entries = AuditEntry.objects.filter(object_type="apitoken", object_id=token.pk).order_by("id")
    assert [entry.action for entry in entries] == ["apitoken.create", "apitoken.revoke"]
    assert all(entry.actor == personas.operator for entry in entries)
    _prefix, secret = token_parts(text)
    assert secret not in str(list(entries.values()))
    assert ApiClient(text).get("/api/v1/groups/").status_code == 401


def test_the_token_form_refuses_bad_networks_and_past_expiry_and_creates_nothing(personas, client_for):
    client = client_for(personas.operator)
    response = client.post(reverse("api_token_list"), {
        "name": "crm", "allowed_networks": "10.0.0.1/8", "expires_on": (date.today() - timedelta(days=2)).isoformat(),
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "host bits are set" in errors["allowed_networks"][0]
    assert "expired already" in errors["expires_on"][0]
    assert not ApiToken.objects.exists()


def test_an_operator_cannot_revoke_another_operator_s_token_but_an_administrator_can(personas, client_for):
    token = ApiToken.objects.get(prefix=issue_token(personas.outsider).split("_")[1])
    response = client_for(personas.operator).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client_for(personas.administrator).post(reverse("api_token_revoke", args=[token.pk]) + "?next=all")
    assert response["Location"] == reverse("api_token_admin_list")
    token.refresh_from_db()
    assert token.revoked_by == personas.administrator and token.is_revoked


def test_every_token_page_is_for_administrators_only(personas, client_for):
    issue_token(personas.operator, name="billing")
    assert client_for(personas.operator).get(reverse("api_token_admin_list")).status_code == 403
    page = client_for(personas.administrator).get(reverse("api_token_admin_list"))
    assert page.status_code == 200 and "billing" in page.content.decode() and "oscar" in page.content.decode()


def test_the_token_pages_need_a_login(db, client):
    for url in (reverse("api_token_list"), reverse("api_token_admin_list"), reverse("api_docs")):
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_a_revoke_by_get_only_asks_for_confirmation(personas, client_for):
    token = ApiToken.objects.get(prefix=issue_token(personas.operator).split("_")[1])
    page = client_for(personas.operator).get(reverse("api_token_revoke", args=[token.pk]))
    assert page.status_code == 200 and "Revoke token" in page.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer sipc_nothing_here", "Token abc", "Bearer sipc__x"])
def test_a_request_without_a_valid_token_is_401_with_a_challenge(personas, header):
    client = ApiClient(None)
    response = client.get("/api/v1/groups/", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response["Content-Type"] == "application/problem+json"


def test_a_wrong_secret_with_a_real_prefix_is_refused(personas):
    text = issue_token(personas.operator)
    assert ApiClient(text[:-2] + ("AA" if not text.endswith("AA") else "BB")).get("/api/v1/groups/").status_code == 401


def test_a_logged_in_session_is_not_accepted_by_the_api(personas, client_for):
    response = client_for(personas.administrator).get("/api/v1/groups/")
    assert response.status_code == 401


def test_a_token_of_a_deactivated_operator_stops_working(personas):
    text = issue_token(personas.operator)
    personas.operator.is_active = False
    personas.operator.save()
    response = ApiClient(text).get("/api/v1/groups/")
    assert response.status_code == 401
    assert "deactivated" in response.json()["detail"]


def test_a_token_expires_at_its_time(personas):
    text = issue_token(personas.operator, expires_at=timezone.now() + timedelta(hours=1))
    assert ApiClient(text).get("/api/v1/groups/").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = ApiClient(text).get("/api/v1/groups/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_token_works_only_from_its_allowed_networks(personas):
    from accounts.access_lists import ALLOW, parse_entries

    text = issue_token(personas.operator, allowed_networks=parse_entries(ALLOW, "10.1.0.0/255.255.0.0 2001:db8::/32"))
    assert ApiClient(text, remote_addr="10.1.2.3").get("/api/v1/groups/").status_code == 200
    assert ApiClient(text, remote_addr="2001:db8::5").get("/api/v1/groups/").status_code == 200
    refused = ApiClient(text, remote_addr="10.2.0.1").get("/api/v1/groups/")
    assert refused.status_code == 403 and "10.2.0.1" in refused.json()["detail"]


def test_a_read_only_token_reads_but_changes_nothing(personas, account):
    client = ApiClient(issue_token(personas.operator, read_only=True))
    assert client.get(f"/api/v1/accounts/{account.pk}/").status_code == 200
    before = data_state()
    response = client.post(f"/api/v1/accounts/{account.pk}/disable/")
    assert response.status_code == 403 and response.json()["detail"] == "This API token is read-only."
    assert data_state() == before


def test_last_use_is_recorded_with_the_source_address(personas):
    text = issue_token(personas.operator)
    ApiClient(text, remote_addr="127.0.0.9").get("/api/v1/groups/")
    token = ApiToken.objects.get()
    assert token.last_used_at is not None and token.last_used_from == "127.0.0.9"


def test_requests_over_the_token_s_rate_limit_are_429_with_retry_after(personas, settings):
    settings.API_RATE_LIMIT = 3
    client = ApiClient(issue_token(personas.operator))
    statuses = [client.get("/api/v1/groups/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/groups/")
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= settings.API_RATE_WINDOW_SECONDS + 1
    assert ApiClient(issue_token(personas.operator, name="other")).get("/api/v1/groups/").status_code == 200


def test_the_rate_limit_counts_on_the_token_row_shared_by_every_process(personas, settings):
    """The count lives in the database: a second, separate counting (another process would do the
    same statement) sees the first one's hits."""
    from console.api.throttling import token_hit

    settings.API_RATE_WINDOW_SECONDS = 3600
    token = ApiToken.objects.get(prefix=issue_token(personas.operator).split("_")[1])
    now = timezone.now().timestamp()
    assert [token_hit(token, None, now) for _ in range(3)] == [1, 2, 3]
    assert token_hit(ApiToken.objects.get(pk=token.pk), "127.0.0.1", now) == 4
    assert token_hit(token, None, now + 3600) == 1


def test_the_token_lookup_reads_the_rows_the_orm_would(personas):
    """token_with_operator builds its statement itself (the ORM's query building cost most of every
    request's lookup): the oracle is the ORM's own answer, every field of both rows, with the
    database's converters applied (SQLite returns time stamps without their zone)."""
    from console.api.authentication import token_with_operator

    personas.operator.last_login = timezone.now() - timedelta(days=1)
    personas.operator.save()
    prefix = token_parts(issue_token(personas.operator, expires_at=timezone.now() + timedelta(days=3)))[0]
    ApiToken.objects.update(last_used_at=timezone.now(), last_used_from="192.0.2.7", window_start=1_700_000_000, window_hits=3)
    expected = ApiToken.objects.select_related("operator").get(prefix=prefix)
    found = token_with_operator(prefix)
    for row, oracle in ((found, expected), (found.operator, expected.operator)):
        for field in oracle._meta.concrete_fields:
            assert getattr(row, field.attname) == getattr(oracle, field.attname), field.name
            assert type(getattr(row, field.attname)) is type(getattr(oracle, field.attname)), field.name
    assert not found._state.adding and found.operator_id == found.operator.pk
    assert token_with_operator("unknown") is None
