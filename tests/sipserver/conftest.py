"""Fixtures of the SIP-server tests: a Kamailio of the session against the test database, and sipp.

Kamailio only sees committed rows, so the tests that drive it are transactional
(`django_db(transaction=True)`); each uses usernames of its own because Kamailio keeps contacts in
memory across tests. Kamailio runs with TZ=America/New_York and the console is told so
(KAMAILIO_TIME_ZONE), so every test also proves the local-time conversion of `location`.
"""
import os

import pytest

from tests.sipserver.harness import database_url, missing_sip_tools, sipp_register, start_kamailio

KAMAILIO_TIME_ZONE = "America/New_York"


def _postgresql_url_configured() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas' passwords are never checked here (tests log in with force_login); a cheap hasher
    keeps the setup of these transactional tests short."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def kamailio(django_db_setup, django_db_blocker, tmp_path_factory):
    """Kamailio on loopback ports of its own, authenticating from the test database."""
    if not _postgresql_url_configured():
        pytest.skip("needs PostgreSQL, which Kamailio shares with the console: set DATABASE_URL=postgres://...")
    reason = missing_sip_tools()
    if reason:
        pytest.skip(reason)
    from django.conf import settings
    from django.db import connection

    with django_db_blocker.unblock():
        db_url = database_url(connection.settings_dict)
    server = start_kamailio(
        db_url=db_url, workdir=tmp_path_factory.mktemp("kamailio"), sip_domain=settings.SIP_DOMAIN,
        time_zone=KAMAILIO_TIME_ZONE,
    )
    yield server
    server.stop()


@pytest.fixture
def sip_server(kamailio, settings):
    """The session's Kamailio, with the console pointed at its JSON-RPC address and time zone."""
    settings.KAMAILIO_RPC_URL = kamailio.rpc_url
    settings.KAMAILIO_TIME_ZONE = kamailio.time_zone
    return kamailio


@pytest.fixture
def register(sip_server, tmp_path, settings):
    """`register([(username, password), ...], source="127.0.0.1", expires=300)` -> {username: answer}."""

    def run(users, *, source="127.0.0.1", expires=300):
        return sipp_register(sip_server, users, workdir=tmp_path, sip_domain=settings.SIP_DOMAIN, source=source, expires=expires)

    return run
