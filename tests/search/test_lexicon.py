"""Multi-term queries answered from segment lexicons find exactly the terms Whoosh's own term
enumeration finds, on random data: prefix, wildcard, regex, range and fuzzy queries, with the
lexicon read from the term file, kept in memory, or loaded from its saved file; and the lexicon
of a reversed field, derived from its forward field's, holds what Whoosh's own lexicon says."""
import re
import tempfile
import zlib
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema

from accounts.search.engine import docsets
from accounts.search.engine.evaluate import SegmentContext, docs
from accounts.search.engine.lexicon import read_lexicon, reversed_lexicon
from accounts.search.engine.lexicon_files import LexiconCache, load_lexicon, save_lexicon
from accounts.search.language import nodes as q

ALPHABET = "abé日"
words = st.text(alphabet=ALPHABET, min_size=1, max_size=5)
documents = st.lists(st.lists(words, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=40)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def make_segment(tmp_path_factory):
    """A one-segment Whoosh index of the given texts (one document each), as a segment reader."""
    readers = []

    def make(texts: list[str]):
        directory = tmp_path_factory.mktemp("segment")
        index = whoosh_index.create_in(str(directory), Schema(text=TEXT(phrase=True), tag=ID()))
        writer = index.writer()
        for number, text in enumerate(texts):
            writer.add_document(text=text, tag=str(number % 3))
        writer.commit()
        reader = index.reader()
        readers.append(reader)
        return reader

    yield make
    for reader in readers:
        reader.close()


def whoosh_docs(reader, accept) -> set[int]:
    """Documents holding a term of field `text` that `accept` keeps, the slow way: every term
    through Whoosh's own lexicon, every posting through its matcher."""
    docs: set[int] = set()
    for btext in reader.lexicon("text"):
        if accept(btext.decode("utf-8")):
            docs |= set(reader.postings("text", btext).all_ids())
    return docs


def lexicon_docs(reader, node, tmp_path) -> set[int]:
    """The node's documents through lexicons: read from the segment, then saved and cached, then
    loaded from the saved file."""
    from_segment = docs(node, SegmentContext(reader, cache=None))
    directory = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example, like an index generation
    context = SegmentContext(reader, cache=LexiconCache(), lexicon_directory=directory)
    assert docs(node, context) == from_segment
    assert docs(node, context) == from_segment
    loaded = SegmentContext(reader, cache=LexiconCache(), lexicon_directory=directory)
    assert docs(node, loaded) == from_segment
    return set(docsets.docs(from_segment, reader.doc_count_all()))


@SETTINGS
@given(texts=documents, prefix=st.text(alphabet=ALPHABET, max_size=2))
def test_prefix_finds_the_terms_starting_with_it(make_segment, tmp_path, texts, prefix):
    reader = make_segment(texts)
    assert lexicon_docs(reader, q.PrefixNode("text", prefix), tmp_path) == whoosh_docs(
        reader, lambda term: term.startswith(prefix))


@SETTINGS
@given(texts=documents,
       pieces=st.lists(st.one_of(st.sampled_from([q.Wild.ANY, q.Wild.ONE]),
                                 st.text(alphabet=ALPHABET, min_size=1, max_size=2)),
                       min_size=1, max_size=5))
def test_wildcard_finds_the_terms_matching_it_whole(make_segment, tmp_path, texts, pieces):
    reader = make_segment(texts)
    regex = re.compile("".join(re.escape(piece) if isinstance(piece, str)
                               else (".*" if piece is q.Wild.ANY else ".") for piece in pieces),
                       re.DOTALL)
    node = q.WildcardNode("text", tuple(pieces), "text", tuple(pieces))
    assert lexicon_docs(reader, node, tmp_path) == whoosh_docs(reader, regex.fullmatch)


@SETTINGS
@given(texts=documents, source=st.sampled_from(["a.*", "[ab]+", "é?b", ".", "(a|日)*", "[^a]+", "",
                                                   "..", "a{2}", "b?b?"]))
def test_regex_finds_the_terms_matching_it_whole(make_segment, tmp_path, texts, source):
    reader = make_segment(texts)
    node = q.RegexNode.create("text", source, 0)
    assert lexicon_docs(reader, node, tmp_path) == whoosh_docs(
        reader, re.compile(source, re.DOTALL).fullmatch)


@SETTINGS
@given(texts=documents, low=st.none() | words, high=st.none() | words,
       include_low=st.booleans(), include_high=st.booleans())
def test_range_finds_the_terms_between_its_bounds(make_segment, tmp_path, texts, low, high,
                                                  include_low, include_high):
    reader = make_segment(texts)

    def in_range(term: str) -> bool:
        above = low is None or term > low or (include_low and term == low)
        below = high is None or term < high or (include_high and term == high)
        return above and below

    node = q.RangeNode("text", low, high, include_low, include_high)
    assert lexicon_docs(reader, node, tmp_path) == whoosh_docs(reader, in_range)


def swap_then_levenshtein(query: str, term: str) -> int:
    """The fuzzy distance by its definition: the fewest non-overlapping neighbour swaps of the
    query plus the Levenshtein distance from the swapped query to the term."""
    best = levenshtein(query, term)
    for swaps, variant in q_swapped_variants(query):
        best = min(best, swaps + levenshtein(variant, term))
    return best


def q_swapped_variants(text: str):
    found = {}
    frontier = [(text, -2, 0)]
    while frontier:
        variant, last, swaps = frontier.pop()
        for index in range(last + 2, len(variant) - 1):
            swapped = variant[:index] + variant[index + 1] + variant[index] + variant[index + 2:]
            if swaps + 1 < found.get(swapped, 99):
                found[swapped] = swaps + 1
                frontier.append((swapped, index, swaps + 1))
    return [(swaps, variant) for variant, swaps in found.items()]


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (char != other))
    return row[-1]


