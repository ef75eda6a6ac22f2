"""Fixtures shared by the foundation's test folders (console, groups, accounts, e2e)."""
import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Operator passwords hashed with a cheap hasher: the production one costs a second per
    operator on a busy machine, and the personas create four operators for every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
