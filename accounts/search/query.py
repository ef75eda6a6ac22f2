"""Query tree nodes and how each one finds its documents in one Whoosh index segment.

Matching is done with doc sets, sets of document numbers of a segment held as Python sets or,
when large, as one int with a byte per document (see docmaps.py), instead of Whoosh's
per-document matcher objects: a boolean query over a million accounts costs a few set or
whole-segment bit operations. Results are unranked (the console lists them
newest first), so boosts are parsed and accepted but do not change which accounts match.

Lucene semantics kept here: a boolean group with required clauses matches their intersection
(optional clauses beside them change nothing); without required clauses at least one optional
clause must match. Product choice: a group of only prohibited clauses matches everything else.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import heapq
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from whoosh.reading import TermNotFound

from accounts.search import docmaps
from accounts.search.analyzer import PAIR_SEPARATOR
from accounts.search.docmaps import DocSet
from accounts.search.errors import SearchQueryError
from accounts.search.fields import ALWAYS_PRESENT, FIELDS
from accounts.search.fuzzy import fuzzy_term_indexes
from accounts.search.lexicon import (
    Lexicon,
    LexiconCache,
    read_lexicon,
    read_postings,
)
from accounts.search.lucene_regex import translate_regex

HAS_FIELD = "has_value"

# Lexicons of the segments this process searched (see lexicon.py).
SEGMENT_CACHE = LexiconCache()
# A regular expression is tried on the terms in chunks of this many, checking the search's
# deadline between chunks (SegmentContext.deadline).
REGEX_CHUNK_TERMS = 4096
# The forward field of each reversed one.
_FORWARD_FIELDS = {field.reversed_name: field.name for field in FIELDS.values()
                   if field.reversed_terms}
# The word pair field of each field keeping one (see PhraseNode).
_PAIRS_OF = {field.name: field.pairs_name for field in FIELDS.values() if field.word_pairs}
PAIR_FIELDS = frozenset(_PAIRS_OF.values())


class Occur(enum.Enum):
    MUST = "+"
    SHOULD = ""
    MUST_NOT = "-"


class Wild(enum.Enum):
    ANY = "*"
    ONE = "?"


def keeps_postings(fieldname: str) -> bool:
    """Whether the field's lexicons keep the posting lists of frequent terms (not a reversed
    field's: its terms have the documents of their forward spelling)."""
    return fieldname not in _FORWARD_FIELDS


class SegmentContext:
    """One segment being searched, and where its term lexicons come from.

    Lexicons are cached and saved in `lexicon_directory` (the index generation's); without one
    (throw-away indexes such as the group names of one search) or without a cache they are read
    from the segment each time.
    """

    def __init__(self, reader, cache: LexiconCache | None = SEGMENT_CACHE,
                 lexicon_directory: Path | None = None):
        self.reader = reader  # a whoosh.reading.SegmentReader
        self.group_names = None  # index.GroupNames, for `group:` clauses
        self.cache = cache
        self.lexicon_directory = lexicon_directory  # where lexicons are saved (None: nowhere)
        self.size = reader.doc_count_all()  # documents, deleted ones included
        self.deadline = math.inf  # time.monotonic() past which a regular expression gives up
        self._all_docs: int | None = None

    def all_docs(self) -> int:
        """Every document of the segment, deleted ones included (removed at the end)."""
        if self._all_docs is None:
            self._all_docs = docmaps.full(self.size)
        return self._all_docs

    def postings(self, fieldname: str, btext: bytes) -> DocSet:
        """The documents containing the term (deleted ones included)."""
        return self.term_postings(fieldname, btext).docs(self.size)

    def frequent_docs(self, fieldname: str, lexicon: Lexicon, index: int) -> Iterable[int]:
        """The documents of the lexicon's frequent term at `index`: kept in the lexicon, or in
        the forward field's lexicon for a reversed field (a reversed term has the documents of
        its forward spelling)."""
        found = lexicon.frequent_docs(index)
        if found is not None:
            return found
        forward = _FORWARD_FIELDS.get(fieldname)
        if forward is not None:
            forward_lexicon = self.lexicon(forward)
            position = forward_lexicon.index_of(lexicon.term(index)[::-1])
            if position is not None:
                found = forward_lexicon.frequent_docs(position)
                if found is not None:
                    return found
        btext = lexicon.term(index).encode("utf-8")
        return chain.from_iterable(self.term_postings(fieldname, btext).id_blocks)

    def lexicon(self, fieldname: str) -> Lexicon:
        keep = keeps_postings(fieldname)
        if self.cache is None or self.lexicon_directory is None:
            return read_lexicon(self.reader, fieldname, keep)
        return self.cache.lexicon(self.reader, fieldname, self.lexicon_directory, keep)

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
        if expected * docmaps.SPARSE <= self.size:
            result = set(first_docs)
            result.update(last_docs)
            for index in frequent:
                result.update(self.frequent_docs(fieldname, lexicon, index))
            return result
        by_document = lexicon.frequent_docs_map(frequent) if frequent else 0
        if by_document is None:
            postings = [self.frequent_docs(fieldname, lexicon, index) for index in frequent]
            return docmaps.from_docs(self.size, first_docs, last_docs, *postings)
        return docmaps.from_docs(self.size, first_docs, last_docs) | by_document

    def term_postings(self, fieldname: str, btext: bytes) -> TermPostings:
        """The term's posting list with its (still encoded) values, block by block."""
        try:
            return TermPostings(*read_postings(self.reader._terms, fieldname, btext))
        except TermNotFound:
            return TermPostings([], [])


