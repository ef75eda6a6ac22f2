"""A search that would wait too long for another process's work on the index (a rebuild, a large
backlog) says the index is busy instead of failing, and changes nothing; once the work is done
the same search finds everything."""
import pytest
from django.urls import reverse

from accounts.search.errors import SearchIndexBusy
from tests.conftest import make_operator
from tests.search.conftest import create_account, usernames_matching


@pytest.fixture
def short_wait(monkeypatch):
    monkeypatch.setattr("accounts.search.index.SEARCH_LOCK_WAIT_SECONDS", 0.2)


def test_a_search_while_another_process_holds_the_index_says_it_is_busy(book, search_index, short_wait):
    usernames_matching("rossi")  # the index is built and up to date
    create_account(book.support, "400010", "+41440000410", owner="Paola Rossi")
    with search_index.locked():  # as a rebuild in another process holds it
        with pytest.raises(SearchIndexBusy):
            usernames_matching("rossi")
    assert usernames_matching("paola") == ["400010"]


def test_the_search_page_shows_the_busy_index_as_a_message(book, search_index, short_wait, client_for):
    from console.models import Operator

    administrator = make_operator("alice", Operator.Role.ADMINISTRATOR)
    usernames_matching("rossi")
    create_account(book.support, "400011", "+41440000411", owner="Paola Rossi")
    client = client_for(administrator)
    with search_index.locked():
        response = client.get(reverse("accounts:account_search"), {"q": "paola"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "The search index is being brought up to date" in content
    assert "at position" not in content
    assert response.context["page"].paginator.count == 0
    response = client.get(reverse("accounts:account_search"), {"q": "paola"})
    assert [account.username for account in response.context["page"]] == ["400011"]
