"""Someone guessing a device's SIP password at the licence service (W4) spends the failure
budget of that username from their own address only: the real device, calling from another
address, stays valid, and its own successful checks never spend its budget."""
import pytest

from licensing.models import ClientRateBucket, Licence
from licensing.ratelimit import failure_key
from tests.licensing.helpers import validate

pytestmark = pytest.mark.django_db(transaction=True)

GUESSER, DEVICE = "203.0.113.66", "198.51.100.7"


@pytest.fixture(params=[1, 0], ids=["batched", "written-at-once"])
def flush_seconds(request, settings):
    """Rate counts batched per process (PostgreSQL) or written at each request (SQLite always)."""
    settings.LICENCE_RATE_FLUSH_SECONDS = request.param
    return request.param


def test_fifty_wrong_passwords_from_one_address_leave_the_device_elsewhere_valid(client, account, flush_seconds):
    guesses = [validate(client, account.username, "guess-device", password=f"guess-{n}", address=GUESSER).status_code
               for n in range(50)]

    device = validate(client, account.username, "phone-A", address=DEVICE)

    assert device.status_code == 200, device.content
    assert device.json()["status"] == "valid"
    assert Licence.objects.get(account=account).device_id == "phone-A"
    assert set(guesses) == {401, 429}
    assert guesses.count(401) <= 5, "the failure budget of the default settings"
    refused = validate(client, account.username, "guess-device", address=GUESSER)
    assert refused.status_code == 429, "with the budget spent, even the right password is refused there"
    assert int(refused["Retry-After"]) >= 1


def test_the_devices_successful_checks_never_spend_its_failure_budget(client, account, settings, flush_seconds):
    settings.LICENCE_FAILURE_LIMIT = 2
    checks = [validate(client, account.username, "phone-A", address=DEVICE).status_code for _ in range(8)]

    wrong = [validate(client, account.username, "phone-A", password="typo", address=DEVICE).status_code for _ in range(3)]

    assert checks == [200] * 8
    assert wrong == [401, 401, 429], "two failures spend a budget of two; successes spent none of it"
    assert validate(client, account.username, "phone-A", address=DEVICE).status_code == 429


def test_a_failure_is_counted_for_the_username_and_address_it_came_from(client, account, settings):
    settings.LICENCE_RATE_FLUSH_SECONDS = 0
    validate(client, account.username, "phone-A", password="wrong", address=GUESSER)
    validate(client, "4999999999", "phone-A", address=GUESSER)

    counted = dict(ClientRateBucket.objects.filter(key__startswith="fail:").values_list("key", "hits"))
    assert counted == {failure_key(account.username, GUESSER): 1, failure_key("4999999999", GUESSER): 1}