class TermPostings:
    """A term's document numbers and encoded values, as the blocks of its posting list."""

    def __init__(self, id_blocks: list, value_blocks: list):
        self.id_blocks = id_blocks
        self.value_blocks = value_blocks
        self.block_ends = [ids[-1] for ids in id_blocks]

    def docs(self, size: int) -> DocSet:
        count = sum(map(len, self.id_blocks))
        return docmaps.collect(size, chain.from_iterable(self.id_blocks), count)

    def value(self, docnum: int) -> bytes:
        """The encoded value of a document holding the term."""
        block = bisect.bisect_left(self.block_ends, docnum)
        ids = self.id_blocks[block]
        return self.value_blocks[block][bisect.bisect_left(ids, docnum)]


class Node:
    """A query tree node."""

    def docs(self, ctx: SegmentContext) -> DocSet:
        """The segment's documents this node matches (deleted ones may be included)."""
        raise NotImplementedError


@dataclass(frozen=True)
class MatchNone(Node):
    def docs(self, ctx: SegmentContext) -> DocSet:
        return set()


@dataclass(frozen=True)
class MatchAll(Node):
    def docs(self, ctx: SegmentContext) -> DocSet:
        return ctx.all_docs()


@dataclass(frozen=True)
class HasAnyField(Node):
    """`field:*`: the documents with any value in one of the fields."""

    fields: tuple[str, ...]

    def docs(self, ctx: SegmentContext) -> DocSet:
        if any(name in ALWAYS_PRESENT for name in self.fields):
            return ctx.all_docs()
        result: DocSet = set()
        for name in self.fields:
            result = docmaps.union(ctx.size, result, ctx.postings(HAS_FIELD, name.encode("utf-8")))
        return result


@dataclass(frozen=True)
class BooleanNode(Node):
    clauses: tuple[tuple[Occur, Node], ...]

    def docs(self, ctx: SegmentContext) -> DocSet:
        required = [node for occur, node in self.clauses if occur is Occur.MUST]
        optional = [node for occur, node in self.clauses if occur is Occur.SHOULD]
        prohibited = [node for occur, node in self.clauses if occur is Occur.MUST_NOT]
        size = ctx.size
        if required:
            result = required[0].docs(ctx)
            for node in required[1:]:
                if not result:
                    break
                result = docmaps.intersection(size, result, node.docs(ctx))
        elif optional:
            result = set()
            for node in optional:
                result = docmaps.union(size, result, node.docs(ctx))
                if docmaps.is_everything(size, result, ctx.all_docs()):
                    break  # every document already: the other clauses cannot add any
        else:
            result = ctx.all_docs()
        for node in prohibited:
            if not result:
                break
            result = docmaps.difference(size, result, node.docs(ctx))
        return result


@dataclass(frozen=True)
class TermNode(Node):
    field: str
    text: str

    def docs(self, ctx: SegmentContext) -> DocSet:
        # From the field's lexicon, which holds the documents of frequent terms in memory:
        # reading a posting list of 80,000 documents from the segment takes milliseconds.
        lexicon = ctx.lexicon(self.field)
        index = lexicon.index_of(self.text)
        return set() if index is None else ctx.docs_of_terms(self.field, lexicon, [index])


