"""Two-factor sign-in (O1, O4): enrolment from the operator's menu, the code step after the
password, recovery codes, the Administrators' policy and reset. Codes are computed from the
enrolled secret with django-otp's TOTP, as an authenticator app would."""
import time
from binascii import unhexlify

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.models import AuditEntry, LoginAttempt, LoginThrottle, Operator
from console.signin import PENDING_KEY
from console.twofactor import ENROLMENT_KEY
from tests.conftest import PASSWORD


def code_for(key: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding `key` shows `steps_ahead` periods of 30 s from now."""
    totp = TOTP(unhexlify(key))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def enrol(client: Client, used: list[str] | None = None) -> tuple[str, list[str]]:
    """Enrol the client's operator; return the secret and the recovery codes shown (and append
    the confirming code to `used`)."""
    client.get(reverse("two_factor"))
    key = client.session[ENROLMENT_KEY]
    code = code_for(key)
    response = client.post(reverse("two_factor"), {"code": code})
    assert response["Location"] == reverse("two_factor_recovery_codes")
    if used is not None:
        used.append(code)
    return key, client.get(reverse("two_factor_recovery_codes")).context["codes"]


def _password_step(client: Client, username: str = "oscar", address: str = "192.0.2.10", password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _code_step(client: Client, code: str, address: str = "192.0.2.10"):
    return client.post(reverse("login_code"), {"code": code}, REMOTE_ADDR=address)


def _outcomes() -> list[str]:
    return list(LoginAttempt.objects.order_by("id").values_list("outcome", flat=True))


@pytest.fixture
def enrolled(personas, client_for) -> str:
    """Oscar, enrolled; returns his secret. The log starts empty."""
    key, _ = enrol(client_for(personas.operator))
    return key


def test_an_operator_enrols_from_their_menu_and_sees_the_recovery_codes_once(personas, client_for):
    client = client_for(personas.operator)
    menu = client.get(reverse("groups:group_list")).content.decode()
    assert f'href="{reverse("two_factor")}"' in menu
    page = client.get(reverse("two_factor")).content.decode()
    assert "<svg" in page and "Turn on two-factor sign-in" in page
    key, codes = enrol(client)
    device = TOTPDevice.objects.get(user=personas.operator)
    assert (device.confirmed, device.key) == (True, key)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert sorted(StaticToken.objects.filter(device__user=personas.operator).values_list("token", flat=True)) == sorted(codes)
    again = client.get(reverse("two_factor_recovery_codes"))
    assert again.context["codes"] is None and codes[0] not in again.content.decode()
    entry = AuditEntry.objects.get(action="operator.enrol_two_factor")
    assert (entry.actor, entry.before, entry.after) == (personas.operator, {"two_factor": "none"}, {"two_factor": "enrolled"})
    assert key not in str(entry.after) + entry.message


def test_the_enrolment_page_keeps_one_secret_until_it_is_confirmed(personas, client_for):
    client = client_for(personas.operator)
    client.get(reverse("two_factor"))
    first = client.session[ENROLMENT_KEY]
    client.get(reverse("two_factor"))
    assert client.session[ENROLMENT_KEY] == first
    assert not TOTPDevice.objects.exists(), "nothing is stored before a code confirms the secret"


def test_a_wrong_enrolment_code_is_refused_and_changes_nothing(personas, client_for):
    client = client_for(personas.operator)
    client.get(reverse("two_factor"))
    for wrong in ("000000" if code_for(client.session[ENROLMENT_KEY]) != "000000" else "111111", "abcdef", ""):
        response = client.post(reverse("two_factor"), {"code": wrong})
        assert response.status_code == 200
    assert "That code does not match" in response.content.decode() or "This field is required" in response.content.decode()
    assert not TOTPDevice.objects.exists() and not AuditEntry.objects.filter(action="operator.enrol_two_factor").exists()


def test_enrolling_again_replaces_the_app_and_the_recovery_codes(personas, client_for, enrolled):
    client = client_for(personas.operator)
    old_codes = list(StaticToken.objects.values_list("token", flat=True))
    key, codes = enrol(client)
    assert key != enrolled
    assert list(TOTPDevice.objects.values_list("key", flat=True)) == [key]
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(codes) and not set(codes) & set(old_codes)


def test_with_two_factors_the_password_alone_does_not_log_in(personas, client_for, enrolled, settings):
    settings.SINGLE_SESSION_PER_OPERATOR = True
    older = Client()
    older.post(reverse("login"), {"username": "oscar", "password": PASSWORD})
    _code_step(older, code_for(enrolled, 1))
    assert older.get(reverse("groups:group_list")).status_code == 200
    session_key, last_login = Operator.objects.filter(pk=personas.operator.pk).values_list("current_session_key", "last_login").get()

    client = Client()
    response = _password_step(client)
    assert response["Location"] == reverse("login_code")
    assert client.get(reverse("groups:group_list"))["Location"].startswith(reverse("login"))
    assert older.get(reverse("groups:group_list")).status_code == 200, "the password step must not end the other session"
    assert Operator.objects.filter(pk=personas.operator.pk).values_list("current_session_key", "last_login").get() == (session_key, last_login)
    assert _outcomes()[-1] == LoginAttempt.Outcome.CODE_ASKED


def test_the_right_code_logs_in_and_only_then_ends_the_older_session(personas, client_for, enrolled, settings):
    settings.SINGLE_SESSION_PER_OPERATOR = True
    older = client_for(personas.operator)
    Operator.objects.filter(pk=personas.operator.pk).update(current_session_key=older.session.session_key)
    client = Client()
    _password_step(client)
    response = _code_step(client, code_for(enrolled, 1))
    assert response["Location"] == reverse("home")
    assert client.get(reverse("groups:group_list")).status_code == 200
    assert older.get(reverse("groups:group_list")).status_code == 302
    assert _outcomes()[:2] == [LoginAttempt.Outcome.CODE_ASKED, LoginAttempt.Outcome.SUCCESS]


def test_the_login_goes_on_to_the_page_asked_for_after_the_code(personas, enrolled):
    client = Client()
    target = reverse("accounts:account_list", args=[personas.group.pk])
    response = client.post(reverse("login"), {"username": "oscar", "password": PASSWORD, "next": target})
    assert response["Location"] == f"{reverse('login_code')}?next={target.replace('/', '%2F')}"
    response = client.post(response["Location"], {"code": code_for(enrolled, 1), "next": target})
    assert response["Location"] == target


def test_a_wrong_code_is_refused_and_recorded(personas, enrolled):
    client = Client()
    _password_step(client)
    response = _code_step(client, "000000" if code_for(enrolled, 1) != "000000" else "111111")
    assert response.status_code == 200
    assert "Wrong code." in response.content.decode()
    assert client.get(reverse("groups:group_list")).status_code == 302
    assert _outcomes() == [LoginAttempt.Outcome.CODE_ASKED, LoginAttempt.Outcome.BAD_CODE]


def test_the_code_that_confirmed_the_enrolment_cannot_be_used_again(personas, client_for):
    used: list[str] = []
    enrol(client_for(personas.operator), used)
    client = Client()
    _password_step(client)
    assert _code_step(client, used[0]).status_code == 200
    assert _outcomes()[-1] == LoginAttempt.Outcome.BAD_CODE


def test_wrong_codes_are_throttled_like_wrong_passwords(personas, enrolled, settings):
    settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_DELAY_BASE = 5, 60
    client = Client()
    _password_step(client)
    right = code_for(enrolled, 1)
    wrong = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 6)]
    assert [_code_step(client, code).status_code for code in wrong] == [200] * 5
    refused = _code_step(client, right)
    assert refused.status_code == 429 and "Too many failed attempts" in refused.content.decode()
    assert _password_step(Client()).status_code == 429, "a right password does not buy fresh code attempts"
    elsewhere = Client()
    _password_step(elsewhere, address="198.51.100.7")
    assert _code_step(elsewhere, right, address="198.51.100.7")["Location"] == reverse("home")
    assert LoginThrottle.objects.get(scope="pair", address="192.0.2.10").failures == 5


def test_a_recovery_code_works_once(personas, client_for):
    _, codes = enrol(client_for(personas.operator))
    client = Client()
    _password_step(client)
    response = _code_step(client, codes[3].upper())
    assert response["Location"] == reverse("home")
    messages = [str(message) for message in client.get(response["Location"]).context["messages"]]
    assert "You used a recovery code; 9 left." in messages[0]
    again = Client()
    _password_step(again)
    assert _code_step(again, codes[3]).status_code == 200
    assert StaticToken.objects.count() == 9
    assert _outcomes()[-1] == LoginAttempt.Outcome.BAD_CODE


def test_the_code_step_needs_a_recent_password_step(personas, enrolled):
    assert Client().get(reverse("login_code"))["Location"] == reverse("login")
    client = Client()
    _password_step(client)
    session = SessionStore(session_key=client.session.session_key)
    session[PENDING_KEY] = {**session[PENDING_KEY], "until": time.time() - 1}
    session.save()
    response = _code_step(client, code_for(enrolled, 1))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("groups:group_list")).status_code == 302


def test_an_administrator_requires_two_factor_and_an_operator_without_it_enrols_after_the_password(personas, client_for):
    admin = client_for(personas.administrator)
    response = admin.post(reverse("sign_in_policy"), {"require_two_factor": "on"}, follow=True)
    assert "Two-factor sign-in is now required for every operator" in response.content.decode()
    entry = AuditEntry.objects.get(action="services.update")
    assert (entry.actor, entry.before, entry.after) == (personas.administrator, {"require_two_factor": False}, {"require_two_factor": True})

    client = Client()
    response = _password_step(client)
    assert response["Location"] == reverse("home")
    for url in (reverse("groups:group_list"), reverse("operator_list"), reverse("accounts:account_list", args=[personas.group.pk])):
        assert client.get(url)["Location"] == reverse("two_factor")
    assert "Two-factor sign-in is required" in client.get(reverse("two_factor")).content.decode()
    enrol(client)
    assert client.get(reverse("groups:group_list")).status_code == 200


def test_without_the_requirement_nobody_is_sent_to_enrol(personas):
    client = Client()
    _password_step(client)
    assert client.get(reverse("groups:group_list")).status_code == 200


def test_an_administrator_resets_an_operator_s_second_factor(personas, client_for, enrolled):
    admin = client_for(personas.administrator)
    listing = admin.get(reverse("operator_list"))
    assert {operator.username: operator.has_two_factor for operator in listing.context["page"]}["oscar"] is True
    response = admin.post(reverse("operator_reset_two_factor", args=[personas.operator.pk]), follow=True)
    assert "The second factor of oscar was reset." in response.content.decode()
    assert not TOTPDevice.objects.exists() and not StaticToken.objects.exists()
    entry = AuditEntry.objects.get(action="operator.reset_two_factor")
    assert (entry.actor, entry.object_id, entry.after) == (personas.administrator, personas.operator.pk, {"two_factor": "none"})
    assert _password_step(Client())["Location"] == reverse("home")


def test_resetting_an_operator_without_a_second_factor_says_so_and_changes_nothing(personas, client_for):
    response = client_for(personas.administrator).post(reverse("operator_reset_two_factor", args=[personas.auditor.pk]), follow=True)
    assert "aude has no second factor to reset." in response.content.decode()
    assert not AuditEntry.objects.filter(action="operator.reset_two_factor").exists()


def test_the_operator_list_costs_the_same_queries_for_one_and_for_many_operators(personas, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = client_for(personas.administrator)
    admin.get(reverse("operator_list"))  # the first visit also creates the settings row
    with CaptureQueriesContext(connection) as few:
        admin.get(reverse("operator_list"))
    for n in range(10):
        operator = Operator.objects.create_user(username=f"extra{n}", password=PASSWORD)
        TOTPDevice.objects.create(user=operator, confirmed=True)
    with CaptureQueriesContext(connection) as many:
        page = admin.get(reverse("operator_list"))
    assert len(many) == len(few)
    assert sum(operator.has_two_factor for operator in page.context["page"]) == 10