@SETTINGS
@given(texts=documents, text=st.text(alphabet=ALPHABET, min_size=1, max_size=6),
       edits=st.sampled_from([1, 2]))
def test_fuzzy_finds_the_terms_within_its_edit_distance(make_segment, tmp_path, texts, text,
                                                        edits):
    reader = make_segment(texts)
    node = q.FuzzyNode("text", text, edits)
    assert lexicon_docs(reader, node, tmp_path) == whoosh_docs(
        reader, lambda term: swap_then_levenshtein(text, term) <= edits)


def test_a_transposition_is_one_edit_and_edits_may_follow_it(make_segment, tmp_path):
    reader = make_segment(["ba", "bxa", "abc", "cab"])
    assert lexicon_docs(reader, q.FuzzyNode("text", "ab", 1), tmp_path) == {0, 2, 3}
    assert lexicon_docs(reader, q.FuzzyNode("text", "ab", 2), tmp_path) == {0, 1, 2, 3}


@SETTINGS
@given(texts=documents)
def test_a_saved_lexicon_loads_as_it_was(make_segment, tmp_path, texts):
    reader = make_segment(texts)
    lexicon = read_lexicon(reader, "text")
    save_lexicon(lexicon, tmp_path / "text.lex")
    loaded = load_lexicon(tmp_path / "text.lex")
    assert loaded.terms() == lexicon.terms() == [b.decode() for b in reader.lexicon("text")]
    for name in ("offsets", "doc_frequency", "first_doc", "last_doc", "frequent"):
        assert getattr(loaded, name) == getattr(lexicon, name)


def test_a_damaged_or_foreign_lexicon_file_is_not_loaded(make_segment, tmp_path):
    """A file cut short (a crash while copying an index) or of another format reads as no
    lexicon, which is then built from the segment again, never as a wrong one."""
    save_lexicon(read_lexicon(make_segment(["anna rossi", "anna bianchi"]), "text"), tmp_path / "text.lex")
    whole = (tmp_path / "text.lex").read_bytes()
    headers = whole.index(b"\n") + 1 + 80  # the magic line, then ten 8-byte lengths
    (tmp_path / "cut.lex").write_bytes(whole[:-7])
    (tmp_path / "cut-in-header.lex").write_bytes(whole[:headers - 9])
    (tmp_path / "zlib.lex").write_bytes(whole[:headers] + zlib.compress(zstandard.decompress(whole[headers:])))
    assert load_lexicon(tmp_path / "text.lex") is not None
    assert load_lexicon(tmp_path / "cut.lex") is None
    assert load_lexicon(tmp_path / "cut-in-header.lex") is None
    assert load_lexicon(tmp_path / "zlib.lex") is None
    assert load_lexicon(tmp_path / "missing.lex") is None


def test_a_field_without_terms_has_an_empty_lexicon(make_segment):
    reader = make_segment(["a"])
    assert len(read_lexicon(reader, "no_such_field")) == 0
    assert not docs(q.PrefixNode("no_such_field", "a"), SegmentContext(reader, cache=None))


@SETTINGS
@given(texts=documents)
def test_a_reversed_lexicon_holds_each_term_spelled_backwards_with_its_documents(make_segment, texts):
    reader = make_segment(texts)
    backward = reversed_lexicon(read_lexicon(reader, "text"))
    assert backward.terms() == sorted(btext.decode()[::-1] for btext in reader.lexicon("text"))
    for index, term in enumerate(backward.terms()):
        ids = list(reader.postings("text", term[::-1].encode()).all_ids())
        assert backward.doc_frequency[index] == len(ids)
        if len(ids) <= 2:
            assert (backward.first_doc[index], backward.last_doc[index]) == (ids[0], ids[-1])
