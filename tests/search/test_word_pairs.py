"""Two-word phrases are answered from the word pair fields (evaluate._phrase): on random texts,
written by the bulk segment writer and by Whoosh's own writer, they find exactly the accounts
whose field holds the two words next to each other, as comparing positions does. And an index
built before the pair fields existed is rebuilt before it answers."""
import dataclasses
import itertools
import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from accounts.search.engine import docsets, evaluate, segment_writer
from accounts.search.engine.documents import account_document
from accounts.search.engine.evaluate import (
    SegmentContext,
    docs,
    phrase_docs_by_positions,
)
from accounts.search.engine.index_files import INDEX_FORMAT
from accounts.search.engine.schema import PAIRS_OF, search_schema
from accounts.search.engine.segment_writer import commit_segments, write_segment
from accounts.search.language import nodes as q
from accounts.search.language.analyzer import analyze
from accounts.search.language.fields import FIELDS
from tests.search.conftest import create_account, usernames_matching

WORDS = ["anna", "rossi", "léa", "giulia", "o'neil", "rossi-bianchi", "1001"]
texts = st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=4).map(" ".join),
                 min_size=1, max_size=25)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def account_row(number: int, owner: str) -> dict:
    return {
        "id": number + 1, "group_id": 1, "username": f"{100000 + number}", "owner": owner,
        "caller_id": "", "email": "", "description": owner, "virtual_number": "", "secondary_number": "",
        "account_type": "generic", "status": "created", "enabled": True,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def written_by_both_writers(directory, owners: list[str]):
    """An index of the owners written twice: documents 0..n-1 by the bulk segment writer (as a
    rebuild writes them), n..2n-1 by Whoosh's writer (as a search applies a few changes)."""
    ix = whoosh_index.create_in(str(directory), search_schema())
    rows = [account_row(number, owner) for number, owner in enumerate(owners)]
    commit_segments(ix, [write_segment(ix, map(account_document, rows))])
    writer = ix.writer()
    for row in rows:
        writer.add_document(**account_document({**row, "id": row["id"] + len(owners)}))
    writer.commit(merge=False)
    return ix


def adjacent(text: str, first: str, second: str) -> bool:
    terms = analyze(text)
    return (first, second) in itertools.pairwise(terms)


@SETTINGS
@given(owners=texts, first=st.sampled_from(WORDS), second=st.sampled_from(WORDS))
def test_a_two_word_phrase_finds_the_accounts_holding_the_words_side_by_side(tmp_path_factory, owners, first,
                                                                             second):
    phrase_terms = analyze(f"{first} {second}")
    assume(len(phrase_terms) == 2)  # a word the analyzer splits ("rossi-bianchi") makes a longer phrase
    ix = written_by_both_writers(tmp_path_factory.mktemp("pairs"), owners)
    with ix.reader() as reader:
        found, by_positions = set(), set()
        for leaf, offset in reader.leaf_readers():
            ctx = SegmentContext(leaf, cache=None)
            for field in ("owner", "description"):
                node = q.PhraseNode(field, tuple(phrase_terms), 0)
                found |= {offset + docnum for docnum in docsets.docs(docs(node, ctx), ctx.size)}
                by_positions |= {offset + docnum
                                 for docnum in docsets.docs(phrase_docs_by_positions(node, ctx), ctx.size)}
    expected = {number for number, owner in enumerate(owners) if adjacent(owner, *phrase_terms)}
    expected |= {number + len(owners) for number in expected}
    assert found == expected
    assert by_positions == expected


def test_a_phrase_of_two_words_split_from_one_is_found(book):
    """`o'neil` stays one word, `rossi-bianchi` becomes the phrase "rossi bianchi"."""
    create_account(book.support, "400001", "+41440000401", owner="Maria Rossi-Bianchi")
    create_account(book.support, "400002", "+41440000402", owner="Bianchi Rossi")
    assert usernames_matching("owner:rossi-bianchi") == ["100002", "400001"]
    assert usernames_matching('owner:"maria rossi"') == ["400001"]
    assert usernames_matching('owner:"bianchi rossi"') == ["400002"]


def test_an_index_built_before_the_pair_fields_existed_is_rebuilt_before_it_answers(book, search_index,
                                                                                   monkeypatch):
    """Built as the previous version built it (no pair fields, no format in its state), it could
    answer no phrase from pairs: the next search builds a new generation, which does."""
    with monkeypatch.context() as previous_version:
        for name, field in FIELDS.items():
            previous_version.setitem(FIELDS, name, dataclasses.replace(field, word_pairs=False))
        search_index.rebuild()
    state_path = search_index.directory / "state.json"
    state = json.loads(state_path.read_text())
    del state["format"]
    state_path.write_text(json.dumps(state))
    old_schema = whoosh_index.open_dir(str(search_index.directory / state["generation"])).schema
    assert "owner_pairs" not in old_schema and "owner" in old_schema

    assert usernames_matching('"giulia rossi"') == ["100002"]
    rebuilt = json.loads(state_path.read_text())
    assert rebuilt["generation"] != state["generation"]
    assert rebuilt["format"] == INDEX_FORMAT


def refuse(*arguments, **options):
    raise AssertionError("not the way this query is meant to be answered")


def test_a_two_word_phrase_is_answered_without_comparing_positions(book, monkeypatch):
    monkeypatch.setattr(evaluate, "phrase_docs_by_positions", refuse)
    assert usernames_matching('owner:"giulia rossi"') == ["100002"]
    assert usernames_matching('description:"rossi is"') == ["100005"]


def test_a_term_is_answered_from_the_lexicons_without_reading_its_postings(book, monkeypatch):
    monkeypatch.setattr(SegmentContext, "postings", refuse)
    monkeypatch.setattr(SegmentContext, "term_postings", refuse)
    assert usernames_matching("rossi") == ["100001", "100002", "100005"]
    assert usernames_matching("type:snom") == ["200003"]


def holds_phrase(text: str, phrase: list[str]) -> bool:
    terms = analyze(text)
    return any(terms[start:start + len(phrase)] == phrase for start in range(len(terms)))


@SETTINGS
@given(owners=st.lists(st.lists(st.sampled_from(["de", "la", "cruz", "anna", "o'neil", "4", "3902123"]), min_size=0,
                                max_size=7).map(" ".join), min_size=1, max_size=40),
       phrase=st.lists(st.sampled_from(["de", "la", "cruz", "anna", "4", "3902123"]), min_size=3, max_size=5),
       few=st.sampled_from([0, 1, 256]), few_within=st.sampled_from([0, evaluate.FEW_WITHIN_LIST]),
       few_probed=st.sampled_from([0, evaluate.FEW_PROBED_IN_LIST]), from_owner=st.integers(-40, 999))
def test_a_longer_phrase_found_through_its_pairs_is_the_phrase_found_by_positions(tmp_path_factory, owners, phrase,
                                                                                 few, few_within, few_probed,
                                                                                 from_owner):
    """Three to five words, repeated ones included ("de la de la"), where holding every pair is
    not holding the phrase ("de la x la cruz"), with short numbers (paired) and long ones (not
    paired: positions decide). For a phrase with a long number, `few` makes positions be
    compared after the first pair, after some pairs, or after every pair; `few_within` 0 makes
    the repeated-word marker decode only the blocks that may hold a candidate, written in blocks
    of three postings so that there are blocks to skip; `few_probed` 0 makes every pair after
    the first be looked up in the lexicon's documents of the pair one candidate at a time (and
    every doc set a Python set, as in a large segment, so that the lookups happen). Most
    phrases are words of an owner (`from_owner` >= 0), so that every pair is found."""
    phrase = words_of_an_owner(owners, from_owner) or phrase
    saved = (evaluate.FEW_PHRASE_CANDIDATES, evaluate.FEW_WITHIN_LIST, evaluate.FEW_PROBED_IN_LIST,
             segment_writer.WHOLE_LIST_BLOCK, docsets.SPARSE)
    evaluate.FEW_PHRASE_CANDIDATES, evaluate.FEW_WITHIN_LIST, evaluate.FEW_PROBED_IN_LIST = few, few_within, few_probed
    docsets.SPARSE = 0 if few_probed == 0 else saved[4]
    segment_writer.WHOLE_LIST_BLOCK = 3 if few_within == 0 else saved[3]
    try:
        ix = written_by_both_writers(tmp_path_factory.mktemp("long-phrases"), owners)
        with ix.reader() as reader:
            found, by_positions = set(), set()
            for leaf, offset in reader.leaf_readers():
                ctx = SegmentContext(leaf, cache=None)
                node = q.PhraseNode("owner", tuple(phrase), 0)
                found |= {offset + docnum for docnum in docsets.docs(docs(node, ctx), ctx.size)}
                by_positions |= {offset + docnum
                                 for docnum in docsets.docs(phrase_docs_by_positions(node, ctx), ctx.size)}
    finally:
        (evaluate.FEW_PHRASE_CANDIDATES, evaluate.FEW_WITHIN_LIST, evaluate.FEW_PROBED_IN_LIST,
         segment_writer.WHOLE_LIST_BLOCK, docsets.SPARSE) = saved
    expected = {number for number, owner in enumerate(owners) if holds_phrase(owner, phrase)}
    expected |= {number + len(owners) for number in expected}
    assert found == expected
    assert by_positions == expected


def words_of_an_owner(owners: list[str], choice: int) -> list[str] | None:
    """Three to five consecutive terms of one of the owners, picked by `choice` (None if it is
    negative or that owner has fewer than three terms)."""
    terms = analyze(owners[choice % len(owners)]) if choice >= 0 else []
    if len(terms) < 3:
        return None
    start = choice % (len(terms) - 2)
    return terms[start:start + 3 + choice % 3]


def test_a_longer_phrase_compares_positions_only_in_candidates_repeating_a_word(book, monkeypatch):
    create_account(book.support, "400003", "+41440000403", owner="Maria de la Cruz",
                   description="head of customer care")
    create_account(book.support, "400004", "+41440000404", owner="Maria de x de la y la Cruz",
                   description="head of care customer")
    read_within = []
    real_term_postings = SegmentContext.term_postings

    def term_postings(self, fieldname, btext, within=None):
        if within is None and fieldname in PAIRS_OF:  # a field keeping word pairs
            raise AssertionError("a whole posting list of a word read to compare positions")
        if within is not None:
            read_within.append(len(within))
        return real_term_postings(self, fieldname, btext, within)

    monkeypatch.setattr(SegmentContext, "term_postings", term_postings)
    assert usernames_matching('"head of customer care"') == ["400003"]
    assert read_within == []  # no candidate repeats a word: holding every pair is holding the phrase
    # 400004 holds every pair of the phrase and repeats "de" and "la": its positions decide.
    assert usernames_matching('owner:"maria de la cruz"') == ["400003"]
    assert read_within and max(read_within) == 1


@SETTINGS
@given(owners=st.lists(st.lists(st.sampled_from(["de", "la", "cruz", "anna", "4"]), min_size=2, max_size=5)
                       .map(" ".join), min_size=1, max_size=40),
       chosen=st.sets(st.integers(0, 39)), few_probed=st.sampled_from([0, evaluate.FEW_PROBED_IN_LIST, 10**6]))
def test_the_documents_of_a_pair_among_candidates_are_those_whoosh_gives(tmp_path_factory, owners, chosen, few_probed):
    """A pair's documents among a phrase's candidates, from the pair field's lexicon (a term's
    first and last document, a frequent one's list looked up a candidate at a time or gone
    through whole), are the pair's postings through Whoosh's public API kept to the candidates,
    whether the candidates are a set or a doc map."""
    pairs_field = PAIRS_OF["owner"]
    saved = evaluate.FEW_PROBED_IN_LIST
    evaluate.FEW_PROBED_IN_LIST = few_probed
    try:
        ix = written_by_both_writers(tmp_path_factory.mktemp("pairs-within"), owners)
        with ix.reader() as reader:
            for leaf, _offset in reader.leaf_readers():
                ctx = SegmentContext(leaf, cache=None)
                lexicon = ctx.lexicon(pairs_field)
                candidates = {doc for doc in chosen if doc < ctx.size}
                for index in range(len(lexicon)):
                    expected = candidates & set(leaf.postings(pairs_field, lexicon.term(index).encode()).all_ids())
                    assert ctx.lexicon_term_within(pairs_field, lexicon, index, set(candidates)) == expected
                    as_map = ctx.lexicon_term_within(pairs_field, lexicon, index,
                                                     docsets.from_docs(ctx.size, candidates))
                    assert set(docsets.docs(as_map, ctx.size)) == expected
    finally:
        evaluate.FEW_PROBED_IN_LIST = saved
