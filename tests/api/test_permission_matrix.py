"""The permission matrix (O2) over every endpoint of the REST API, generated from one table.

Each row of ENDPOINTS names an endpoint, who may use it, and (for a change) the body that would
change data if it were accepted. Every row is crossed with the API's personas: Administrator,
operator of the group, operator of another group (404 on the group's objects, exactly as the
pages), auditor (403 on writes), the operator's read-only token (403 on writes), an expired and a
revoked token and a request without one (401), a token used from outside its allowed networks
(403). A refused request leaves every row as it was; an accepted change changes something.
"""
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.urls import get_resolver

from tests.api.conftest import new_account_body
from tests.api.world import ApiWorld, build_world, data_state
from tests.batch.helpers import csv_bytes, plain_row

READ = "reads in the operator's groups"
WRITE = "writes in the operator's groups"
WRITERS = "roles that write, in their groups (reads too)"
LIST = "lists scoped to the operator's groups"
ADMIN = "Administrators only"
ADMIN_WRITE = "everyone reads, Administrators write"
PERSONAS = ("administrator", "operator", "outsider", "auditor", "read_only", "expired", "revoked", "outside_networks", "no_token")


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[ApiWorld], str]
    access: str
    body: Callable[[ApiWorld], object] | None = None
    multipart: bool = False
    if_match: bool = False


def _group(world):
    return world.personas.group.pk


def _account(world):
    return world.account.pk


def _upload(world):
    return {"file": SimpleUploadedFile("more.csv", csv_bytes([plain_row(9100)]), content_type="text/csv")}


ENDPOINTS = [
    Endpoint("groups-list", "GET", lambda w: "/api/v1/groups/", LIST),
    Endpoint("groups-create", "POST", lambda w: "/api/v1/groups/", ADMIN_WRITE, body=lambda w: {"name": "Initech"}),
    Endpoint("group-read", "GET", lambda w: f"/api/v1/groups/{_group(w)}/", READ),
    Endpoint("group-update", "PATCH", lambda w: f"/api/v1/groups/{_group(w)}/", ADMIN_WRITE, body=lambda w: {"name": "Acme Renamed"},
             if_match=True),
    Endpoint("group-delete", "DELETE", lambda w: f"/api/v1/groups/{w.empty_group.pk}/", ADMIN_WRITE),
    Endpoint("group-accounts-list", "GET", lambda w: f"/api/v1/groups/{_group(w)}/accounts/", READ),
    Endpoint("group-accounts-create", "POST", lambda w: f"/api/v1/groups/{_group(w)}/accounts/", WRITE,
             body=lambda w: new_account_body(1)),
    Endpoint("group-accounts-wizard", "POST", lambda w: f"/api/v1/groups/{_group(w)}/accounts/wizard/", WRITE,
             body=lambda w: {"owner": "Wanda Wizard", "virtual_number": "+390299000001", "profile": _default_profile()}),
    Endpoint("group-export", "GET", lambda w: f"/api/v1/groups/{_group(w)}/accounts/export/", READ),
    Endpoint("group-imports-create", "POST", lambda w: f"/api/v1/groups/{_group(w)}/imports/", WRITE, body=_upload, multipart=True),
    Endpoint("import-read", "GET", lambda w: f"/api/v1/imports/{w.import_job.pk}/", WRITERS),
    Endpoint("import-commit", "POST", lambda w: f"/api/v1/imports/{w.import_job.pk}/commit/", WRITE),
    Endpoint("accounts-list", "GET", lambda w: "/api/v1/accounts/", LIST),
    Endpoint("accounts-export", "GET", lambda w: "/api/v1/accounts/export/", LIST),
    Endpoint("account-read", "GET", lambda w: f"/api/v1/accounts/{_account(w)}/", READ),
    Endpoint("account-update", "PATCH", lambda w: f"/api/v1/accounts/{_account(w)}/", WRITE, body=lambda w: {"owner": "Someone Else"},
             if_match=True),
    Endpoint("account-delete", "DELETE", lambda w: f"/api/v1/accounts/{_account(w)}/", WRITE),
    Endpoint("account-enable", "POST", lambda w: f"/api/v1/accounts/{w.disabled_account.pk}/enable/", WRITE),
    Endpoint("account-disable", "POST", lambda w: f"/api/v1/accounts/{_account(w)}/disable/", WRITE),
    Endpoint("account-move", "POST", lambda w: f"/api/v1/accounts/{_account(w)}/move/", WRITE,
             body=lambda w: {"group": w.empty_group.pk}),
    Endpoint("account-sms-installation", "POST", lambda w: f"/api/v1/accounts/{_account(w)}/sms/installation/", WRITE),
    Endpoint("account-sms-activation", "POST", lambda w: f"/api/v1/accounts/{_account(w)}/sms/activation/", WRITE),
    Endpoint("account-licence-clear", "POST", lambda w: f"/api/v1/accounts/{_account(w)}/licence/clear/", WRITE),
    Endpoint("account-licence-revoke-keys", "POST", lambda w: f"/api/v1/accounts/{_account(w)}/licence/revoke-keys/", WRITE),
    Endpoint("sms-list", "GET", lambda w: "/api/v1/sms/", LIST),
    Endpoint("licences-list", "GET", lambda w: "/api/v1/licences/", LIST),
    Endpoint("registrations-list", "GET", lambda w: "/api/v1/registrations/", LIST),
    Endpoint("audit-list", "GET", lambda w: "/api/v1/audit/", ADMIN),
    Endpoint("schema", "GET", lambda w: "/api/v1/schema/", LIST),
]


