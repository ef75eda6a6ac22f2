"""Review: a superseded session is sent to the login page with the page it asked for as `next`,
whatever characters that path holds (never a server error, never a second `next`)."""
from urllib.parse import parse_qs, urlsplit

from console.models import Operator


def test_a_superseded_session_asking_an_odd_path_is_sent_to_login_with_that_path(personas, client_for):
    client = client_for(personas.operator)
    Operator.objects.filter(pk=personas.operator.pk).update(current_session_key="a-newer-session")
    client.raise_request_exception = False
    response = client.get("/groups/%0Aa&next=//evil.example")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/login/"
    assert parse_qs(target.query)["next"] == ["/groups/\na&next=//evil.example"]
