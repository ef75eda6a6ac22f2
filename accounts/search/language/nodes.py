"""The query tree: what a query asks for, as plain data (the engine decides how to find it).

Lucene semantics the engine keeps: a boolean group with required clauses matches their
intersection (optional clauses beside them change nothing); without required clauses at least
one optional clause must match. Product choice: a group of only prohibited clauses matches
everything else. Results are unranked (the console lists them newest first), so boosts are
parsed and accepted but change nothing.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass

from accounts.search.language.errors import SearchQueryError
from accounts.search.language.fields import FIELDS
from accounts.search.language.lucene_regex import translate_regex
from accounts.search.language.texts import gettext


class Occur(enum.Enum):
    MUST = "+"
    SHOULD = ""
    MUST_NOT = "-"


class Wild(enum.Enum):
    ANY = "*"
    ONE = "?"


class Node:
    """A query tree node."""


@dataclass(frozen=True)
class MatchNone(Node):
    """Matches no account (the tree of an empty query)."""


@dataclass(frozen=True)
class MatchAll(Node):
    """Matches every account."""


@dataclass(frozen=True)
class HasAnyField(Node):
    """`field:*`: the documents with any value in one of the fields."""

    fields: tuple[str, ...]


@dataclass(frozen=True)
class BooleanNode(Node):
    clauses: tuple[tuple[Occur, Node], ...]


@dataclass(frozen=True)
class TermNode(Node):
    field: str
    text: str


@dataclass(frozen=True)
class PhraseNode(Node):
    """Terms at consecutive positions, or within `slop` moves of it (Lucene's sloppy phrase)."""

    field: str
    terms: tuple[str, ...]
    slop: int


@dataclass(frozen=True)
class PrefixNode(Node):
    field: str
    prefix: str


@dataclass(frozen=True)
class WildcardNode(Node):
    """A pattern of literal pieces, `*` and `?`, matched against whole terms.

    A pattern whose literal end is longer than its literal start is matched reversed against
    the field's reversed terms (`search_field`, `search_pieces`), so `*ssi` enumerates the terms
    starting with `iss` instead of every term of the field.
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
        if len(pieces) == 2 and isinstance(pieces[0], str) and pieces[1] is Wild.ANY:
            return PrefixNode(field, pieces[0])
        leading = pieces[0] if isinstance(pieces[0], str) else ""
        trailing = pieces[-1] if isinstance(pieces[-1], str) else ""
        if FIELDS[field].reversed_terms and len(trailing) > len(leading):
            reversed_pieces = tuple(
                piece[::-1] if isinstance(piece, str) else piece for piece in reversed(pieces)
            )
            return cls(field, pieces, FIELDS[field].reversed_name, reversed_pieces)
        return cls(field, pieces, field, pieces)


@dataclass(frozen=True)
class FuzzyNode(Node):
    """Terms within `edits` edits (insert, delete, substitute, swap two neighbours)."""

    field: str
    text: str
    edits: int


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
            raise SearchQueryError(gettext("Invalid regular expression /%(source)s/: %(error)s")
                                   % {"source": source, "error": error.msg},
                                   position, gettext("Check the brackets and repetitions of the regular "
                                                     "expression, or escape special characters with \\.")) from None

        return cls(field, source, compiled, prefix, position)


@dataclass(frozen=True)
class RangeNode(Node):
    """Terms between two bounds in term (code point) order; None is an open end."""

    field: str
    low: str | None
    high: str | None
    include_low: bool
    include_high: bool


# A Lucene regular expression made only of "any string" pieces (`.*`, `@`): every term matches.
_ANY_STRING = re.compile(r"(?:\.\*|@)+")


def boosted(node: Node | None, boost: float) -> Node | None:
    """`node` with a boost: accepted for Lucene compatibility; results are not ranked."""
    return node
