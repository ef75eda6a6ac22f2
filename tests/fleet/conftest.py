"""Fixtures of the fleet tests: two groups of accounts whose owners share a surname, so one search
matches accounts of both, an SMS setup that can send, and each test's own search index."""
from dataclasses import dataclass

import pytest

from tests.conftest import make_account


@pytest.fixture(autouse=True)
def search_index(settings, tmp_path):
    from accounts.search.engine.index import get_index

    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    return get_index()


@pytest.fixture
def sms_ready(services_row):
    """SMS can be queued: the console SMS backend (it records only), a public base URL and a system
    default profile (the activation tests' Services settings)."""
    return services_row


@dataclass
class Fleet:
    mine: list      # accounts of personas.group (Acme), owners "Rossi ..."
    theirs: list    # accounts of personas.other_group (Globex), owners "Rossi ..." too
    bystander: object  # an Acme account the search does not match


@pytest.fixture
def fleet(personas, sms_ready) -> Fleet:
    mine = [make_account(personas.group, owner=f"Rossi Acme {n}", number=f"+39021110{n:03d}") for n in range(6)]
    theirs = [make_account(personas.other_group, owner=f"Rossi Globex {n}", number=f"+39022220{n:03d}") for n in range(4)]
    bystander = make_account(personas.group, owner="Bianchi", number="+390233300001")
    return Fleet(mine, theirs, bystander)


def fingerprints(accounts) -> dict:
    """Every stored value of these accounts, their licences and SMS: what must not change."""
    from accounts.models import Account
    from activation.models import SmsMessage
    from licensing.models import Licence

    ids = [account.pk for account in accounts]
    return {
        "accounts": list(Account.objects.filter(pk__in=ids).order_by("pk").values()),
        "licences": list(Licence.objects.filter(account_id__in=ids).order_by("pk").values()),
        "sms": list(SmsMessage.objects.filter(account_id__in=ids).order_by("pk").values()),
    }

