"""API test helpers: tokens issued through the service, and clients that send them."""
import json

import pytest
from django.test import Client


def issue_token(operator, **options) -> str:
    """A new token of `operator` (options as api_token_create's), as its text."""
    from console.api.services import api_token_create
    from console.audit import Actor

    return api_token_create(actor=Actor.of(operator), operator=operator, name=options.pop("name", "billing"), **options).text


class ApiClient:
    """A test client that sends a token and JSON bodies."""

    def __init__(self, token: str | None, remote_addr: str = "127.0.0.1"):
        self.client = Client(REMOTE_ADDR=remote_addr)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, url: str, body=None, headers: dict | None = None, **options):
        all_headers = {**self.headers, **(headers or {})}
        if body is not None and "content_type" not in options:
            options = {**options, "data": json.dumps(body), "content_type": "application/json"}
        elif body is not None:
            options = {**options, "data": body}
        elif method in ("POST", "PATCH"):
            options = {"data": "", "content_type": "application/json", **options}  # no body, as `curl -X POST`
        return getattr(self.client, method.lower())(url, headers=all_headers, **options)

    def get(self, url, **options):
        return self.request("GET", url, **options)

    def post(self, url, body=None, **options):
        return self.request("POST", url, body, **options)

    def patch(self, url, body=None, **options):
        return self.request("PATCH", url, body, **options)

    def delete(self, url, **options):
        return self.request("DELETE", url, **options)


@pytest.fixture
def api_for():
    """`api_for(operator, **token_options)`: an API client with a new token of that operator."""

    def make(operator, **options):
        return ApiClient(issue_token(operator, **options))

    return make


def new_account_body(serial: int, **overrides) -> dict:
    body = {"username": f"55{serial:08d}", "password": "Sup3r-secret-sip", "virtual_number": f"+3907{serial:07d}",
            "owner": f"Cliente {serial}", "email": f"cliente{serial}@example.com"}
    body.update(overrides)
    return body


@pytest.fixture
def search_index(settings, tmp_path):
    """A search index of this test, in its own directory (built on first use from the database)."""
    from accounts.search.engine.index import get_index

    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    return get_index()


@pytest.fixture
def operator_api(personas):
    return ApiClient(issue_token(personas.operator))
