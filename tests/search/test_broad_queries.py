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
    from accounts.search import query as q

    before = {query: usernames_matching(query) for query, _ in CASES}
    q.SEGMENT_CACHE.clear()
    assert {query: usernames_matching(query) for query, _ in CASES} == before

