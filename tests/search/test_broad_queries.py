"""Queries matching a great many terms or accounts give their results (never a "too broad"
refusal), the same the second time (from the lexicons kept in memory) and in a new process
(from the lexicons saved beside the index).

The book is described in test_conformance.py; every default-field term of each account is
written out there, which is how the expected accounts below were worked out.
"""
import pytest

from tests.search.conftest import usernames_matching
from tests.search.test_conformance import EVERYONE

CASES = [
    ("/.*/", EVERYONE),
    ("/@/", EVERYONE),
    ("[* TO *]", EVERYONE),
    ("{* TO *}", EVERYONE),
    ("*?*?*", EVERYONE),
    ("owner:/.*/", ["100001", "100002", "100005", "200003", "200004"]),
    ("owner:[* TO *]", ["100001", "100002", "100005", "200003", "200004"]),
    ("owner:??????*", ["100002", "100005", "200004"]),  # giulia, rossini, muller
    ("owner:*a*", ["100002", "100005", "200003", "200004"]),
    ("owner:*?*?*?*?*?*?*?*", ["100002", "100005"]),  # bianchi, rossini
    # "in", "is" and "the" are two edits from "e"; no owner term is.
    ("e~2", ["100001", "100005", "200003"]),
    ("owner:e~2", []),
    ("a* OR e* OR i*", ["100001", "100002", "100005", "200003", "200004"]),
    ("owner:*a* AND NOT owner:*o*", ["200004"]),  # anna muller; rossi, rossini, marco have an o
    # Range bounds are terms, not patterns: "*" sorts before the digits.
    ("username:[1* TO 2*]", ["100001", "100002", "100005"]),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[case[0] for case in CASES])
def test_broad_query_finds_exactly_the_expected_accounts(shared_book, db, query, expected):
    assert usernames_matching(query) == sorted(expected)
    assert usernames_matching(query) == sorted(expected)


def test_saved_lexicons_answer_like_the_segment_in_a_fresh_cache(shared_book, db):
    from accounts.search.engine import evaluate

    before = {query: usernames_matching(query) for query, _ in CASES}
    evaluate.SEGMENT_CACHE.clear()
    assert {query: usernames_matching(query) for query, _ in CASES} == before



SAID_BY_EXCEPTIONS = ["*", "NOT rossi", "*a*", "a* OR e* OR i*", "owner:[* TO *]", "e~2", "rossi"]


@pytest.mark.parametrize("query", SAID_BY_EXCEPTIONS)
@pytest.mark.parametrize("scope", ["everything", "sales"])
def test_a_result_said_by_its_exceptions_lists_the_same_accounts(shared_book, db, monkeypatch, query, scope):
    """Above SHORT_RESULT matches the index may answer with the accounts in scope that do not
    match; the list the database then makes is exactly the matching accounts of that scope."""
    from accounts.models import Account
    from accounts.search.engine import index as index_module
    from accounts.search.results import restricted_to

    group_ids = None if scope == "everything" else [shared_book.sales.pk]
    accounts = Account.objects.all() if group_ids is None else Account.objects.filter(group_id__in=group_ids)
    search_index = index_module.get_index()
    expected = search_index.search(query, group_ids=group_ids)
    monkeypatch.setattr(index_module, "SHORT_RESULT", 0)
    matches = search_index.match(query, group_ids=group_ids)

    in_scope = accounts.count()
    assert (matches.ids is None) == (len(expected) > in_scope - len(expected))
    listed = sorted(restricted_to(accounts, matches).values_list("pk", flat=True), reverse=True)
    assert listed == expected


@pytest.mark.parametrize("query", ["/(.*)*x/", "username:/(.*.*)*z/", "/((a*)b)+/", "/(a{2,})*/", "/(@)+/"])
def test_a_repeated_group_holding_a_repetition_is_refused_before_searching(query):
    """Python's backtracking engine can spend minutes on one term with such a pattern."""
    from accounts.search.language.errors import SearchQueryError
    from accounts.search.language.parser import parse

    with pytest.raises(SearchQueryError, match="repeated group that itself holds a repetition"):
        parse(query)


@pytest.mark.parametrize("query", ["/(ab)*/", "/a*b*/", "/(a{2})*/", "/(a*)?/", r"/\(a*\)*/"])
def test_repetitions_that_cannot_explode_are_accepted(query):
    from accounts.search.language.parser import parse

    assert parse(query) is not None


def test_a_regular_expression_past_the_search_deadline_answers_with_an_error(shared_book, db, monkeypatch):
    from accounts.search.engine import index as index_module
    from accounts.search.engine import searching
    from accounts.search.language.errors import SearchQueryError

    monkeypatch.setattr(searching, "REGEX_SECONDS", -1.0)  # the deadline has passed at once
    with pytest.raises(SearchQueryError, match="takes too long"):
        index_module.get_index().search("/.*1.*/")
    monkeypatch.setattr(searching, "REGEX_SECONDS", 60.0)
    assert index_module.get_index().search("/.*1.*/")


def test_a_group_given_to_the_operator_during_a_search_adds_nothing_to_its_exceptions(shared_book, search_personas,
                                                                                        monkeypatch):
    """The index is asked about the groups the operator sees at that moment; were a group added to
    the operator's scope before the database lists the result, a result said by its exceptions
    would list that group's accounts, none of which were asked about."""
    from accounts.models import Account
    from accounts.search.engine import index as index_module
    from accounts.search.results import search_within

    monkeypatch.setattr(index_module, "SHORT_RESULT", 0)
    scope_since_widened = Account.objects.all()
    outcome = search_within(scope_since_widened, "NOT verdi", user=search_personas.sales_operator)
    assert sorted(outcome.accounts.values_list("username", flat=True)) == ["100001", "100002", "100005"]
