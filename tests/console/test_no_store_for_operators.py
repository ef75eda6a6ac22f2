"""No response to a logged-in operator may be kept by a browser or proxy cache: every URL of the
permission matrix, by every logged-in persona, allowed or refused, carries `Cache-Control:
no-store`, the page showing a one-time password included."""
import pytest
from django.urls import reverse

from tests.console.fixtures import World, client_of
from tests.console.test_permission_matrix import VIEWS

LOGGED_IN = ("administrator", "operator", "outsider", "auditor")
CASES = [
    pytest.param(case, method, persona, id=f"{case.url_name}-{method}-{persona}")
    for case in VIEWS for method in case.methods for persona in LOGGED_IN
]


def assert_not_stored(response) -> None:
    assert "no-store" in [part.strip() for part in response.get("Cache-Control", "").split(",")], (
        response.status_code, response.get("Cache-Control"))


@pytest.mark.parametrize(("case", "method", "persona"), CASES)
def test_every_response_to_a_logged_in_operator_says_no_store(world: World, case, method, persona):
    client = client_of(world, persona)
    url = case.url(world)
    response = client.get(url) if method == "GET" else client.post(url, case.post(world))
    assert_not_stored(response)


def test_the_page_showing_a_one_time_password_is_not_stored(world: World):
    response = client_of(world, "administrator").post(
        reverse("operator_reset_password", args=[world.personas.operator.pk]), follow=True)
    assert response.status_code == 200
    assert f"New one-time password for {world.personas.operator.username} (shown once)" in response.content.decode()
    assert_not_stored(response)

