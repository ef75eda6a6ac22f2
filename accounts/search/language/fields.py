"""The searchable fields of an account: their names, how their values become terms.

Shared by the parser (which analyzes query words per field) and the index (which analyzes
account values the same way), so that a query word and a stored value always meet.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from accounts.search.language.analyzer import analyze, fold


class FieldKind(enum.Enum):
    TEXT = "text"  # split into words by the analyzer, positions kept for phrases
    KEYWORD = "keyword"  # the whole value is one term (status, type, enabled)
    DATE = "date"  # one term "YYYY-MM-DD", so ranges compare as dates


@dataclass(frozen=True)
class SearchField:
    name: str
    kind: FieldKind
    reversed_terms: bool = False  # leading wildcards match its terms spelled backwards (`<name>_rev`)
    word_pairs: bool = False  # keeps a `<name>_pairs` field that answers exact phrases (not of numbers)

    @property
    def reversed_name(self) -> str:
        return f"{self.name}_rev"

    @property
    def pairs_name(self) -> str:
        return f"{self.name}_pairs"


FIELDS: dict[str, SearchField] = {
    field.name: field
    for field in (
        SearchField("owner", FieldKind.TEXT, reversed_terms=True, word_pairs=True),
        SearchField("username", FieldKind.TEXT, reversed_terms=True),
        SearchField("callerid", FieldKind.TEXT, reversed_terms=True, word_pairs=True),
        SearchField("email", FieldKind.TEXT, reversed_terms=True, word_pairs=True),
        SearchField("description", FieldKind.TEXT, reversed_terms=True, word_pairs=True),
        SearchField("number", FieldKind.TEXT, reversed_terms=True),
        SearchField("group", FieldKind.TEXT),
        SearchField("status", FieldKind.KEYWORD),
        SearchField("enabled", FieldKind.KEYWORD),
        SearchField("type", FieldKind.KEYWORD),
        SearchField("created", FieldKind.DATE),
    )
}

DEFAULT_FIELDS: tuple[str, ...] = ("owner", "username", "callerid", "email", "description")

# Fields every account has a value in: `field:*` on them matches every account, so the index
# records presence only for the others.
ALWAYS_PRESENT: frozenset[str] = frozenset(
    {"username", "number", "group", "status", "enabled", "type", "created"}
)

_ENABLED_SYNONYMS = {"true": "true", "yes": "true", "1": "true", "on": "true",
                     "false": "false", "no": "false", "0": "false", "off": "false"}


def field_terms(field: SearchField, text: str) -> list[str]:
    """The terms `text` stands for in `field` (empty when it holds nothing searchable)."""
    if field.kind is FieldKind.TEXT:
        return analyze(text)
    term = normalize_term(field, text)
    return [term] if term else []


def normalize_term(field: SearchField, text: str) -> str:
    """`text` as one term of `field` without splitting it into words.

    Used for the multi-term queries (prefix, wildcard, fuzzy, regex, range), which Lucene
    normalizes (lower-cases) but does not tokenize, and for the keyword fields.
    """
    term = fold(text.strip())
    if field.name == "status":
        return term.replace(" ", "_").replace("-", "_")
    if field.name == "enabled":
        return _ENABLED_SYNONYMS.get(term, term)
    return term


def keyword_value(field: SearchField, value: str) -> str:
    """The indexed term of a keyword or date field for a stored account value."""
    return normalize_term(field, value)
