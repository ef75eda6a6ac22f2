"""Fixtures shared by the foundation's test folders (console, groups, accounts, e2e), and the
world of the permission matrix (its personas and the objects its views act on)."""
from dataclasses import dataclass

import pytest
from django.test import Client

from tests.conftest import make_account


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Operator passwords hashed with a cheap hasher: the production one costs a second per
    operator on a busy machine, and the personas create four operators for every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """The personas plus the objects the views act on, all in the operator's group."""

    personas: object
    account: object
    disabled_account: object
    empty_group: object

    def operator(self, persona: str):
        return None if persona == "anonymous" else getattr(self.personas, persona)


@pytest.fixture
def world(personas) -> World:
    from accounts.services import account_set_enabled
    from console.audit import Actor
    from groups.models import Group

    account = make_account(personas.group, owner="Marco Rossi")
    disabled = make_account(personas.group, owner="Dora Spenta")
    account_set_enabled(actor=Actor.system(), account_id=disabled.pk, enabled=False)
    empty_group = Group.objects.create(name="Empty Co")
    for member in (personas.operator, personas.auditor):
        member.account_groups.add(empty_group)
    disabled.refresh_from_db()
    return World(personas=personas, account=account, disabled_account=disabled, empty_group=empty_group)


def client_of(world: World, persona: str, **options) -> Client:
    client = Client(**options)
    operator = world.operator(persona)
    if operator is not None:
        client.force_login(operator)
    return client
