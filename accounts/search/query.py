"""Query tree nodes and how each one finds its documents in one Whoosh index segment.

Matching is done with sets of document numbers per segment (C-speed set algebra) instead of
Whoosh's per-document matcher objects: a boolean query over a million accounts costs a few set
operations, and counting a large result is `len()`. Results are unranked (the console lists them
newest first), so boosts are parsed and accepted but do not change which accounts match.

Lucene semantics kept here: a boolean group with required clauses matches their intersection
(optional clauses beside them change nothing); without required clauses at least one optional
clause must match. Product choice: a group of only prohibited clauses matches everything else.
"""

from __future__ import annotations

import enum
import heapq
import re
import time
from dataclasses import dataclass

from whoosh.reading import TermNotFound

from accounts.search.fields import ALWAYS_PRESENT, FIELDS
from accounts.search.errors import QueryTooBroad, SearchQueryError
from accounts.search.lucene_regex import translate_regex

# Multi-term queries (wildcard, regex, fuzzy, range) may visit at most this many terms or
# spend this long enumerating, so that any query answers within the latency budget.
MAX_VISITED_TERMS = 3_000_000
MAX_EXPANSION_SECONDS = 1.5
HAS_FIELD = "has_value"


class Occur(enum.Enum):
    MUST = "+"
    SHOULD = ""
    MUST_NOT = "-"


class Wild(enum.Enum):
    ANY = "*"
    ONE = "?"


class SegmentContext:
    """One segment being searched, with a budget for term expansion."""

    def __init__(self, reader, deadline: float):
        self.reader = reader  # a whoosh.reading.SegmentReader
        self.group_names = None  # index.GroupNames, for `group:` clauses
        self.deadline = deadline
        self.visited_terms = 0
        self._all_docs: set[int] | None = None

    def all_docs(self) -> set[int]:
        """Every document number of the segment, deleted ones included (removed at the end)."""
        if self._all_docs is None:
            self._all_docs = set(range(self.reader.doc_count_all()))
        return self._all_docs

    def postings(self, fieldname: str, btext: bytes) -> set[int]:
        """Document numbers containing the term (including deleted documents)."""
        try:
            terminfo = self.reader._terms.term_info(fieldname, btext)
        except TermNotFound:
            return set()
        return self.terminfo_docs(fieldname, btext, terminfo)

    def terminfo_docs(self, fieldname: str, btext: bytes, terminfo) -> set[int]:
        # A term in one or two documents (most terms of unique values such as usernames and
        # numbers) is answered from its term info's first and last document, without reading
        # its posting list: this keeps prefix and range expansion over many terms fast.
        if terminfo.doc_frequency() <= 2:
            return {terminfo.min_id(), terminfo.max_id()}
        return all_ids(self.matcher(fieldname, btext))

    def has_term(self, fieldname: str, btext: bytes) -> bool:
        return (fieldname, btext) in self.reader._terms

    def matcher(self, fieldname: str, btext: bytes):
        # The raw term matcher: SegmentReader.postings() wraps it to skip deleted documents one
        # by one, which is slow on large posting lists; deletions are removed once, at the end.
        format_ = self.reader.schema[fieldname].format
        return self.reader._terms.matcher(fieldname, btext, format_)

    def term_infos(self, fieldname: str, start: bytes):
        """(term, term info) pairs of the field from `start` on, in term order."""
        for (name, btext), terminfo in self.reader._terms.items_from(fieldname, start):
            if name != fieldname:
                return
            yield btext, terminfo

    def positions(self, fieldname: str, btext: bytes, docs: set[int]) -> dict[int, list[int]]:
        """For each document of `docs` holding the term, the term's positions in it."""
        result: dict[int, list[int]] = {}
        if not docs:
            return result
        matcher = self.matcher(fieldname, btext)
        if not hasattr(matcher, "_next_block"):  # postings inlined in the term info
            while matcher.is_active():
                if matcher.id() in docs:
                    result[matcher.id()] = list(matcher.value_as("positions"))
                matcher.next()
            return result
        # Block by block (see all_ids): only blocks holding a wanted document decode values.
        decode = self.reader.schema[fieldname].format.decode_positions
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            ids = matcher._ids
            wanted = [index for index, docnum in enumerate(ids) if docnum in docs]
            if wanted:
                if matcher._values is None:
                    matcher._read_values()
                for index in wanted:
                    result[ids[index]] = decode(matcher._values[index])
            if matcher._lastblock:
                break
            matcher._next_block()
        return result

    def union_of_terms(self, fieldname: str, terms, query_text: str) -> set[int]:
        """Documents containing any of `terms` ((bytes, term info) pairs), within the budget."""
        docs: set[int] = set()
        for btext, terminfo in terms:
            self.visited_terms += 1
            if self.visited_terms % 1024 == 0:
                self.check_budget(query_text)
            docs |= self.terminfo_docs(fieldname, btext, terminfo)
        return docs

    def check_budget(self, query_text: str) -> None:
        if self.visited_terms > MAX_VISITED_TERMS or time.monotonic() > self.deadline:
            raise QueryTooBroad(
                f"'{query_text}' matches too many different words to search quickly", 0,
                "Make the pattern more specific: put more letters before or after the "
                "wildcard, or search in one field (for example owner:ros*).",
            )

    def prefixed(self, fieldname: str, prefix: str):
        """(term, term info) pairs of the terms starting with `prefix`."""
        bprefix = prefix.encode("utf-8")
        for btext, terminfo in self.term_infos(fieldname, bprefix):
            if not btext.startswith(bprefix):
                return
            yield btext, terminfo

    def filtered_terms(self, candidates, accept, query_text: str):
        """The (term, term info) pairs among `candidates` whose text `accept` keeps."""
        for btext, terminfo in candidates:
            self.visited_terms += 1
            if self.visited_terms % 4096 == 0:
                self.check_budget(query_text)
            if accept(btext.decode("utf-8")):
                yield btext, terminfo


