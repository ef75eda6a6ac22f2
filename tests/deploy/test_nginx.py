"""deploy/nginx/sipconsole.conf in front of gunicorn (2 sync workers): the console works through
it over TLS, its access log never holds a one-time token, and clients sending their bodies a few
bytes a second cannot hold gunicorn's workers and keep /healthz from answering."""
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from console.models import Operator
from tests.conftest import PASSWORD, make_operator, requires_postgresql
from tests.deploy.proxy import (
    make_certificate,
    nginx_binary,
    start_gunicorn,
    start_nginx,
)

pytestmark = [
    requires_postgresql,  # gunicorn's processes read what the test commits: the database must be a server's
    pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (Debian package nginx)"),
]
SLOW_CLIENTS = 3
SLOW_BODY = b'{"token": "slow"}'
SECONDS_PER_BYTE = 0.4
HEALTH_PATIENCE_SECONDS = 1.0


@dataclass(frozen=True)
class Stack:
    https_port: int
    http_port: int
    gunicorn_port: int
    certificate: str
    access_log: Path

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides `verify`
        session.verify = self.certificate
        return session


@pytest.fixture
def stack(tmp_path, transactional_db):
    """gunicorn on the test database behind nginx, both stopped afterwards."""
    certificate, key = make_certificate(tmp_path)
    for folder in ("gunicorn", "nginx"):
        (tmp_path / folder).mkdir()
    gunicorn, gunicorn_port = start_gunicorn(tmp_path / "gunicorn", connection.settings_dict)
    try:
        nginx, ports = start_nginx(tmp_path / "nginx", upstream_port=gunicorn_port, certificate=certificate, key=key)
        try:
            yield Stack(ports.https, ports.http, gunicorn_port, str(certificate),
                        tmp_path / "nginx" / "log" / "sipconsole.access.log")
        finally:
            nginx.stop()
    finally:
        gunicorn.stop()


def log_in(stack: Stack, session: requests.Session, username: str) -> requests.Response:
    login_url = f"{stack.base}/login/"
    assert session.get(login_url, timeout=10).status_code == 200
    return session.post(login_url, timeout=10, data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }, headers={"Referer": login_url, "Origin": stack.base})


def test_the_console_works_through_the_proxy_over_tls(stack):
    operator = make_operator("oscar", Operator.Role.ADMINISTRATOR)
    # Hashed as gunicorn's settings accept (the test session's own hasher is one they do not list).
    hasher = PBKDF2PasswordHasher()
    Operator.objects.filter(pk=operator.pk).update(password=hasher.encode(PASSWORD, hasher.salt(), iterations=1000))
    session = stack.session()

    landed = log_in(stack, session, "oscar")

    assert landed.status_code == 200, landed.text[:500]
    assert landed.url == f"{stack.base}/"
    assert "oscar" in landed.text
    assert "no-store" in landed.headers["Cache-Control"]
    page = session.get(f"{stack.base}/licensing/", timeout=10)
    assert page.status_code == 200 and "oscar" in page.text
    style = session.get(f"{stack.base}/static/css/console.css", timeout=10)
    assert style.status_code == 200 and style.headers["Content-Type"] == "text/css"
    plain = requests.get(f"http://127.0.0.1:{stack.http_port}/login/", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")


def test_the_access_log_never_holds_a_one_time_token(stack):
    tokens = [secrets.token_urlsafe(24) for _ in range(4)]
    session = stack.session()
    visits = [
        session.get(f"{stack.base}/i/{tokens[0]}", timeout=10),
        session.get(f"{stack.base}/i/{tokens[0]}/download?platform=ios", timeout=10),
        session.get(f"{stack.base}/a/{tokens[1]}", timeout=10),
        session.post(f"{stack.base}/a/{tokens[2]}", timeout=10),
        session.post(f"{stack.base}/a/{tokens[2]}/opened", timeout=10),
        session.get(f"{stack.base}/static/css/mobile.css", headers={"Referer": f"{stack.base}/a/{tokens[3]}"}, timeout=10),
    ]
    assert [visit.status_code for visit in visits] == [404, 404, 404, 403, 403, 200]

    last_line = f'"{stack.base}/a/[token]"'  # the last request's referer, as it should be logged
    logged = log_once_written(stack.access_log, last_line)
    for token in tokens:
        assert token not in logged
    for request_line in ('"GET /i/[token] ', '"GET /i/[token]/download?platform=ios ', '"GET /a/[token] ',
                         '"POST /a/[token] ', '"POST /a/[token]/opened ', last_line):
        assert request_line in logged, logged


def log_once_written(log: Path, last: str, seconds: float = 5.0) -> str:
    """The access log once it holds `last` (or after `seconds`): nginx writes a request's line
    after it has sent the answer, so the client can read the log before the last line is in it."""
    deadline = time.monotonic() + seconds
    text = log.read_text()
    while last not in text and time.monotonic() < deadline:
        time.sleep(0.05)
        text = log.read_text()
    return text


def send_slowly(port: int, *, tls_certificate: str | None, stop: threading.Event) -> None:
    """POST the install report with its body a byte at a time, SECONDS_PER_BYTE apart."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    if tls_certificate:
        context = ssl.create_default_context(cafile=tls_certificate)
        raw = context.wrap_socket(raw, server_hostname="127.0.0.1")
    with raw:
        raw.sendall(b"POST /client/v1/installed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(SLOW_BODY))
        for byte in SLOW_BODY:
            if stop.wait(SECONDS_PER_BYTE):
                return
            raw.sendall(bytes([byte]))
        raw.recv(1024)


def health_check_seconds(url: str, certificate: str | None = None) -> float:
    """How long /healthz took to answer 200; past the patience, the patience plus a second."""
    started = time.monotonic()
    try:
        response = requests.get(url, timeout=HEALTH_PATIENCE_SECONDS + 1, verify=certificate or True)
    except requests.Timeout:
        return HEALTH_PATIENCE_SECONDS + 1
    assert response.status_code == 200
    return time.monotonic() - started


def health_while_slow_clients_send(port: int, url: str, certificate: str | None) -> list[float]:
    stop = threading.Event()
    clients = [threading.Thread(target=send_slowly, args=(port,), kwargs={"tls_certificate": certificate, "stop": stop})
               for _ in range(SLOW_CLIENTS)]
    for client in clients:
        client.start()
    try:
        time.sleep(1)  # the slow clients are connected and sending
        return [health_check_seconds(url, certificate) for _ in range(3)]
    finally:
        stop.set()
        for client in clients:
            client.join(30)


def test_slow_bodies_do_not_hold_the_workers_and_healthz_answers_within_a_second(stack):
    # Straight to gunicorn, the slow clients take both sync workers: the check waits (the test's premise).
    direct = health_while_slow_clients_send(
        stack.gunicorn_port, f"http://127.0.0.1:{stack.gunicorn_port}/healthz", None)
    assert max(direct) > HEALTH_PATIENCE_SECONDS, direct

    through_nginx = health_while_slow_clients_send(stack.https_port, f"{stack.base}/healthz", stack.certificate)

    assert max(through_nginx) <= HEALTH_PATIENCE_SECONDS, through_nginx
