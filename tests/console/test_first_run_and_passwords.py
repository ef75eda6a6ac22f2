"""First run (X2): the first Administrator with a one-time password, and the forced password change."""
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from console.models import AuditEntry, Operator
from console.services import first_administrator_create
from tests.conftest import PASSWORD

NEW_PASSWORD = "my-own-long-passphrase-7"


def _run_command(*arguments: str) -> str:
    output = StringIO()
    call_command("ensure_first_administrator", *arguments, stdout=output)
    return output.getvalue()


def test_on_an_empty_database_the_command_creates_an_administrator_and_prints_the_password(db):
    output = _run_command()
    password = re.search(r"one-time password: (\S+)", output).group(1)
    administrator = Operator.objects.get()
    assert (administrator.username, administrator.role, administrator.must_change_password) == ("admin", "administrator", True)
    assert administrator.check_password(password)
    assert "username: admin" in output


def test_the_first_administrator_s_username_can_be_chosen(db):
    output = _run_command("--username", "ops.lead")
    password = re.search(r"one-time password: (\S+)", output).group(1)
    administrator = Operator.objects.get()
    assert (administrator.username, administrator.role) == ("ops.lead", "administrator")
    assert Client().post(reverse("login"), {"username": "ops.lead", "password": password}).status_code == 302


def test_an_invalid_first_username_is_refused_and_creates_nothing(db):
    with pytest.raises(CommandError, match="--username 'ops lead!'"):
        _run_command("--username", "ops lead!")
    assert not Operator.objects.exists()


def test_the_command_says_where_to_log_in(db, settings):
    settings.PUBLIC_BASE_URL = "https://console.example.net"
    assert "Log in at http://127.0.0.1:8765/ " in _run_command("--url", "http://127.0.0.1:8765/")
    Operator.objects.all().delete()
    assert "Log in at https://console.example.net " in _run_command()


def test_the_command_does_nothing_once_an_operator_exists(db):
    _run_command()
    assert _run_command() == ""
    assert Operator.objects.count() == 1
    assert first_administrator_create() is None


def test_the_first_administrator_must_choose_a_password_before_anything_else(db):
    _, password = first_administrator_create()
    client = Client()
    response = client.post(reverse("login"), {"username": "admin", "password": password}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert "Choose your own password before you continue" in response.content.decode()
    for url in (reverse("groups:group_list"), reverse("operator_list"), reverse("services")):
        assert client.get(url)["Location"] == reverse("password_change")
    response = client.post(reverse("password_change"), {
        "old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert "Your password was changed." in [str(message) for message in response.context["messages"]]
    assert response.redirect_chain[-1][0] == reverse("home")
    assert client.get(reverse("groups:group_list")).status_code == 200
    administrator = Operator.objects.get()
    assert administrator.must_change_password is False
    assert administrator.check_password(NEW_PASSWORD)
    assert not administrator.check_password(password)


def test_the_one_time_password_works_only_until_it_is_changed(db):
    _, password = first_administrator_create()
    client = Client()
    client.post(reverse("login"), {"username": "admin", "password": password})
    client.post(reverse("password_change"), {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    refused = Client().post(reverse("login"), {"username": "admin", "password": password})
    assert refused.status_code == 200


def test_a_forced_password_change_still_allows_logging_out(db):
    _, password = first_administrator_create()
    client = Client()
    client.post(reverse("login"), {"username": "admin", "password": password})
    assert client.post(reverse("logout"))["Location"] == reverse("login")


def test_the_password_page_refuses_a_wrong_current_password_a_mismatch_and_a_weak_password(personas, client_for):
    client = client_for(personas.operator)
    cases = [
        ({"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, "entered incorrectly"),
        ({"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}, "differ"),
        ({"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}, "too short"),
        ({"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}, "different from the current"),
    ]
    for data, error in cases:
        response = client.post(reverse("password_change"), data)
        assert response.status_code == 200
        assert error in response.content.decode()
    personas.operator.refresh_from_db()
    assert personas.operator.check_password(PASSWORD)


def test_changing_one_s_password_keeps_the_session_and_is_audited_without_the_password(personas):
    client = Client()
    client.post(reverse("login"), {"username": "oscar", "password": PASSWORD})
    client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert client.get(reverse("groups:group_list")).status_code == 200
    entry = AuditEntry.objects.get(action="operator.change_password")
    assert entry.actor == personas.operator
    assert NEW_PASSWORD not in str(entry.before) + str(entry.after) + entry.message