@dataclass(frozen=True)
class PhraseNode(Node):
    """Terms at consecutive positions, or within `slop` moves of it (Lucene's sloppy phrase).

    An exact phrase of two words is one term of the field's word pairs (fields.SearchField.
    word_pairs): the commonest phrase, a first and a last name, costs one posting list, that of
    the few documents holding it. Other phrases compare the positions of their terms.
    """

    field: str
    terms: tuple[str, ...]
    slop: int

    def docs(self, ctx: SegmentContext) -> DocSet:
        if self.slop == 0 and len(self.terms) == 2 and self.field in _PAIRS_OF:
            return ctx.postings(_PAIRS_OF[self.field], PAIR_SEPARATOR.join(self.terms).encode("utf-8"))
        return self._docs_by_positions(ctx)

    def _docs_by_positions(self, ctx: SegmentContext) -> DocSet:
        # Each term's posting list is read once: its blocks keep their position values, which
        # are decoded only for the documents holding every term.
        encoded = [term.encode("utf-8") for term in self.terms]
        postings: dict[bytes, TermPostings] = {}
        every: DocSet | None = None
        for btext in sorted(set(encoded), key=lambda b: ctx.reader.doc_frequency(self.field, b)):
            postings[btext] = ctx.term_postings(self.field, btext)
            found = postings[btext].docs(ctx.size)
            every = found if every is None else docmaps.intersection(ctx.size, every, found)
            if not every:
                return set()
        decode = ctx.reader.schema[self.field].format.decode_positions
        matching = [
            docnum for docnum in docmaps.docs(every, ctx.size)
            if phrase_matches([decode(postings[b].value(docnum)) for b in encoded], self.slop)
        ]
        return docmaps.collect(ctx.size, matching, len(matching))


def phrase_matches(term_positions: list[list[int]], slop: int) -> bool:
    """Whether one position per term lies within `slop` moves of the exact phrase.

    Shifting each term's positions by its place in the phrase makes an exact match a common
    value; the smallest window holding one shifted position of every term is the number of
    moves Lucene's sloppy phrase matching counts.
    """
    shifted = [sorted(p - offset for p in positions)
               for offset, positions in enumerate(term_positions)]
    if slop == 0:
        common = set(shifted[0])
        for values in shifted[1:]:
            common &= set(values)
        return bool(common)
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


@dataclass(frozen=True)
class PrefixNode(Node):
    field: str
    prefix: str

    def docs(self, ctx: SegmentContext) -> DocSet:
        lexicon = ctx.lexicon(self.field)
        return ctx.docs_of_term_range(self.field, lexicon, *lexicon.prefix_range(self.prefix))


@dataclass(frozen=True)
class WildcardNode(Node):
    """A pattern of literal pieces, `*` and `?`, matched against whole terms.

    A pattern whose literal end is longer than its literal start is matched reversed against
    the field's reversed terms, so `*ssi` enumerates the terms starting with `iss` instead of
    every term of the field.
    """

    field: str
    pieces: tuple[str | Wild, ...]
    search_field: str
    search_pieces: tuple[str | Wild, ...]

    @classmethod
    def create(cls, field: str, pieces: tuple[str | Wild, ...]) -> Node:
        if all(piece is Wild.ANY for piece in pieces):
            return HasAnyField((field,))
        if all(isinstance(piece, str) for piece in pieces):
            return TermNode(field, "".join(pieces))
        if (len(pieces) == 2 and isinstance(pieces[0], str) and pieces[1] is Wild.ANY):
            return PrefixNode(field, pieces[0])
        leading = pieces[0] if isinstance(pieces[0], str) else ""
        trailing = pieces[-1] if isinstance(pieces[-1], str) else ""
        if FIELDS[field].reversed_terms and len(trailing) > len(leading):
            reversed_pieces = tuple(
                piece[::-1] if isinstance(piece, str) else piece for piece in reversed(pieces)
            )
            return cls(field, pieces, FIELDS[field].reversed_name, reversed_pieces)
        return cls(field, pieces, field, pieces)

    def docs(self, ctx: SegmentContext) -> DocSet:
        literal_start = self.search_pieces[0] if isinstance(self.search_pieces[0], str) else ""
        literals = [piece for piece in self.search_pieces if isinstance(piece, str)]
        lexicon = ctx.lexicon(self.search_field)
        start, stop = lexicon.prefix_range(literal_start)
        shortest = sum(map(len, literals)) + self.search_pieces.count(Wild.ONE)
        longest = None if Wild.ANY in self.search_pieces else shortest
        matching = lexicon.matching(start, stop, wildcard_matcher(self.search_pieces),
                                    required=max(literals, key=len, default=""),
                                    lengths=(shortest, longest))
        return ctx.docs_of_terms(self.search_field, lexicon, matching)


