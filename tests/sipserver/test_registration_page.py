"""The Registered clients page (R1) without a SIP server, and the JSON-RPC client's refusals."""
import logging

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Account
from accounts.sipserver import registrations, views
from accounts.sipserver.rpc import check_rpc, drop_registrations
from accounts.sipserver.tasks import accounts_connect_registered
from tests.conftest import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def embedded_database(monkeypatch):
    """The embedded SQLite database, which no SIP server can share. On SQLite this is the real
    thing; on PostgreSQL the vendor test is answered "not PostgreSQL" (a fake), since the suite
    runs on one database only."""
    if connection.vendor != "sqlite":
        monkeypatch.setattr(registrations, "sip_server_database", lambda: False)
        monkeypatch.setattr(views, "sip_server_database", lambda: False)
        monkeypatch.setattr("accounts.sipserver.tasks.sip_server_database", lambda: False)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("accounts:registration_list"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_without_a_sip_server_the_page_says_so_and_how_to_connect_one(embedded_database, personas, client_for):
    response = client_for(personas.administrator).get(reverse("accounts:registration_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "No SIP server is connected" in page
    assert "DATABASE_URL=postgres://" in page and "deploy/kamailio/kamailio.cfg" in page
    assert reverse("services") in page


def test_without_a_sip_server_no_account_is_registered_and_the_worker_has_nothing_to_do(embedded_database, personas):
    make_account(personas.group)

    assert list(Account.objects.with_registration_state().values_list("registered_now", flat=True)) == [False]
    assert accounts_connect_registered() == 0


def test_the_registered_clients_entry_is_in_every_operators_menu(personas, client_for):
    response = client_for(personas.auditor).get(reverse("accounts:registration_list"))

    assert {"label": "Registered clients", "url": reverse("accounts:registration_list"), "icon": "bi-broadcast", "active": True} in response.context["menu_entries"]


def test_the_live_check_explains_a_missing_or_malformed_address():
    assert check_rpc("") == (False, "No Kamailio JSON-RPC address is configured.")
    ok, problem = check_rpc("ftp://127.0.0.1/RPC")
    assert ok is False and "is not an http:// or https:// address" in problem


def test_a_live_check_message_never_shows_the_password_of_the_address():
    ok, problem = check_rpc("http://admin:hunter2@127.0.0.1:9/RPC")

    assert ok is False and "hunter2" not in problem and "127.0.0.1:9/RPC" in problem


def test_without_a_json_rpc_address_dropping_registrations_is_logged_and_skipped(settings, caplog):
    settings.KAMAILIO_RPC_URL = ""

    with caplog.at_level(logging.INFO, logger="accounts.sipserver.rpc"):
        assert drop_registrations("4000000001") is False

    assert "No Kamailio JSON-RPC address configured" in caplog.text
