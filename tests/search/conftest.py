"""Fixtures of the search tests: a private index directory per test and a small account book."""
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.conftest import make_operator


@pytest.fixture
def search_index(settings, tmp_path):
    """The index of this test, in its own directory (created on first use from the database)."""
    from accounts.search.engine.index import get_index

    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    return get_index()


@dataclass
class Book:
    """The fixture accounts, by username, and their two groups."""

    sales: object
    support: object
    accounts: dict


def create_account(group, username: str, number: str, **fields):
    from accounts.services import account_create
    from console.audit import Actor

    values = {"username": username, "virtual_number": number, **fields}
    return account_create(actor=Actor.system(), group=group, fields=values, password="s3cret-pass")


@contextmanager
def slow_writer(group, username: str, number: str, **fields):
    """Create an account in a transaction of another thread's connection and keep it open while the
    `with` body runs; it commits when the body ends (an error there is re-raised here)."""
    from django.db import connection, transaction

    inserted, may_commit = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def write():
        try:
            with transaction.atomic():
                create_account(group, username, number, **fields)
                inserted.set()
                assert may_commit.wait(30)
        except BaseException as error:  # noqa: BLE001 - reported by the caller's thread
            failures.append(error)
        finally:
            inserted.set()
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    assert inserted.wait(30)
    try:
        yield
    finally:
        may_commit.set()
        thread.join(30)
    assert not failures, failures


def create_book() -> Book:
    """Six accounts in two groups, chosen so that every query syntax element has something to
    find and something to miss (see test_conformance.py)."""
    from django.utils import timezone

    from accounts.models import Account
    from accounts.search.changelog import record_account_change
    from accounts.services import account_set_enabled, account_set_status
    from console.audit import Actor
    from groups.models import Group

    sales = Group.objects.create(name="Sales Italy")
    support = Group.objects.create(name="Support")
    accounts = {
        "100001": create_account(sales, "100001", "+39021234567", owner="José Rossi",
                                 email="jose.rossi@example.com", description="VIP customer in Milano"),
        "100002": create_account(sales, "100002", "+39027654321", owner="Giulia Rossi-Bianchi",
                                 email="giulia@example.org", caller_id='"Giulia" <+39027654321>',
                                 description="call after 5pm"),
        "100005": create_account(sales, "100005", "+39061234567", owner="Luca Rossini",
                                 email="luca.rossini@example.com", description="rossi is not rossini"),
        "200003": create_account(support, "200003", "+41441234567", owner="Marco Verdi",
                                 email="marco.verdi@example.com", secondary_number="+41449999999",
                                 description="desk phone in the lobby", account_type="snom"),
        "200004": create_account(support, "200004", "+49301234567", owner="Anna Müller",
                                 email="anna@beispiel.de", description="Reception; O'Brien's desk"),
        "200006": create_account(support, "200006", "+33123456789", owner="",
                                 email="", description="spare line, phone 3.14 wide"),
    }
    account_set_enabled(actor=Actor.system(), account_id=accounts["200004"].pk, enabled=False)
    account_set_status(actor=Actor.system(), account_id=accounts["100001"].pk,
                       status=Account.Status.INSTALLED)
    account_set_status(actor=Actor.system(), account_id=accounts["100002"].pk,
                       status=Account.Status.INSTALLATION_SMS_SENT)
    # A known creation date for the `created` range queries (written like a service would).
    Account.objects.filter(pk=accounts["200006"].pk).update(
        created_at=timezone.make_aware(timezone.datetime(2023, 6, 15, 12, 0)))
    record_account_change(accounts["200006"].pk)
    return Book(sales, support, {username: Account.objects.get(pk=a.pk) for username, a in accounts.items()})


@pytest.fixture
def book(transactional_db, search_index) -> Book:
    """The book, committed, for tests that write or run other processes."""
    return create_book()


@pytest.fixture(scope="module")
def shared_book(django_db_setup, django_db_blocker, tmp_path_factory):
    """The book, committed once for a module of read-only tests, and its index, synced.

    Tests using it take the `db` fixture: inside their transaction the index is only read.
    """
    from django.conf import settings

    from accounts.search.engine.index import get_index

    previous_directory = settings.SEARCH_INDEX_DIR
    settings.SEARCH_INDEX_DIR = tmp_path_factory.mktemp("shared-search-index")
    with django_db_blocker.unblock():
        book = create_book()
        get_index().sync()
        try:
            yield book
        finally:
            delete_committed_book()
            settings.SEARCH_INDEX_DIR = previous_directory


def delete_committed_book() -> None:
    """Remove what the module committed, leaving the rows of a fresh installation (the system
    default provisioning profile) for the tests that run after it."""
    from accounts.models import Account, SearchChange
    from console.models import AuditEntry
    from groups.models import Group

    Account.objects.all().delete()
    Group.objects.all().delete()
    SearchChange.objects.all().delete()
    AuditEntry.objects.all().delete()


def usernames_matching(query: str, group_ids=None) -> list[str]:
    """Sorted usernames of the accounts the index finds for `query`."""
    from accounts.models import Account
    from accounts.search.engine.index import search_account_ids

    ids = search_account_ids(query, group_ids=group_ids)
    return sorted(Account.objects.filter(pk__in=ids).values_list("username", flat=True))


@dataclass
class SearchPersonas:
    administrator: object
    sales_operator: object
    support_operator: object


@pytest.fixture
def search_personas(shared_book, db) -> SearchPersonas:
    """Operators of the shared book (created inside the test's transaction)."""
    from console.models import Operator

    return SearchPersonas(
        administrator=make_operator("alice", Operator.Role.ADMINISTRATOR),
        sales_operator=make_operator("oscar", Operator.Role.OPERATOR, [shared_book.sales]),
        support_operator=make_operator("olga", Operator.Role.OPERATOR, [shared_book.support]),
    )
