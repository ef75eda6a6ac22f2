"""How each kind of query node finds its documents in one Whoosh index segment.

Matching is done with doc sets, sets of document numbers of a segment held as Python sets or,
when large, as one int with a byte per document (see docsets.py), instead of Whoosh's
per-document matcher objects: a boolean query over a million accounts costs a few set or
whole-segment bit operations. `docs(node, ctx)` dispatches on the node's kind to one function
per kind (the nodes themselves are plain data, language/nodes.py).
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import time
from array import array
from collections.abc import Iterable, Sequence
from functools import lru_cache, singledispatch
from itertools import chain
from pathlib import Path

from django.utils.translation import gettext
from whoosh import formats
from whoosh.reading import TermNotFound

from accounts.search.engine import docsets
from accounts.search.engine.docsets import DocSet
from accounts.search.engine.fuzzy import fuzzy_term_indexes
from accounts.search.engine.lexicon import Lexicon, build_lexicon, read_postings
from accounts.search.engine.lexicon_files import LexiconCache
from accounts.search.engine.schema import (
    FORWARD_FIELDS,
    HAS_FIELD,
    PAIRS_OF,
    repeated_words_marker,
)
from accounts.search.language import nodes as q
from accounts.search.language.analyzer import word_pairs
from accounts.search.language.errors import SearchQueryError
from accounts.search.language.fields import ALWAYS_PRESENT

# Lexicons of the segments this process searched (see lexicon.py).
SEGMENT_CACHE = LexiconCache()
# Documents few enough beside a posting list, one to this many of its postings, to decode only
# the list's blocks that may hold them (SegmentContext.postings_within).
FEW_WITHIN_LIST = 64
# Documents few enough beside a frequent term's documents in a lexicon, one to this many of them,
# to look each up by binary search rather than go through all of the term's
# (SegmentContext.lexicon_term_within).
FEW_PROBED_IN_LIST = 16
# A regular expression is tried on the terms in chunks of this many, checking the search's
# deadline between chunks (SegmentContext.deadline).
REGEX_CHUNK_TERMS = 4096


class SegmentContext:
    """One segment being searched, and where its term lexicons come from.

    Lexicons are cached and saved in `lexicon_directory` (the index generation's); without one
    (throw-away indexes such as the group names of one search) or without a cache they are read
    from the segment each time.
    """

    def __init__(self, reader, cache: LexiconCache | None = SEGMENT_CACHE,
                 lexicon_directory: Path | None = None):
        self.reader = reader  # a whoosh.reading.SegmentReader
        self.group_names = None  # group_names.GroupNames, for `group:` clauses
        self.cache = cache
        self.lexicon_directory = lexicon_directory  # where lexicons are saved (None: nowhere)
        self.size = reader.doc_count_all()  # documents, deleted ones included
        self.deadline = math.inf  # time.monotonic() past which a regular expression gives up
        self._all_docs: int | None = None

    def all_docs(self) -> int:
        """Every document of the segment, deleted ones included (removed at the end)."""
        if self._all_docs is None:
            self._all_docs = docsets.full(self.size)
        return self._all_docs

    def postings(self, fieldname: str, btext: bytes) -> DocSet:
        """The documents containing the term (deleted ones included)."""
        return self.term_postings(fieldname, btext).docs(self.size)

    def postings_within(self, fieldname: str, btext: bytes, docs: DocSet) -> DocSet:
        """The documents of `docs` containing the term. A set of documents keeps those found
        in the term's posting list as it is read, without making a set of the whole list (a
        common word pair's, of tens of thousands); when they are few beside the list, only the
        list's blocks that may hold one of them are decoded."""
        if docsets.is_map(docs):
            return docsets.intersection(self.size, docs, self.postings(fieldname, btext))
        few = len(docs) * FEW_WITHIN_LIST <= self.reader.doc_frequency(fieldname, btext)
        postings = self.term_postings(fieldname, btext, within=sorted(docs) if few else None)
        return docs.intersection(chain.from_iterable(postings.id_blocks))

    def lexicon_term_within(self, fieldname: str, lexicon: Lexicon, index: int, docs: DocSet) -> DocSet:
        """The documents of `docs` holding the lexicon's term at `index`, from the lexicon: the
        term's first and last document, or a frequent term's documents (sorted), looked up by
        binary search for each of `docs` when they are few beside them."""
        if docsets.is_map(docs):
            return docsets.intersection(self.size, docs, self.docs_of_terms(fieldname, lexicon, [index]))
        if index not in lexicon.frequent_set:
            return docs.intersection((lexicon.first_doc[index], lexicon.last_doc[index]))
        found = self.frequent_docs(fieldname, lexicon, index)
        if not isinstance(found, array) or len(docs) * FEW_PROBED_IN_LIST > len(found):
            return docs.intersection(found)
        return {doc for doc in docs if _holds(found, doc)}

    def frequent_docs(self, fieldname: str, lexicon: Lexicon, index: int) -> Iterable[int]:
        """The documents of the lexicon's frequent term at `index`: kept in the lexicon, or in
        the forward field's lexicon for a reversed field (a reversed term has the documents of
        its forward spelling)."""
        found = lexicon.frequent_docs(index)
        if found is not None:
            return found
        term = lexicon.term(index)
        forward = FORWARD_FIELDS.get(fieldname)
        if forward is not None:
            fieldname, term = forward, term[::-1]
            forward_lexicon = self.lexicon(forward)
            position = forward_lexicon.index_of(term)
            if position is not None:
                found = forward_lexicon.frequent_docs(position)
                if found is not None:
                    return found
        return chain.from_iterable(self.term_postings(fieldname, term.encode("utf-8")).id_blocks)

    def lexicon(self, fieldname: str) -> Lexicon:
        if self.cache is None or self.lexicon_directory is None:
            return build_lexicon(self.reader, fieldname, self.lexicon)
        return self.cache.lexicon(self.reader, fieldname, self.lexicon_directory)

    def docs_of_term_range(self, fieldname: str, lexicon: Lexicon, start: int,
                           stop: int) -> DocSet:
        """The documents holding any of the lexicon's terms start..stop-1."""
        if start >= stop:
            return set()
        frequent, twice = (
            terms[bisect.bisect_left(terms, start):bisect.bisect_left(terms, stop)]
            for terms in (lexicon.frequent, lexicon.twice))
        return self._docs_of(fieldname, lexicon, lexicon.first_doc[start:stop],
                             map(lexicon.last_doc.__getitem__, twice), frequent, stop - start)

    def docs_of_terms(self, fieldname: str, lexicon: Lexicon, indexes: Iterable[int]) -> DocSet:
        """The documents holding any of the lexicon's terms at `indexes`."""
        indexes = indexes if isinstance(indexes, list) else list(indexes)
        if not indexes:
            return set()
        return self._docs_of(fieldname, lexicon, map(lexicon.first_doc.__getitem__, indexes),
                             map(lexicon.last_doc.__getitem__,
                                 lexicon.twice_set.intersection(indexes)),
                             lexicon.frequent_set.intersection(indexes), len(indexes))

    def _docs_of(self, fieldname: str, lexicon: Lexicon, first_docs: Iterable[int],
                 last_docs: Iterable[int], frequent: Iterable[int], term_count: int) -> DocSet:
        """The union of the terms' first documents, of the last documents of those in two
        documents and of the frequent terms' posting lists, as a set or a doc map depending on
        how many documents that may be."""
        frequent = list(frequent)
        expected = term_count + sum(map(lexicon.doc_frequency.__getitem__, frequent))
        if expected * docsets.SPARSE <= self.size:
            result = set(first_docs)
            result.update(last_docs)
            for index in frequent:
                result.update(self.frequent_docs(fieldname, lexicon, index))
            return result
        by_document = lexicon.frequent_docs_map(frequent) if frequent else 0
        if by_document is None:
            postings = [self.frequent_docs(fieldname, lexicon, index) for index in frequent]
            return docsets.from_docs(self.size, first_docs, last_docs, *postings)
        return docsets.from_docs(self.size, first_docs, last_docs) | by_document

    def term_postings(self, fieldname: str, btext: bytes, within: list[int] | None = None) -> TermPostings:
        """The term's posting list with its (still encoded) values, block by block (only the
        blocks that may hold a document of `within`, sorted, if given)."""
        try:
            return TermPostings(*read_postings(self.reader._terms, fieldname, btext, within))
        except TermNotFound:
            return TermPostings([], [])


def _holds(sorted_docs: array, doc: int) -> bool:
    at = bisect.bisect_left(sorted_docs, doc)
    return at < len(sorted_docs) and sorted_docs[at] == doc


class TermPostings:
    """A term's document numbers and encoded values, as the blocks of its posting list."""

    def __init__(self, id_blocks: list, value_blocks: list):
        self.id_blocks = id_blocks
        self.value_blocks = value_blocks
        self.block_ends = [ids[-1] for ids in id_blocks]

    def docs(self, size: int) -> DocSet:
        count = sum(map(len, self.id_blocks))
        return docsets.collect(size, chain.from_iterable(self.id_blocks), count)

    def value(self, docnum: int) -> bytes | None:
        """The encoded value of the term in a document (None if the document lacks it)."""
        block = bisect.bisect_left(self.block_ends, docnum)
        if block == len(self.block_ends):
            return None
        ids = self.id_blocks[block]
        found = bisect.bisect_left(ids, docnum)
        return self.value_blocks[block][found] if ids[found] == docnum else None


@singledispatch
def docs(node: q.Node, ctx: SegmentContext) -> DocSet:
    """The segment's documents `node` matches (deleted ones may be included)."""
    raise TypeError(f"no evaluation for {type(node).__name__}")


@docs.register
def _match_none(node: q.MatchNone, ctx: SegmentContext) -> DocSet:
    return set()


@docs.register
def _match_all(node: q.MatchAll, ctx: SegmentContext) -> DocSet:
    return ctx.all_docs()


@docs.register
def _has_any_field(node: q.HasAnyField, ctx: SegmentContext) -> DocSet:
    if any(name in ALWAYS_PRESENT for name in node.fields):
        return ctx.all_docs()
    result: DocSet = set()
    for name in node.fields:
        result = docsets.union(ctx.size, result, ctx.postings(HAS_FIELD, name.encode("utf-8")))
    return result


@docs.register
def _boolean(node: q.BooleanNode, ctx: SegmentContext) -> DocSet:
    required = [child for occur, child in node.clauses if occur is q.Occur.MUST]
    optional = [child for occur, child in node.clauses if occur is q.Occur.SHOULD]
    prohibited = [child for occur, child in node.clauses if occur is q.Occur.MUST_NOT]
    size = ctx.size
    if required:
        result = docs(required[0], ctx)
        for child in required[1:]:
            if not result:
                break
            result = docsets.intersection(size, result, docs(child, ctx))
    elif optional:
        result = set()
        for child in optional:
            result = docsets.union(size, result, docs(child, ctx))
            if docsets.is_everything(size, result, ctx.all_docs()):
                break  # every document already: the other clauses cannot add any
    else:
        result = ctx.all_docs()
    for child in prohibited:
        if not result:
            break
        result = docsets.difference(size, result, docs(child, ctx))
    return result


@docs.register
def _term(node: q.TermNode, ctx: SegmentContext) -> DocSet:
    # From the field's lexicon, which holds the documents of frequent terms in memory:
    # reading a posting list of 80,000 documents from the segment takes milliseconds.
    lexicon = ctx.lexicon(node.field)
    index = lexicon.index_of(node.text)
    return set() if index is None else ctx.docs_of_terms(node.field, lexicon, [index])


@docs.register
def _phrase(node: q.PhraseNode, ctx: SegmentContext) -> DocSet:
    """An exact phrase is first looked up in the field's word pairs (fields.SearchField.
    word_pairs): a phrase of two words is one pair term, the commonest phrase (a first and a
    last name) costing the posting list of the few documents holding it. A longer phrase is
    first the documents holding every pair of it, rarest pair first. Of those, a document that
    repeats no word in the field holds the phrase (schema.repeated_words_marker): the positions
    of the phrase's words are compared only in the others. A phrase with a long number, whose
    pairs are not kept, compares positions in the documents holding its other pairs, and a
    sloppy phrase in every document holding its words."""
    pairs = word_pairs(node.terms) if node.slop == 0 and node.field in PAIRS_OF else []
    if not pairs:
        return phrase_docs_by_positions(node, ctx)
    every_pair_kept = len(pairs) == len(node.terms) - 1
    candidates = _docs_with_every_pair(PAIRS_OF[node.field], pairs, ctx,
                                       enough=0 if every_pair_kept else FEW_PHRASE_CANDIDATES)
    if len(node.terms) == 2 or not candidates:
        return candidates
    if not every_pair_kept:
        return phrase_docs_by_positions(node, ctx, within=candidates)
    repeating = ctx.postings_within(HAS_FIELD, repeated_words_marker(node.field).encode("utf-8"), candidates)
    if not repeating:
        return candidates
    return docsets.union(ctx.size, docsets.difference(ctx.size, candidates, repeating),
                         phrase_docs_by_positions(node, ctx, within=repeating))


# Candidates of a phrase with a long number few enough to compare positions rather than read
# another pair.
FEW_PHRASE_CANDIDATES = 256


def _docs_with_every_pair(field: str, pairs: list[str], ctx: SegmentContext, enough: int) -> DocSet:
    """The documents holding every one of the pairs (a superset of the phrase's documents:
    `a b x b c` holds `a b` and `b c`), or some of them once `enough` or fewer are left.

    From the pair field's lexicon, rarest pair first: it holds the documents of the common pairs
    ("in the", "phone for") in memory, so a long phrase of common words decodes no posting list."""
    lexicon = ctx.lexicon(field)
    indexes = [lexicon.index_of(pair) for pair in set(pairs)]
    if None in indexes:
        return set()
    candidates: DocSet | None = None
    for index in sorted(indexes, key=lexicon.doc_frequency.__getitem__):
        candidates = (ctx.docs_of_terms(field, lexicon, [index]) if candidates is None
                      else ctx.lexicon_term_within(field, lexicon, index, candidates))
        if docsets.count(candidates) <= enough:
            break
    return candidates


def phrase_docs_by_positions(node: q.PhraseNode, ctx: SegmentContext, within: DocSet | None = None) -> DocSet:
    """The phrase's documents (among `within`, if given) found by comparing the positions of
    its terms."""
    encoded = [term.encode("utf-8") for term in node.terms]
    postings: dict[bytes, TermPostings] = {}
    if within is not None:
        # Only the blocks of each term's posting list that hold a candidate are decoded.
        every: DocSet = within
        candidates = sorted(docsets.docs(within, ctx.size))
        for btext in set(encoded):
            postings[btext] = ctx.term_postings(node.field, btext, within=candidates)
    else:
        # Each term's posting list is read once: its blocks keep their position values, which
        # are decoded only for the documents holding every term.
        every = None
        for btext in sorted(set(encoded), key=lambda b: ctx.reader.doc_frequency(node.field, b)):
            postings[btext] = ctx.term_postings(node.field, btext)
            found = postings[btext].docs(ctx.size)
            every = found if every is None else docsets.intersection(ctx.size, every, found)
            if not every:
                return set()
    matching = []
    for docnum in docsets.docs(every, ctx.size):
        values = [postings[b].value(docnum) for b in encoded]
        if None not in values and phrase_matches(list(map(decoded_positions, values)), node.slop):
            matching.append(docnum)
    return docsets.collect(ctx.size, matching, len(matching))


_POSITIONS = formats.Positions()


@lru_cache(maxsize=65536)
def decoded_positions(value: bytes) -> tuple[int, ...]:
    """The positions held by a posting value of a positional field (the schema's TEXT fields).
    Most values are one of a few (a word once, early in its field), so decoding is remembered."""
    return tuple(_POSITIONS.decode_positions(value))


def phrase_matches(term_positions: list[Sequence[int]], slop: int) -> bool:
    """Whether one position per term lies within `slop` moves of the exact phrase.

    Shifting each term's positions by its place in the phrase makes an exact match a common
    value; the smallest window holding one shifted position of every term is the number of
    moves Lucene's sloppy phrase matching counts.
    """
    if slop == 0:
        starts = set(term_positions[0])
        for offset, positions in enumerate(term_positions[1:], 1):
            starts.intersection_update([p - offset for p in positions])
            if not starts:
                return False
        return True
    shifted = [sorted(p - offset for p in positions)
               for offset, positions in enumerate(term_positions)]
    heap = [(values[0], index, 0) for index, values in enumerate(shifted)]
    heapq.heapify(heap)
    highest = max(values[0] for values in shifted)
    while True:
        lowest, index, position = heapq.heappop(heap)
        if highest - lowest <= slop:
            return True
        if position + 1 >= len(shifted[index]):
            return False
        following = shifted[index][position + 1]
        highest = max(highest, following)
        heapq.heappush(heap, (following, index, position + 1))


@docs.register
def _prefix(node: q.PrefixNode, ctx: SegmentContext) -> DocSet:
    lexicon = ctx.lexicon(node.field)
    return ctx.docs_of_term_range(node.field, lexicon, *lexicon.prefix_range(node.prefix))


@docs.register
def _wildcard(node: q.WildcardNode, ctx: SegmentContext) -> DocSet:
    pieces = node.search_pieces
    literal_start = pieces[0] if isinstance(pieces[0], str) else ""
    literals = [piece for piece in pieces if isinstance(piece, str)]
    lexicon = ctx.lexicon(node.search_field)
    start, stop = lexicon.prefix_range(literal_start)
    shortest = sum(map(len, literals)) + pieces.count(q.Wild.ONE)
    longest = None if q.Wild.ANY in pieces else shortest
    matching = lexicon.matching(start, stop, wildcard_matcher(pieces),
                                required=max(literals, key=len, default=""),
                                lengths=(shortest, longest))
    return ctx.docs_of_terms(node.search_field, lexicon, matching)


def wildcard_matcher(pieces: tuple[str | q.Wild, ...]):
    """A function telling whether a whole term matches a wildcard pattern.

    A run of wildcards becomes one counted repetition (`*?*?*` is `.{2,}`), and a pattern
    starting or ending with `*` is searched for instead of matched whole (`*a*` is a search for
    `a`): the regular expression engine then skips ahead with its fast literal scan instead of
    backtracking through every way to split the term.
    """
    pieces = list(pieces)
    search = bool(pieces) and pieces[0] is q.Wild.ANY
    anchored_end = not (pieces and pieces[-1] is q.Wild.ANY)
    while pieces and pieces[0] is q.Wild.ANY:
        pieces.pop(0)
    while pieces and pieces[-1] is q.Wild.ANY:
        pieces.pop()
    parts: list[str] = []
    run: list[q.Wild] = []

    def end_run() -> None:
        if run:
            ones = sum(1 for wild in run if wild is q.Wild.ONE)
            parts.append(f".{{{ones},}}" if q.Wild.ANY in run else f".{{{ones}}}")
            run.clear()

    for piece in pieces:
        if isinstance(piece, str):
            end_run()
            parts.append(re.escape(piece))
        else:
            run.append(piece)
    end_run()
    pattern = re.compile("".join(parts) + (r"\Z" if anchored_end else ""), re.DOTALL)
    return pattern.search if search else pattern.match


@docs.register
def _fuzzy(node: q.FuzzyNode, ctx: SegmentContext) -> DocSet:
    if node.edits == 0 or not node.text:
        return ctx.postings(node.field, node.text.encode("utf-8"))
    lexicon = ctx.lexicon(node.field)
    return ctx.docs_of_terms(node.field, lexicon, fuzzy_term_indexes(lexicon, node.text, node.edits))


@docs.register
def _regex(node: q.RegexNode, ctx: SegmentContext) -> DocSet:
    lexicon = ctx.lexicon(node.field)
    start, stop = lexicon.prefix_range(node.literal_prefix)
    lengths = _match_lengths(node.pattern)
    matching: list[int] = []
    for chunk_start in range(start, stop, REGEX_CHUNK_TERMS):
        if time.monotonic() > ctx.deadline:
            raise SearchQueryError(
                gettext("The regular expression /%(source)s/ takes too long to try on every term")
                % {"source": node.source},
                node.position, gettext("Start it with a few plain characters, or use a wildcard (*, ?) instead."))

        matching += lexicon.matching(chunk_start, min(stop, chunk_start + REGEX_CHUNK_TERMS),
                                     node.pattern.fullmatch, lengths=lengths)
    return ctx.docs_of_terms(node.field, lexicon, matching)


def _match_lengths(pattern: re.Pattern[str]) -> tuple[int, int | None]:
    """The least and most characters a match of `pattern` can have (None: no limit), from
    the regular expression parser of the standard library (no limits if it cannot tell)."""
    try:
        from re import _parser

        shortest, longest = _parser.parse(pattern.pattern, pattern.flags).getwidth()
    except Exception:  # noqa: BLE001 - a private module: should it change, patterns just get no hint
        return 0, None
    return shortest, (longest if longest < _parser.MAXREPEAT else None)


@docs.register
def _range(node: q.RangeNode, ctx: SegmentContext) -> DocSet:
    lexicon = ctx.lexicon(node.field)
    if node.low is None:
        start = 0
    elif node.include_low:
        start = lexicon.bisect_left(node.low)
    else:
        start = lexicon.bisect_right(node.low)
    if node.high is None:
        stop = len(lexicon)
    elif node.include_high:
        stop = lexicon.bisect_right(node.high)
    else:
        stop = lexicon.bisect_left(node.high)
    return ctx.docs_of_term_range(node.field, lexicon, start, stop)
