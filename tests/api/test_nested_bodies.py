"""The operator API answers a JSON body nested deeper than Python's parser goes as it answers any
malformed JSON (400 problem+json), never a server error; nothing is created."""
from hypothesis import given

from accounts.models import Account
from tests.api.conftest import ApiClient, issue_token
from tests.hostile_input import PROPERTY_SETTINGS, nested_json


@PROPERTY_SETTINGS
@given(body=nested_json())
def test_a_nested_body_creating_an_account_is_a_400_problem(personas, body):
    api = ApiClient(issue_token(personas.operator))
    api.client.raise_request_exception = False
    response = api.post(f"/api/v1/groups/{personas.group.pk}/accounts/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"].startswith("application/problem+json")
    assert not Account.objects.exists()
