"""Operators' passwords (X2): one maximum length for setting and for logging in, nothing close to
the username or the product's name, none of the last five passwords again."""
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from console.audit import Actor
from console.models import Operator, PasswordHistory
from console.passwords import PASSWORD_MAX_LENGTH
from console.services import operator_set_password
from tests.conftest import PASSWORD


def _change(client: Client, old: str, new: str):
    return client.post(reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new})


def _set(operator: Operator, password: str) -> None:
    operator_set_password(actor=Actor.system(), operator_id=operator.pk, password=password, must_change=False)


def test_the_longest_password_that_can_be_set_can_also_be_used_to_log_in(personas, client_for):
    longest = "Lp-" + "x7q" * ((PASSWORD_MAX_LENGTH - 3) // 3) + "z" * ((PASSWORD_MAX_LENGTH - 3) % 3)
    assert len(longest) == PASSWORD_MAX_LENGTH
    assert _change(client_for(personas.operator), PASSWORD, longest).status_code == 302
    assert Client().post(reverse("login"), {"username": "oscar", "password": longest}).status_code == 302


def test_a_password_longer_than_the_login_form_takes_cannot_be_set(personas, client_for):
    too_long = "Lp-" + "x7q" * 67
    assert len(too_long) > PASSWORD_MAX_LENGTH
    response = _change(client_for(personas.operator), PASSWORD, too_long)
    assert response.status_code == 200 and f"at most {PASSWORD_MAX_LENGTH} characters" in response.content.decode()
    with pytest.raises(ValidationError, match="too long"):
        validate_password(too_long, personas.operator)
    personas.operator.refresh_from_db()
    assert personas.operator.check_password(PASSWORD)


@pytest.mark.parametrize(("password", "reason"), [
    ("Oscar-2026!!", "too close to your username"),
    ("0scar0scar#1", "too close to your username"),
    ("SipConsole#2026", "too close to the product’s name"),
    ("S1P-Console-99", "too close to the product’s name"),
    ("operator.console.2026", "too close to the product’s name"),
])
def test_a_password_close_to_the_username_or_the_product_s_name_is_refused(personas, client_for, password, reason):
    response = _change(client_for(personas.operator), PASSWORD, password)
    assert response.status_code == 200 and reason in response.content.decode()
    personas.operator.refresh_from_db()
    assert personas.operator.check_password(PASSWORD)


def test_an_unrelated_password_mentioning_no_name_is_accepted(personas, client_for):
    assert _change(client_for(personas.operator), PASSWORD, "velvet-harbour-lantern-58").status_code == 302


def test_none_of_the_last_five_passwords_can_be_chosen_again(personas, client_for):
    operator = personas.operator
    earlier = [f"quiet-meadow-river-{n}" for n in range(5)]
    for password in earlier:
        _set(operator, password)
    operator.refresh_from_db()
    client = client_for(operator)
    for password in earlier[:-1]:
        response = _change(client, earlier[-1], password)
        assert response.status_code == 200 and "You used this password recently" in response.content.decode()
    operator.refresh_from_db()
    assert operator.check_password(earlier[-1])
    assert PasswordHistory.objects.filter(operator=operator).count() == 5


def test_a_password_older_than_the_last_five_is_allowed_again(personas):
    operator = personas.operator
    for n in range(6):
        _set(operator, f"quiet-meadow-river-{n}")
    operator.refresh_from_db()
    validate_password("quiet-meadow-river-0", operator)
    with pytest.raises(ValidationError, match="used this password recently"):
        validate_password("quiet-meadow-river-1", operator)


def test_the_history_keeps_hashes_not_passwords(personas):
    _set(personas.operator, "quiet-meadow-river-9")
    stored = list(PasswordHistory.objects.values_list("password", flat=True))
    assert stored and all("quiet-meadow-river-9" not in value for value in stored)
