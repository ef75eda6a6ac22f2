"""The worker keeps the index warm in steps: a first change after a quiet spell is applied on its
next round, a stream of changes (a bulk send moves one account per SMS) at most every
SEARCH_WARM_SECONDS in one go, and a search in between still finds every committed change."""
import pytest

from accounts.search.engine.index import keep_index_warm
from tests.search.conftest import create_account, usernames_matching


@pytest.fixture
def paola(book, search_index, settings):
    """An index built and up to date (by a search, not by the worker), a pause no test outlasts,
    and a way to add Paola Rossi's accounts."""
    settings.SEARCH_WARM_SECONDS = 3600
    usernames_matching("rossi")
    return lambda number: create_account(book.support, f"4000{number}", f"+414400004{number}", owner="Paola Rossi")


def test_a_first_change_after_a_quiet_spell_is_applied_at_once(paola):
    assert keep_index_warm() == 0  # nothing pending: a quiet spell
    paola(30)

    assert keep_index_warm() == 1


def test_changes_that_keep_coming_wait_for_the_pause_and_are_then_applied_together(paola, settings):
    paola(31)
    assert keep_index_warm() == 1
    paola(32)
    paola(33)

    assert keep_index_warm() == 0, "within the pause after the last step"
    settings.SEARCH_WARM_SECONDS = 0
    assert keep_index_warm() == 2
    assert keep_index_warm() == 0


def test_a_search_within_the_pause_finds_the_changes_the_worker_has_not_applied(paola, settings):
    paola(34)
    assert keep_index_warm() == 1
    paola(35)
    assert keep_index_warm() == 0

    assert usernames_matching("paola") == ["400034", "400035"]
    settings.SEARCH_WARM_SECONDS = 0
    assert keep_index_warm() == 0, "the search applied it"