def _default_profile():
    from activation.models import ProvisioningProfile

    return ProvisioningProfile.objects.get(is_default=True).pk


def expected_refusal(endpoint: Endpoint, persona: str) -> int | None:
    """The status `persona` gets from `endpoint`; None when it is allowed."""
    if persona in ("expired", "revoked", "no_token"):
        return 401
    if persona == "outside_networks":
        return 403
    writes = endpoint.method != "GET"
    if endpoint.access == ADMIN or (endpoint.access == ADMIN_WRITE and writes):
        return None if persona == "administrator" else 403
    if endpoint.access in (LIST, ADMIN_WRITE):
        return None
    if writes and persona in ("auditor", "read_only"):
        return 403
    if endpoint.access == WRITERS and persona == "auditor":
        return 403
    return 404 if persona == "outsider" else None


@pytest.fixture
def world(personas) -> ApiWorld:
    return build_world(personas)


def _send(world: ApiWorld, endpoint: Endpoint, persona: str):
    client = world.client(persona)
    headers = {}
    if endpoint.if_match:
        headers["If-Match"] = '"1"'
    body = endpoint.body(world) if endpoint.body else None
    options = {"content_type": MULTIPART_CONTENT} if endpoint.multipart else {}
    return client.request(endpoint.method, endpoint.url(world), body, headers=headers, **options)


MATRIX = [pytest.param(endpoint, persona, id=f"{endpoint.name}-{persona}") for endpoint in ENDPOINTS for persona in PERSONAS]


@pytest.mark.parametrize(("endpoint", "persona"), MATRIX)
def test_each_persona_gets_exactly_what_its_role_groups_and_token_allow(world, endpoint, persona):
    expected = expected_refusal(endpoint, persona)
    before = data_state()
    response = _send(world, endpoint, persona)
    after = data_state()
    if expected is None:
        assert 200 <= response.status_code < 300, (response.status_code, response.content[:500])
        if endpoint.method != "GET":
            assert after != before, "an accepted change should have changed something"
        else:
            assert after == before
    else:
        assert response.status_code == expected, response.content[:500]
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == expected
        assert after == before
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_lists_show_an_outsider_nothing_of_the_group(world):
    client = world.client("outsider")
    assert client.get("/api/v1/accounts/").json()["results"] == []
    assert [group["name"] for group in client.get("/api/v1/groups/").json()["results"]] == ["Globex"]
    assert client.get("/api/v1/accounts/?q=Rossi").json()["results"] == []


def test_the_matrix_covers_every_endpoint_of_the_api():
    from console.api import urls

    named = {pattern.name for pattern in urls.urlpatterns if pattern.name}
    covered = {_route_name(endpoint) for endpoint in ENDPOINTS}
    assert named - covered == set()
    assert get_resolver().resolve("/api/v1/groups/").url_name == "api_groups"


def _route_name(endpoint: Endpoint) -> str:
    from django.urls import resolve

    world_ids = _FakeWorld()
    return resolve(endpoint.url(world_ids).split("?")[0]).url_name


class _FakeWorld:
    """Ids in place of objects, to resolve an endpoint's URL without a database."""

    class _Obj:
        pk = 1

    def __init__(self):
        self.personas = type("P", (), {"group": self._Obj()})()
        self.account = self.disabled_account = self.empty_group = self.import_job = self._Obj()
