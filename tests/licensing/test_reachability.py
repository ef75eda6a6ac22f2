"""GET /healthz (W6) and the Services page's check that the public base URL reaches it (X1)."""
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from licensing.checks import check_public_base_url
from tests.conftest import requires_postgresql


def test_healthz_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response["Cache-Control"] == "no-store"


@requires_postgresql
def test_healthz_answers_503_when_the_database_does_not(client, transactional_db):
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", str(free_port())
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Answer(BaseHTTPRequestHandler):
    status = 200
    body = b""

    def do_GET(self):
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_server():
    """`other_server(status, body)`: a small HTTP server on loopback that is not this console."""
    servers = []

    def start(status: int, body: bytes) -> str:
        handler = type("Handler", (Answer,), {"status": status, "body": body})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_check_passes_when_the_url_reaches_this_console(live_server):
    ok, message = check_public_base_url(live_server.url + "/")

    assert ok, message
    assert "reaches this console" in message and "plain HTTP" in message


def test_the_check_says_when_no_url_is_configured():
    assert check_public_base_url("") == (False, "No public base URL is configured: SMS links and licence validation cannot reach this console.")


def test_the_check_names_a_dns_failure():
    ok, message = check_public_base_url("https://console-check.invalid")

    assert not ok
    assert "does not resolve (DNS)" in message


def test_the_check_names_a_refused_connection():
    port = free_port()
    ok, message = check_public_base_url(f"http://127.0.0.1:{port}")

    assert not ok
    assert f"port {port} was refused" in message


def test_the_check_names_a_tls_failure(other_server):
    plain = other_server(200, b"{}")
    ok, message = check_public_base_url(plain.replace("http://", "https://"))

    assert not ok
    assert message.startswith("TLS with 127.0.0.1")


def test_the_check_names_a_wrong_answer(other_server):
    ok, message = check_public_base_url(other_server(404, b"not here"))

    assert not ok
    assert "answered HTTP 404" in message


def test_the_check_names_another_server(other_server):
    ok, message = check_public_base_url(other_server(200, b"<html>welcome</html>"))

    assert not ok
    assert "another server" in message


def test_the_check_names_another_console_installation(other_server):
    body = json.dumps({"service": "sip-operator-console", "instance": "0000000000000000", "status": "ok"}).encode()
    ok, message = check_public_base_url(other_server(200, body))

    assert not ok
    assert "another SIP Operator Console installation" in message


def test_the_check_says_when_this_console_answers_without_its_database(other_server, db):
    """A fake: a server answering as this console does with its database down (the live server
    cannot lose its database while the test keeps using it)."""
    from licensing import signing

    body = json.dumps({"service": "sip-operator-console", "instance": signing.key_id(), "status": "unavailable"}).encode()
    ok, message = check_public_base_url(other_server(503, body))

    assert not ok
    assert "database is unavailable" in message


def test_the_services_page_shows_the_check_and_the_public_key(client_for, personas, settings):
    from licensing import signing

    settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{free_port()}"
    page = client_for(personas.administrator).get("/services/").content.decode()

    assert "was refused" in page
    assert signing.public_key_b64() in page
