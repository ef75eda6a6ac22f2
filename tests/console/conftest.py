"""Fixtures of this folder: see tests/console/fixtures.py."""
from tests.console.fixtures import fast_password_hashing  # noqa: F401
