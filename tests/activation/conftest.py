"""Fixtures of the activation tests: a wizard account and a plain one (the SMS side: tests/fixtures/sms.py)."""
import pytest

from tests.conftest import make_account


@pytest.fixture
def wizard_account(personas, services_row, profile):
    from activation.services import account_create_wizard
    from console.audit import Actor

    return account_create_wizard(
        actor=Actor.of(personas.operator), group=personas.group,
        fields={"owner": "Giulia Verdi", "email": "giulia@example.com", "virtual_number": "+393331234567", "profile": profile},
    )


@pytest.fixture
def plain_account(personas, services_row, profile):
    return make_account(personas.group, owner="Marco Rossi", number="+393339876543")
