"""Conformance with Lucene's classic Query Parser Syntax, element by element, on the fixture book.

Written from the Lucene documentation (Query Parser Syntax: terms, fields, term modifiers,
boolean operators, grouping, escaping) with the product choices of SPEC S2; each expected
parse was checked against Lucene 8's QueryParser configured as the product is (default AND,
splitOnWhitespace, autoGeneratePhraseQueries, StandardAnalyzer without stop words).

The book (conftest.py): 100001 José Rossi, 100002 Giulia Rossi-Bianchi, 100005 Luca Rossini
(description "rossi is not rossini") in Sales Italy; 200003 Marco Verdi (SNOM, secondary number),
200004 Anna Müller (disabled), 200006 (no owner or e-mail, created 2023-06-15) in Support.
"""
import pytest

from tests.search.conftest import usernames_matching

ROSSI = ["100001", "100002", "100005"]
EVERYONE = ["100001", "100002", "100005", "200003", "200004", "200006"]
SUPPORT = ["200003", "200004", "200006"]

CASES = [
    # Terms: each word searches owner, username, callerid, email and description.
    ("rossi", ROSSI),
    ("Rossi", ROSSI),
    ("jose", ["100001"]),
    ("JOSÉ", ["100001"]),
    ("müller", ["200004"]),
    ("MULLER", ["200004"]),
    ("100002", ["100002"]),
    ("O'Brien's", ["200004"]),
    ("3.14", ["200006"]),
    # Default operator AND: every bare word must match, each in any field.
    ("rossi jose", ["100001"]),
    ("rossi and jose", []),  # lower-case "and" is a word, not an operator
    # Phrases, and words the analyzer splits, which become phrases.
    ('"rossi bianchi"', ["100002"]),
    ('"bianchi rossi"', []),
    ("rossi-bianchi", ["100002"]),
    ("jose.rossi@example.com", ["100001"]),
    ("example.com", ["100001", "100005", "200003"]),
    # Proximity: "a b"~n, counted as Lucene's sloppy phrase moves (a swap costs 2).
    ('"bianchi rossi"~1', []),
    ('"bianchi rossi"~2', ["100002"]),
    ('"giulia bianchi"', []),
    ('"giulia bianchi"~1', ["100002"]),
    # Fields: case-insensitive names, grouping inside a field.
    ("owner:rossi", ["100001", "100002"]),
    ("OWNER:rossi", ["100001", "100002"]),
    ("description:rossi", ["100005"]),
    ("email:example.com", ["100001", "100005", "200003"]),
    ("callerid:giulia", ["100002"]),
    ("owner:(jose OR marco)", ["100001", "200003"]),
    ("owner:(rossi -jose)", ["100002"]),
    ("owner:(rossi jose)", ["100001"]),
    ('owner:"giulia rossi"', ["100002"]),
    # Extra fields usable only by name.
    ("number:39021234567", ["100001"]),
    ("number:41449999999", ["200003"]),
    ("number:*4567", ["100001", "100005", "200003", "200004"]),
    ("group:sales", ROSSI),
    ('group:"sales italy"', ROSSI),
    ("group:supp*", SUPPORT),
    ("group:support AND phone", ["200003", "200006"]),
    ("status:installed", ["100001"]),
    ("status:installation_sms_sent", ["100002"]),
    ('status:"Installation SMS sent"', ["100002"]),
    ("status:created", ["100005", "200003", "200004", "200006"]),
    ("enabled:false", ["200004"]),
    ("enabled:no", ["200004"]),
    ("enabled:true", ["100001", "100002", "100005", "200003", "200006"]),
    ("type:snom", ["200003"]),
    ("type:PGSM", ["100001", "100002", "100005", "200004", "200006"]),
    ("created:2023-06-15", ["200006"]),
    ("created:[2023-01-01 TO 2023-12-31]", ["200006"]),
    ("created:[2023 TO 2023]", ["200006"]),
    ("created:{2023-06-15 TO *]", ["100001", "100002", "100005", "200003", "200004"]),
    # Wildcards: ? one character, * any run, leading too (reversed-term fields).
    ("ros*", ROSSI),
    ("r?ssi", ROSSI),
    ("r?ssini", ["100005"]),
    ("ver*i", ["200003"]),
    ("*ini", ["100005"]),
    ("*ssi", ROSSI),
    ("*", EVERYONE),
    ("*:*", EVERYONE),
    ("owner:*", ["100001", "100002", "100005", "200003", "200004"]),
    ("description:*", EVERYONE),
    # Fuzzy: Levenshtein distance with transpositions, default 2, at most 2.
    ("rossi~1", ROSSI),
    ("rsosi~1", ROSSI),  # one transposition is one edit
    ("rossinni~1", ["100005"]),
    ("rossini~2", ROSSI),
    ("rossini~1", ["100005"]),
    ("rossini~0.8", ["100005"]),  # the old similarity form: (1 - 0.8) * 7 letters = 1 edit
    ("mueller~1", ["200004"]),
    ("muller~0", ["200004"]),
    ("verdy~", ["200003"]),
    # Ranges: inclusive [], exclusive {}, open ends *.
    ("username:[100002 TO 200003]", ["100002", "100005", "200003"]),
    ("username:{100002 TO 200003}", ["100005"]),
    ("username:[200004 TO *]", ["200004", "200006"]),
    ("username:[* TO 100002]", ["100001", "100002"]),
    ("username:{100001 TO 100005]", ["100002", "100005"]),
    # Regular expressions: whole-term match.
    ("/ross?i/", ROSSI),
    ("/ross.*/", ROSSI),
    ("owner:/ro[s]+i/", ["100001", "100002"]),
    ("callerid:/4[0-9]+/", ["200003", "200004"]),
    # Boosts change ranking only.
    ("rossi^2 jose", ["100001"]),
    ("(rossi OR verdi)^3", ROSSI + ["200003"]),
    ('"rossi bianchi"^0.5', ["100002"]),
    # Boolean operators.
    ("rossi OR verdi", ROSSI + ["200003"]),
    ("rossi || verdi", ROSSI + ["200003"]),
    ("rossi AND jose", ["100001"]),
    ("rossi && jose", ["100001"]),
    ("rossi NOT jose", ["100002", "100005"]),
    ("rossi AND NOT jose", ["100002", "100005"]),
    ("rossi -jose", ["100002", "100005"]),
    ("rossi !jose", ["100002", "100005"]),
    ("+rossi -jose", ["100002", "100005"]),
    ("+rossi +jose", ["100001"]),
    ("rossi + jose", ["100001"]),  # a lone "+" followed by a space is a word the analyzer drops
    ("jose AND verdi OR giulia", ["100001"]),  # Lucene: OR makes "verdi" optional, jose required
    # Only prohibited clauses: every account except those (product choice).
    ("NOT rossi", SUPPORT),
    ("-rossi", SUPPORT),
    ("!rossi", SUPPORT),
    ("rossi AND (NOT jose)", ["100002", "100005"]),
    # Grouping.
    ("(rossi OR verdi) AND NOT jose", ["100002", "100005", "200003"]),
    ("(rossi OR verdi) -(jose OR marco)", ["100002", "100005"]),
    ("((rossi))", ROSSI),
    # Escapes.
    (r"\(reception\)", ["200004"]),
    (r"\+39021234567", ["100001"]),
    (r"spare\ line", ["200006"]),
    (r"\u0072ossi", ROSSI),
    (r"owner\:rossi", []),  # an escaped colon is no field: the words owner and rossi as a phrase
    # Words the analyzer drops entirely leave nothing to match.
    ("@@", []),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[case[0] for case in CASES])
def test_query_finds_exactly_the_expected_accounts(shared_book, db, query, expected):
    assert usernames_matching(query) == sorted(expected)


def test_scope_limits_results_to_the_given_groups(shared_book, db):
    assert usernames_matching("*", group_ids=[shared_book.support.pk]) == SUPPORT
    assert usernames_matching("rossi", group_ids=[shared_book.support.pk]) == []
    assert usernames_matching("rossi", group_ids=[shared_book.sales.pk]) == ROSSI