def all_ids(matcher) -> set[int]:
    """Every document number of a posting list.

    Whoosh's own `all_ids()` makes three method calls per posting; a term in a third of a
    million accounts spends most of a search there. Whoosh 2.7's block matcher decodes a whole
    block of ids at a time (`_read_ids`), so whole blocks are taken instead.
    """
    if not hasattr(matcher, "_next_block"):
        return set(matcher.all_ids())
    result: set[int] = set()
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        result.update(matcher._ids[matcher._i:])
        if matcher._lastblock:
            break
        matcher._next_block()
    return result


class Node:
    """A query tree node."""

    def docs(self, ctx: SegmentContext) -> set[int]:
        """The segment's documents this node matches (deleted ones may be included)."""
        raise NotImplementedError


@dataclass(frozen=True)
class MatchNone(Node):
    def docs(self, ctx: SegmentContext) -> set[int]:
        return set()


@dataclass(frozen=True)
class MatchAll(Node):
    def docs(self, ctx: SegmentContext) -> set[int]:
        return set(ctx.all_docs())


@dataclass(frozen=True)
class HasAnyField(Node):
    """`field:*`: the documents with any value in one of the fields."""

    fields: tuple[str, ...]

    def docs(self, ctx: SegmentContext) -> set[int]:
        if any(name in ALWAYS_PRESENT for name in self.fields):
            return set(ctx.all_docs())
        result: set[int] = set()
        for name in self.fields:
            result |= ctx.postings(HAS_FIELD, name.encode("utf-8"))
        return result


@dataclass(frozen=True)
class BooleanNode(Node):
    clauses: tuple[tuple[Occur, Node], ...]

    def docs(self, ctx: SegmentContext) -> set[int]:
        required = [node for occur, node in self.clauses if occur is Occur.MUST]
        optional = [node for occur, node in self.clauses if occur is Occur.SHOULD]
        prohibited = [node for occur, node in self.clauses if occur is Occur.MUST_NOT]
        if required:
            result = required[0].docs(ctx)
            for node in required[1:]:
                if not result:
                    break
                result &= node.docs(ctx)
        elif optional:
            result = set()
            for node in optional:
                result |= node.docs(ctx)
        else:
            result = set(ctx.all_docs())
        for node in prohibited:
            if not result:
                break
            result -= node.docs(ctx)
        return result


@dataclass(frozen=True)
class TermNode(Node):
    field: str
    text: str

    def docs(self, ctx: SegmentContext) -> set[int]:
        return ctx.postings(self.field, self.text.encode("utf-8"))


@dataclass(frozen=True)
class PhraseNode(Node):
    """Terms at consecutive positions, or within `slop` moves of it (Lucene's sloppy phrase)."""

    field: str
    terms: tuple[str, ...]
    slop: int

    def docs(self, ctx: SegmentContext) -> set[int]:
        encoded = [term.encode("utf-8") for term in self.terms]
        candidates: set[int] | None = None
        for btext in sorted(set(encoded), key=lambda b: ctx.reader.doc_frequency(self.field, b)):
            found = ctx.postings(self.field, btext)
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return set()
        positions = {btext: ctx.positions(self.field, btext, candidates) for btext in set(encoded)}
        return {
            docnum for docnum in candidates
            if phrase_matches([positions[b][docnum] for b in encoded], self.slop)
        }


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

    def docs(self, ctx: SegmentContext) -> set[int]:
        return ctx.union_of_terms(self.field, ctx.prefixed(self.field, self.prefix),
                                  f"{self.prefix}*")


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

    def docs(self, ctx: SegmentContext) -> set[int]:
        literal_start = self.search_pieces[0] if isinstance(self.search_pieces[0], str) else ""
        pattern = re.compile("".join(
            re.escape(piece) if isinstance(piece, str)
            else (".*" if piece is Wild.ANY else ".")
            for piece in self.search_pieces
        ), re.DOTALL)
        text = "".join(p if isinstance(p, str) else p.value for p in self.pieces)
        candidates = ctx.prefixed(self.search_field, literal_start)
        terms = ctx.filtered_terms(candidates, pattern.fullmatch, text)
        return ctx.union_of_terms(self.search_field, terms, text)


