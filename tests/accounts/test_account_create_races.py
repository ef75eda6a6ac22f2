"""A clash that slips past the checks (a concurrent request took the value) is refused, not a 500."""
import pytest

from accounts import services
from accounts.models import Account
from console.audit import Actor
from console.errors import ServiceError
from tests.conftest import make_account


def test_a_number_taken_between_the_check_and_the_insert_is_refused_cleanly(personas, monkeypatch):
    first = make_account(personas.group)
    # As if a concurrent request inserted the number after both checks had passed.
    monkeypatch.setattr(services, "_check_numbers_free", lambda *numbers: None)
    monkeypatch.setattr(services, "_validate", lambda account, exclude: None)
    before = Account.objects.count()
    with pytest.raises(ServiceError, match="taken by another account a moment ago"):
        services.account_create(
            actor=Actor.system(), group=personas.group, password="s3cret-pass",
            fields={"username": "7700000001", "virtual_number": first.virtual_number},
        )
    assert Account.objects.count() == before
