"""POST /client/v1/licence (W4) answers any body of an authenticated client, however deeply
nested, oversized or malformed, with its 400 and message: never a server error, nothing bound."""
from django.test import Client
from hypothesis import given

from licensing.models import Licence
from tests.hostile_input import PROPERTY_SETTINGS, hostile_json_bodies
from tests.licensing.helpers import LICENCE_URL, basic


@PROPERTY_SETTINGS
@given(body=hostile_json_bodies)
def test_a_hostile_body_gets_the_400_of_a_malformed_body(account, settings, body):
    settings.LICENCE_RATE_LIMIT_PER_USERNAME = 10_000
    client = Client()
    client.raise_request_exception = False
    response = client.post(LICENCE_URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=basic(account.username))

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert Licence.objects.get(account=account).state == Licence.State.NOT_VALIDATED