@dataclass(frozen=True)
class FuzzyNode(Node):
    """Terms within `edits` edits (insert, delete, substitute, swap two neighbours)."""

    field: str
    text: str
    edits: int

    def docs(self, ctx: SegmentContext) -> set[int]:
        if self.edits == 0 or not self.text:
            return ctx.postings(self.field, self.text.encode("utf-8"))
        found: set[bytes] = set()
        # Every term within the distance is some swaps of neighbouring characters of the query
        # term followed by plain Levenshtein edits, so candidates come from Whoosh's Levenshtein
        # automaton run on each swapped variant with the remaining edit budget.
        for swaps, variant in _swapped_variants(self.text, self.edits):
            remaining = self.edits - swaps
            if remaining == 0:
                if ctx.has_term(self.field, variant.encode("utf-8")):
                    found.add(variant.encode("utf-8"))
                continue
            for term in ctx.reader.terms_within(self.field, variant, remaining):
                found.add(term.encode("utf-8") if isinstance(term, str) else term)
                ctx.visited_terms += 1
            ctx.check_budget(f"{self.text}~{self.edits}")
        docs: set[int] = set()
        for btext in found:
            docs |= ctx.postings(self.field, btext)
        return docs


def _swapped_variants(text: str, max_swaps: int) -> list[tuple[int, str]]:
    """`text` with up to `max_swaps` non-overlapping swaps of neighbouring characters."""
    variants = {text: 0}
    frontier = [(text, -2)]
    for swaps in range(1, max_swaps + 1):
        next_frontier = []
        for variant, last in frontier:
            for index in range(last + 2, len(variant) - 1):
                if variant[index] == variant[index + 1]:
                    continue
                swapped = variant[:index] + variant[index + 1] + variant[index] + variant[index + 2:]
                if swapped not in variants:
                    variants[swapped] = swaps
                    next_frontier.append((swapped, index))
        frontier = next_frontier
    return [(swaps, variant) for variant, swaps in variants.items()]


@dataclass(frozen=True)
class RegexNode(Node):
    """A Lucene regular expression matched against whole terms (see `translate_regex`)."""

    field: str
    source: str
    pattern: re.Pattern[str]
    literal_prefix: str

    @classmethod
    def create(cls, field: str, source: str, position: int) -> RegexNode:
        translated, prefix = translate_regex(source, position)
        try:
            compiled = re.compile(translated, re.DOTALL)
        except re.error as error:
            raise SearchQueryError(f"Invalid regular expression /{source}/: {error.msg}",
                                   position, "Check the brackets and repetitions of the regular "
                                   "expression, or escape special characters with \\.") from None
        return cls(field, source, compiled, prefix)

    def docs(self, ctx: SegmentContext) -> set[int]:
        candidates = ctx.prefixed(self.field, self.literal_prefix)
        terms = ctx.filtered_terms(candidates, self.pattern.fullmatch, f"/{self.source}/")
        return ctx.union_of_terms(self.field, terms, f"/{self.source}/")


@dataclass(frozen=True)
class RangeNode(Node):
    """Terms between two bounds in term (code point) order; None is an open end."""

    field: str
    low: str | None
    high: str | None
    include_low: bool
    include_high: bool

    def docs(self, ctx: SegmentContext) -> set[int]:
        low = (self.low or "").encode("utf-8")
        high = self.high.encode("utf-8") if self.high is not None else None
        text = f"[{self.low or '*'} TO {self.high or '*'}]"

        def in_range():
            for btext, terminfo in ctx.term_infos(self.field, low):
                if btext == low and self.low is not None and not self.include_low:
                    continue
                if high is not None and (btext > high or (btext == high and not self.include_high)):
                    return
                yield btext, terminfo

        return ctx.union_of_terms(self.field, in_range(), text)


def boosted(node: Node | None, boost: float) -> Node | None:
    """`node` with a boost: accepted for Lucene compatibility; results are not ranked."""
    return node

