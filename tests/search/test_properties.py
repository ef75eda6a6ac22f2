"""Any string typed in a search box gives results or a clear query error, never another exception."""
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.search.language.errors import SearchQueryError

SYNTAX = list('+-&|!(){}[]^"~*?:\\/ ') + ["AND ", "OR ", "NOT ", "TO ", "owner:", "created:", "group:",
                                          "status:", "number:", "rossi", "jose", "1", "0.5", "\\u00", "é", "日"]
query_texts = st.one_of(
    st.lists(st.sampled_from(SYNTAX), max_size=12).map("".join),
    st.text(max_size=30),
)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


def search_or_error(query: str):
    from accounts.search.engine.index import search_account_ids

    try:
        ids = search_account_ids(query)
    except SearchQueryError as error:
        assert error.message and error.hint
        assert 0 <= error.position <= len(query)
        return error
    assert all(isinstance(account_id, int) for account_id in ids)
    assert ids == sorted(set(ids), reverse=True)
    return ids


@PROPERTY_SETTINGS
@given(query=query_texts)
@example(query="[* TO *]")
@example(query="/.*/")
@example(query="*?*")
@example(query='"" ~ ^')
@example(query="((((((((((a))))))))))")
@example(query="a" * 300 + "~2")
def test_any_string_gives_results_or_a_query_error(shared_book, db, query):
    search_or_error(query)


@PROPERTY_SETTINGS
@given(words=st.lists(st.sampled_from(["rossi", "jose", "verdi", "giulia", "phone", "desk"]),
                      min_size=1, max_size=4))
def test_or_finds_the_union_and_and_the_intersection(shared_book, db, words):
    each = [set(search_or_error(word)) for word in words]
    assert set(search_or_error(" OR ".join(words))) == set().union(*each)
    assert set(search_or_error(" AND ".join(words))) == set.intersection(*each)
    assert set(search_or_error(" ".join(words))) == set.intersection(*each)


@PROPERTY_SETTINGS
@given(word=st.sampled_from(["rossi", "jose", "verdi", "phone", "nobody"]))
def test_not_finds_the_complement(shared_book, db, word):
    everyone = set(search_or_error("*:*"))
    assert set(search_or_error(f"NOT {word}")) == everyone - set(search_or_error(word))
