"""Malformed queries: the ones Lucene's classic QueryParser rejects are rejected here too, each
with a message, the position of the problem and a hint (S3)."""
import pytest

from accounts.search.language.parser import QuerySyntaxError, parse

MALFORMED = [
    # (query, 0-based position reported, words of the message)
    ("(rossi", 6, "Missing closing parenthesis"),
    ("rossi)", 5, "Unbalanced closing parenthesis"),
    ('"rossi', 0, "Unterminated quoted phrase"),
    ("rossi AND", 9, "Unexpected end of query after 'AND'"),
    ("OR rossi", 0, "Operator 'OR' is missing a term"),
    ("AND", 0, "Operator 'AND' is missing a term"),
    ("rossi && && jose", 9, "Operator '&&' is missing a term"),
    ("rossi +", 7, "Unexpected end of query"),
    ("rossi !", 7, "Unexpected end of query"),
    ("-", 1, "Unexpected end of query"),
    ("rossi^", 6, "boost '^' must be followed by a number"),
    ("rossi^x", 6, "boost '^' must be followed by a number"),
    ("^2", 0, "'^' must follow a term"),
    ("~", 0, "'~' must follow a term"),
    ("[a TO", 5, "Unexpected end of query"),
    ("[a TO b", 7, "Unexpected end of query"),
    ("[a b]", 3, "Unexpected 'b' in a range"),
    ("[a TO]", 5, "Unexpected ']' in a range"),
    ("rossi~1.5", 5, "Fractional edit distances are not allowed"),
    (":rossi", 0, "Unexpected ':'"),
    ("owner:", 6, "Unexpected end of query"),
    ("rossi:", 0, "Unknown field 'rossi'"),
    ("", 0, "Unexpected end of query"),
    ("foo:bar", 0, "Unknown field 'foo'. Valid fields: owner, username, callerid, email, description, number"),
    ("10:30", 0, "Unknown field '10'"),
    ("owner:rossi:x", 11, "Unexpected ':'"),
    ("\\", 0, "ends with an escape character"),
    ("rossi\\", 5, "ends with an escape character"),
    ("/ross", 0, "Unterminated regular expression"),
    ("rossi]", 5, "Unexpected character ']'"),
    ("}", 0, "Unexpected character '}'"),
    ("\\u00", 0, "unicode escape"),
    ("created:[yesterday TO *]", 8, "'yesterday' is not a date"),
    ("/ro(ss/", 0, "Invalid regular expression"),
    ("/a&b/", 0, "intersection '&' is not supported"),
]


@pytest.mark.parametrize(("query", "position", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_query_is_rejected_with_position_and_hint(query, position, message):
    from accounts.search.language.errors import SearchQueryError

    with pytest.raises(SearchQueryError) as caught:
        parse(query)
    error = caught.value
    assert message in error.message
    assert error.position == position
    assert error.hint
    assert f"position {position + 1}" in str(error)


ACCEPTED = [
    "rossi", "a b", "a OR b", "a AND b OR c", "+a -b c", "!a", "a && b || !c", "(a OR b) AND c",
    "owner:(a b)", '"a b"~3', "a~", "a~1", "a~0.5", "a*", "*a", "a?b*c", "/a.*/", "[a TO b]",
    "{a TO *]", "[* TO *]", '["a b" TO c}', "a^2", "(a b)^0.5", "a^2~1", "a~1^2", r"\(a\)",
    r"a\ b", r"\u0041", "*:*", "?", "a + b", "a&&b", "owner:*", "OWNER:a", "Caller_ID:a",
    "a ^2", "a~b", "a-b", "-a-b", "rossi and jose", "created:[2024 TO 2024-06-30]",
]


@pytest.mark.parametrize("query", ACCEPTED)
def test_query_lucene_accepts_is_accepted(query):
    assert parse(query) is not None


def test_query_of_words_the_analyzer_drops_matches_nothing():
    from accounts.search.language.nodes import MatchNone

    assert parse("@@ ##") == MatchNone()
    assert parse("+ @") == MatchNone()


def test_fuzzy_edit_distance_follows_lucene():
    from accounts.search.language.nodes import BooleanNode, FuzzyNode

    def edits(query):
        node = parse(f"owner:{query}")
        assert isinstance(node, FuzzyNode), node
        return node.edits

    assert edits("rossi~") == 2
    assert edits("rossi~1") == 1
    assert edits("rossi~5") == 2  # at most 2
    assert edits("rossi~0") == 0
    assert edits("rossi~0.5") == 2  # (1 - 0.5) * 5 letters = 2.5 -> 2
    assert edits("rossi~0.7") == 1
    assert isinstance(parse("rossi~"), BooleanNode)


def test_syntax_error_is_a_value_error_with_message_position_hint():
    with pytest.raises(QuerySyntaxError) as caught:
        parse("owner:(rossi")
    assert caught.value.position == 12
    assert "')'" in caught.value.hint or "\\(" in caught.value.hint
