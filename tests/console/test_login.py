"""Logging in (O1, O4): idle timeout, one live session per operator, the web sessions log.
Throttling is in test_login_throttle.py, the code step in test_two_factor.py."""
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console.models import LoginAttempt, Operator
from tests.conftest import PASSWORD


def _log_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_logging_in_opens_the_dashboard_and_is_recorded(personas):
    client = Client()
    response = _log_in(client, "oscar", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="TestBrowser/1.0")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.operator, attempt.ip_address, attempt.user_agent, attempt.outcome) == (
        "oscar", personas.operator, "192.0.2.10", "TestBrowser/1.0", LoginAttempt.Outcome.SUCCESS)


def test_a_wrong_password_is_refused_and_recorded(personas):
    client = Client()
    response = _log_in(client, "oscar", "wrong-password")
    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()
    assert client.get(reverse("groups:group_list")).status_code == 302
    assert list(LoginAttempt.objects.values_list("username", "outcome")) == [("oscar", "bad_credentials")]


def test_login_goes_back_to_the_page_asked_for_but_never_to_another_site(personas):
    target = reverse("accounts:account_list", args=[personas.group.pk])
    response = Client().post(f"{reverse('login')}?next={target}", {"username": "oscar", "password": PASSWORD, "next": target})
    assert response["Location"] == target
    response = Client().post(reverse("login"), {"username": "oscar", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_an_idle_session_expires_and_the_next_request_goes_to_the_login_page(personas):
    client = Client()
    _log_in(client, "oscar")
    session = Session.objects.get()
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    url = reverse("groups:group_list")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_every_request_pushes_the_idle_timeout_back(personas, settings):
    client = Client()
    _log_in(client, "oscar")
    Session.objects.update(expire_date=timezone.now() + timedelta(seconds=60))
    client.get(reverse("groups:group_list"))
    remaining = Session.objects.get().expire_date - timezone.now()
    assert timedelta(seconds=settings.SESSION_COOKIE_AGE - 30) < remaining <= timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_the_idle_timeout_comes_from_the_environment(monkeypatch):
    import subprocess
    import sys

    from django.conf import settings

    output = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_AGE)"],
        env={"DJANGO_SETTINGS_MODULE": "console.settings", "SESSION_IDLE_TIMEOUT": "600", "PATH": "/usr/bin:/bin",
             "SECRET_KEY": "x" * 50, "VAR_DIR": str(settings.VAR_DIR)},
        capture_output=True, text=True, check=True, cwd=settings.BASE_DIR,
    )
    assert output.stdout.strip() == "600"


def test_a_second_login_ends_the_first_session_with_a_message(personas, settings):
    settings.SINGLE_SESSION_PER_OPERATOR = True
    first, second = Client(), Client()
    _log_in(first, "oscar")
    assert first.get(reverse("groups:group_list")).status_code == 200
    _log_in(second, "oscar")
    url = reverse("accounts:account_list", args=[personas.group.pk])
    response = first.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    login_page = first.get(response["Location"])
    assert "You were logged out because you logged in somewhere else." in _messages(login_page)
    assert first.get(reverse("groups:group_list")).status_code == 302
    assert second.get(reverse("groups:group_list")).status_code == 200
    outcomes = list(LoginAttempt.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["success", "success", "superseded"]


def test_a_second_login_leaves_other_operators_sessions_alone(personas, settings):
    settings.SINGLE_SESSION_PER_OPERATOR = True
    oscar, aude = Client(), Client()
    _log_in(oscar, "oscar")
    _log_in(aude, "aude")
    _log_in(Client(), "aude")
    assert oscar.get(reverse("groups:group_list")).status_code == 200


def test_with_single_session_off_both_sessions_stay(personas, settings):
    settings.SINGLE_SESSION_PER_OPERATOR = False
    first, second = Client(), Client()
    _log_in(first, "oscar")
    _log_in(second, "oscar")
    assert first.get(reverse("groups:group_list")).status_code == 200
    assert second.get(reverse("groups:group_list")).status_code == 200


def test_logging_out_ends_the_session_and_is_recorded(personas):
    client = Client()
    _log_in(client, "oscar")
    response = client.post(reverse("logout"), follow=True)
    assert "You are logged out." in _messages(response)
    assert client.get(reverse("groups:group_list")).status_code == 302
    assert list(LoginAttempt.objects.order_by("id").values_list("outcome", flat=True)) == ["success", "logout"]


def test_a_deactivated_operator_cannot_log_in_and_the_log_says_why(personas):
    personas.operator.is_active = False
    personas.operator.save()
    client = Client()
    response = _log_in(client, "oscar")
    assert response.status_code == 200
    assert "This operator is deactivated" in response.content.decode()
    assert client.get(reverse("groups:group_list")).status_code == 302
    _log_in(Client(), "oscar", "wrong-password")
    outcomes = list(LoginAttempt.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [LoginAttempt.Outcome.INACTIVE, LoginAttempt.Outcome.BAD_CREDENTIALS]


def test_the_web_sessions_log_lists_every_attempt_and_filters_by_outcome(personas, client_for):
    _log_in(Client(), "oscar", REMOTE_ADDR="192.0.2.10")
    _log_in(Client(), "mallory", "guess", REMOTE_ADDR="203.0.113.66")
    admin = client_for(personas.administrator)
    page = admin.get(reverse("session_log")).content.decode()
    for text in ("oscar", "192.0.2.10", "Success", "mallory", "203.0.113.66", "Wrong username or password"):
        assert text in page
    failures = admin.get(reverse("session_log"), {"outcome": "bad_credentials"})
    assert [attempt.username for attempt in failures.context["page"]] == ["mallory"]


@pytest.mark.parametrize("persona", ["operator", "auditor"])
def test_the_web_sessions_log_is_for_administrators_only(personas, client_for, persona):
    assert client_for(getattr(personas, persona)).get(reverse("session_log")).status_code == 403


def test_a_superseded_session_asking_an_odd_path_is_sent_to_login_with_that_path(personas, client_for):
    client = client_for(personas.operator)
    Operator.objects.filter(pk=personas.operator.pk).update(current_session_key="a-newer-session")
    client.raise_request_exception = False
    response = client.get("/groups/%0Aa&next=//evil.example")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/login/"
    assert parse_qs(target.query)["next"] == ["/groups/\na&next=//evil.example"]