def wildcard_matcher(pieces: tuple[str | Wild, ...]):
    """A function telling whether a whole term matches a wildcard pattern.

    A run of wildcards becomes one counted repetition (`*?*?*` is `.{2,}`), and a pattern
    starting or ending with `*` is searched for instead of matched whole (`*a*` is a search for
    `a`): the regular expression engine then skips ahead with its fast literal scan instead of
    backtracking through every way to split the term.
    """
    pieces = list(pieces)
    search = bool(pieces) and pieces[0] is Wild.ANY
    anchored_end = not (pieces and pieces[-1] is Wild.ANY)
    while pieces and pieces[0] is Wild.ANY:
        pieces.pop(0)
    while pieces and pieces[-1] is Wild.ANY:
        pieces.pop()
    parts: list[str] = []
    run: list[Wild] = []

    def end_run() -> None:
        if run:
            ones = sum(1 for wild in run if wild is Wild.ONE)
            parts.append(f".{{{ones},}}" if Wild.ANY in run else f".{{{ones}}}")
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


@dataclass(frozen=True)
class FuzzyNode(Node):
    """Terms within `edits` edits (insert, delete, substitute, swap two neighbours)."""

    field: str
    text: str
    edits: int

    def docs(self, ctx: SegmentContext) -> DocSet:
        if self.edits == 0 or not self.text:
            return ctx.postings(self.field, self.text.encode("utf-8"))
        lexicon = ctx.lexicon(self.field)
        return ctx.docs_of_terms(self.field, lexicon,
                                 fuzzy_term_indexes(lexicon, self.text, self.edits))


@dataclass(frozen=True)
class RegexNode(Node):
    """A Lucene regular expression matched against whole terms (see `translate_regex`)."""

    field: str
    source: str
    pattern: re.Pattern[str]
    literal_prefix: str
    position: int = dataclasses.field(default=0, compare=False)

    @classmethod
    def create(cls, field: str, source: str, position: int) -> Node:
        translated, prefix = translate_regex(source, position)
        if _ANY_STRING.fullmatch(source):
            return HasAnyField((field,))  # matches every term, like `field:*`
        try:
            compiled = re.compile(translated, re.DOTALL)
        except re.error as error:
            raise SearchQueryError(f"Invalid regular expression /{source}/: {error.msg}",
                                   position, "Check the brackets and repetitions of the regular "
                                   "expression, or escape special characters with \\.") from None
        return cls(field, source, compiled, prefix, position)

    def docs(self, ctx: SegmentContext) -> DocSet:
        lexicon = ctx.lexicon(self.field)
        start, stop = lexicon.prefix_range(self.literal_prefix)
        lengths = _match_lengths(self.pattern)
        matching: list[int] = []
        for chunk_start in range(start, stop, REGEX_CHUNK_TERMS):
            if time.monotonic() > ctx.deadline:
                raise SearchQueryError(
                    f"The regular expression /{self.source}/ takes too long to try on every term",
                    self.position, "Start it with a few plain characters, or use a wildcard (*, ?) instead.")
            matching += lexicon.matching(chunk_start, min(stop, chunk_start + REGEX_CHUNK_TERMS),
                                         self.pattern.fullmatch, lengths=lengths)
        return ctx.docs_of_terms(self.field, lexicon, matching)


def _match_lengths(pattern: re.Pattern[str]) -> tuple[int, int | None]:
    """The least and most characters a match of `pattern` can have (None: no limit), from
    the regular expression parser of the standard library (no limits if it cannot tell)."""
    try:
        from re import _parser

        shortest, longest = _parser.parse(pattern.pattern, pattern.flags).getwidth()
    except Exception:  # a private module: should it change, patterns just get no hint
        return 0, None
    return shortest, (longest if longest < _parser.MAXREPEAT else None)


@dataclass(frozen=True)
class RangeNode(Node):
    """Terms between two bounds in term (code point) order; None is an open end."""

    field: str
    low: str | None
    high: str | None
    include_low: bool
    include_high: bool

    def docs(self, ctx: SegmentContext) -> DocSet:
        lexicon = ctx.lexicon(self.field)
        if self.low is None:
            start = 0
        elif self.include_low:
            start = lexicon.bisect_left(self.low)
        else:
            start = lexicon.bisect_right(self.low)
        if self.high is None:
            stop = len(lexicon)
        elif self.include_high:
            stop = lexicon.bisect_right(self.high)
        else:
            stop = lexicon.bisect_left(self.high)
        return ctx.docs_of_term_range(self.field, lexicon, start, stop)


# A Lucene regular expression made only of "any string" pieces (`.*`, `@`): every term matches.
_ANY_STRING = re.compile(r"(?:\.\*|@)+")


def boosted(node: Node | None, boost: float) -> Node | None:
    """`node` with a boost: accepted for Lucene compatibility; results are not ranked."""
    return node

