"""Schemathesis over the whole /api/v1/ schema (API1) with a real token, on PostgreSQL, in process
against the WSGI application: no answer is a server error, and every answer (status, headers,
content type, body) is one the schema declares. Path ids are half the time those of real objects
(an account, a group, an import) rather than made-up numbers, so the checks reach successful
answers, not only 404s.

Every built-in check runs except "schema-valid data is accepted" (see the test). Bounded: API_SCHEMATHESIS_EXAMPLES examples per operation (default 25), no deadline.
"""
import itertools
import json
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.world import build_world
from tests.conftest import requires_postgresql

EXAMPLES = int(os.environ.get("API_SCHEMATHESIS_EXAMPLES", "25"))
REAL_IDS: dict[str, int] = {}
CURRENT_TOKEN: dict[str, str] = {}
COLLECTION_TOKEN = "sipc_collecting_only"
CASES = itertools.count()


def _schema() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


# Unknown query parameters are ignored, as the pages ignore them: not generated as "invalid".
schema = schemathesis.openapi.from_dict(
    _schema(), config=SchemathesisConfig.from_dict({"generation": {"allow-extra-parameters": False}}),
)
schema.app = get_wsgi_application()


@schema.auth(refresh_interval=None)
class TestToken:
    """The token of the test's world (Schemathesis also sends requests without it, expecting 401)."""

    def get(self, case, context):
        return CURRENT_TOKEN.get("text", COLLECTION_TOKEN)

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


def with_the_world(case) -> None:
    """The test's token where the case was made while tests were collected (Schemathesis's
    coverage phase), and every other valid case pointed at the world's real objects."""
    headers = case.headers or {}
    if headers.get("Authorization") == f"Bearer {COLLECTION_TOKEN}":
        headers["Authorization"] = f"Bearer {CURRENT_TOKEN['text']}"
    valid = case.meta is not None and case.meta.generation.mode.name == "POSITIVE"
    if valid and case.path_parameters and next(CASES) % 2 == 0:
        case.path_parameters = {name: REAL_IDS.get(name, value) for name, value in case.path_parameters.items()}


@pytest.fixture
def api_token(personas) -> str:
    """A token of the Administrator of the world; requests keep the test's database connection
    (as Django's test client does: the WSGI handler would close it after each request)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    world = build_world(personas)
    REAL_IDS.update(account_id=world.account.pk, group_id=personas.group.pk, job_id=world.import_job.pk)
    CURRENT_TOKEN["text"] = world.tokens["administrator"]
    yield CURRENT_TOKEN["text"]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_schema_is_openapi_3_1_and_covers_every_endpoint():
    document = _schema()
    assert document["openapi"] == "3.1.0"
    assert len(document["paths"]) >= 20
    for methods in document["paths"].values():
        for operation in methods.values():
            problem = operation["responses"]["404"]["content"]["application/problem+json"]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}


@requires_postgresql
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_every_answer_conforms_to_the_schema_and_none_is_a_server_error(case, api_token):
    # Every check but "schema-valid data is accepted": a well-formed request may still be refused
    # for what a schema cannot say (a malformed Lucene query, a cursor this list never gave out,
    # a taken number, another group's id), with a 4xx problem the schema declares.
    with_the_world(case)
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
