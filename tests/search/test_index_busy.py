"""A search that the index cannot answer in time (another process holds it for a rebuild or a large
backlog, or a web request would have to rebuild a large index itself) says the index is busy, and
changes nothing; once the work is done the same search finds everything. And a search that waited
for another process's rebuild still applies the changes that rebuild did not hold."""
import json

import pytest
from django.urls import reverse

from accounts.search.engine.index import SearchIndex
from accounts.search.engine.index_files import Patience, SearchIndexBusy
from console.models import Operator
from tests.conftest import make_operator, requires_postgresql
from tests.search.conftest import create_account, usernames_matching

IMPATIENT = Patience(lock_wait=0.2, work_limit=None)


@pytest.fixture
def impatient_requests(monkeypatch):
    monkeypatch.setattr("accounts.search.results.WITHIN_A_REQUEST", IMPATIENT)


def test_a_search_while_another_process_holds_the_index_says_it_is_busy(book, search_index):
    usernames_matching("rossi")  # the index is built and up to date
    create_account(book.support, "400010", "+41440000410", owner="Paola Rossi")
    with search_index.locked(), pytest.raises(SearchIndexBusy):  # as a rebuild in another process holds it
        search_index.search("rossi", patience=IMPATIENT)
    assert usernames_matching("paola") == ["400010"]


def test_the_search_page_and_the_export_say_the_index_is_busy(book, search_index, impatient_requests, client_for):
    administrator = make_operator("alice", Operator.Role.ADMINISTRATOR)
    usernames_matching("rossi")
    create_account(book.support, "400011", "+41440000411", owner="Paola Rossi")
    client = client_for(administrator)
    with search_index.locked():
        page = client.get(reverse("accounts:account_search"), {"q": "paola"})
        export = client.get(reverse("accounts:batch_export_search"), {"q": "paola"}, follow=True)

    assert page.status_code == 200
    assert "The search index is being brought up to date" in page.content.decode()
    assert "at position" not in page.content.decode()
    assert page.context["page"].paginator.count == 0
    assert [str(message) for message in export.context["messages"]] == [
        "Nothing exported: the search index is being brought up to date; try again in a minute."]
    page = client.get(reverse("accounts:account_search"), {"q": "paola"})
    assert [account.username for account in page.context["page"]] == ["400011"]


def test_a_web_search_leaves_a_large_missing_index_to_the_worker(book, search_index, monkeypatch, client_for):
    """Six accounts are "large" here: a rebuild of more than the limit would outlast the request."""
    monkeypatch.setattr("accounts.search.results.WITHIN_A_REQUEST", Patience(lock_wait=0.2, work_limit=5))
    client = client_for(make_operator("alice", Operator.Role.ADMINISTRATOR))

    page = client.get(reverse("accounts:account_search"), {"q": "rossi"})

    assert "The search index is being brought up to date" in page.content.decode()
    assert not (search_index.directory / "state.json").exists()
    search_index.sync()  # what the worker's keep_index_warm does
    page = client.get(reverse("accounts:account_search"), {"q": "rossi"})
    assert page.context["page"].paginator.count == 3


def test_a_search_that_waited_for_another_processs_rebuild_applies_what_came_after_it(book, search_index, monkeypatch):
    """The other process's rebuild read the accounts before this one was committed: the search
    that found no index, then waited for the lock, must apply the change log from the rebuild's
    position rather than trust the rebuild."""
    search_index.rebuild()  # the other process's rebuild, its position taken ...
    paola = create_account(book.support, "400012", "+41440000412", owner="Paola Rossi")  # ... before this commit
    waiting = SearchIndex(search_index.directory)
    real_read_state, reads = waiting.files.read_state, []

    def read_state(**options):
        """No index at the first look, before the lock (the rebuild was not yet published)."""
        reads.append(options)
        return None if len(reads) == 1 else real_read_state(**options)

    monkeypatch.setattr(waiting.files, "read_state", read_state)

    assert waiting.search("paola") == [paola.pk]


def test_an_index_of_an_older_format_inside_a_transaction_is_kept_and_said_busy(book, search_index):
    from django.db import transaction

    usernames_matching("rossi")
    state_path = search_index.directory / "state.json"
    state = json.loads(state_path.read_text())
    del state["format"]
    state_path.write_text(json.dumps(state))

    with transaction.atomic(), pytest.raises(SearchIndexBusy):
        search_index.search("rossi")
    assert json.loads(state_path.read_text()) == state, "left for a sync outside a transaction to rebuild"
    assert usernames_matching("rossi") == ["100001", "100002", "100005"]


def test_a_web_search_leaves_a_backlog_past_its_bound_to_the_worker(book, search_index, monkeypatch):
    """A batch import of more accounts than a request may re-index: the search says the index is
    busy and applies nothing; the worker's sync applies it all."""
    from accounts.models import Account
    from accounts.search.engine.index import keep_index_warm
    from accounts.search.results import search_within

    monkeypatch.setattr("accounts.search.results.WITHIN_A_REQUEST", Patience(lock_wait=0.2, work_limit=5, may_fork=False))
    administrator = make_operator("alice", Operator.Role.ADMINISTRATOR)
    usernames_matching("rossi")
    for number in range(6):
        create_account(book.support, f"40002{number}", f"+4144000042{number}", owner="Paola Rossi")
    position = json.loads((search_index.directory / "state.json").read_text())["position"]

    outcome = search_within(Account.objects.all(), "paola", user=administrator)

    assert isinstance(outcome.error, SearchIndexBusy) and not outcome.accounts.exists()
    assert json.loads((search_index.directory / "state.json").read_text())["position"] == position
    assert keep_index_warm() == 6
    assert search_within(Account.objects.all(), "paola", user=administrator).accounts.count() == 6


@requires_postgresql
def test_a_web_search_applying_a_bulk_backlog_never_forks(book, search_index, monkeypatch):
    """The bulk writer forks writer processes for a large backlog on PostgreSQL; within a request it
    writes in the request's own process. (Forking is refused by a stand-in for multiprocessing,
    the only way to observe that no process was started.)"""
    from accounts.models import Account
    from accounts.search.engine import segment_writer
    from accounts.search.engine import sync as syncing
    from accounts.search.results import search_within

    class NoForking:
        @staticmethod
        def get_context(method):
            raise AssertionError(f"a web search started {method} processes")

    administrator = make_operator("alice", Operator.Role.ADMINISTRATOR)
    usernames_matching("rossi")
    monkeypatch.setattr(syncing, "BULK_APPLY_MIN_ACCOUNTS", 2)
    monkeypatch.setattr(syncing, "BULK_APPLY_DOCS_PER_PROCESS", 2)
    monkeypatch.setattr(segment_writer, "multiprocessing", NoForking)
    for number in range(6):
        create_account(book.support, f"40003{number}", f"+4144000043{number}", owner="Paola Rossi")

    outcome = search_within(Account.objects.all(), "paola", user=administrator)

    assert outcome.error is None and outcome.accounts.count() == 6
