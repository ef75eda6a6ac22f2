"""Parser for Lucene's classic Query Parser Syntax, producing the query tree of `nodes.py`.

It follows the grammar and the token rules of Lucene 8's classic QueryParser (QueryParser.jj)
as configured for this product (SPEC S2): default operator AND, splitOnWhitespace with
autoGeneratePhraseQueries (a word the analyzer splits becomes a phrase), leading wildcards
allowed, unqualified words searched in the default fields, field names case-insensitive.

Lucene behaviour kept on purpose, because operators may rely on it:
- `a AND b OR c` requires only `a` (OR makes its left neighbour optional; optional clauses beside
  a required one only matter for ranking);
- a word the analyzer drops entirely (`+`, `@@`) is left out of the query; a query left with
  nothing matches nothing;
- prefix, wildcard, fuzzy, regex and range terms are lower-cased and accent-folded, not split;
- `term~` allows 2 edits, `term~1` one, `term~0.5` is the old similarity form (edits derived
  from the term length), at most 2 edits, transpositions count as one edit.

Product choices where Lucene differs: a group made only of prohibited clauses (`-vip`,
`NOT vip`, `a AND (NOT b)`) matches every account except those, at any nesting level, as Solr
does; `*:word` searches the default fields; an unknown field is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from accounts.search.language import nodes as q
from accounts.search.language.errors import ESCAPE_HINT, QuerySyntaxError
from accounts.search.language.fields import (
    DEFAULT_FIELDS,
    FIELDS,
    FieldKind,
    SearchField,
    field_terms,
    normalize_term,
)
from accounts.search.language.lexer import Token, discard_escapes, tokenize
from accounts.search.language.texts import gettext

MAX_FUZZY_EDITS = 2
DEFAULT_FUZZY_SIMILARITY = 2.0
MAX_QUERY_LENGTH = 2000
# Deeper groups would exhaust Python's stack in this recursive parser and in the walks over the
# tree; no query an operator writes comes near it.
MAX_GROUP_DEPTH = 50


MUST, SHOULD, MUST_NOT = q.Occur.MUST, q.Occur.SHOULD, q.Occur.MUST_NOT

_CLAUSE_START = {"NOT", "PLUS", "MINUS", "BAREOPER", "LPAREN", "STAR", "QUOTED", "TERM",
                 "PREFIXTERM", "WILDTERM", "REGEXPTERM", "RANGEIN_START", "RANGEEX_START", "NUMBER"}
_CONTINUES_QUERY = _CLAUSE_START | {"AND", "OR"}


@dataclass
class _Clauses:
    items: list[tuple[q.Occur, q.Node]] = dataclass_field(default_factory=list)


def parse(text: str) -> q.Node:
    """The query tree of `text`, or QuerySyntaxError describing the first problem."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(gettext("The query is longer than %(limit)d characters") % {"limit": MAX_QUERY_LENGTH},
                               MAX_QUERY_LENGTH, gettext("Shorten the query."))
    parser = _Parser(tokenize(text))
    node = parser.query(None)
    parser.expect("EOF")
    return node if node is not None else q.MatchNone()


class _Parser:
    """Recursive descent over the token list, one method per rule of QueryParser.jj."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.index = 0
        self.group_depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "EOF":
            self.index += 1
        return token

    def expect(self, kind: str) -> Token:
        token = self.current
        if token.kind != kind:
            raise self.unexpected(token, expected=kind)
        return self.advance()

    def unexpected(self, token: Token, expected: str | None = None) -> QuerySyntaxError:
        if token.kind == "EOF":
            previous = self.tokens[self.index - 1].image if self.index else ""
            if previous:
                what = gettext("Unexpected end of query after '%(previous)s'") % {"previous": previous}
            else:
                what = gettext("Unexpected end of query")
            if expected == "RPAREN":
                return QuerySyntaxError(gettext("Missing closing parenthesis ')'"), token.start,
                                        gettext("Close every '(' with ')', or escape it as \\(."))
            return QuerySyntaxError(what, token.start,
                                    gettext("Complete the query, or escape the operator with a backslash "
                                            "(or quote it) to search for it as a word."))
        if token.kind == "RPAREN":
            return QuerySyntaxError(gettext("Unbalanced closing parenthesis ')'"), token.start,
                                    gettext("Remove it, or escape it as \\) to search for it."))
        if token.kind in ("AND", "OR", "NOT"):
            return QuerySyntaxError(gettext("Operator '%(operator)s' is missing a term") % {"operator": token.image},
                                    token.start,
                                    gettext('Put a term on both sides of %(operator)s, or write it in '
                                            'lower case or in quotes ("%(operator)s") to search for it.')
                                    % {"operator": token.image})
        if token.kind == "COLON":
            return QuerySyntaxError(gettext("Unexpected ':'"), token.start,
                                    gettext("Write field:value with a field name before ':', or escape "
                                            "the colon as \\: (or quote the text) to search for it."))
        if token.kind == "FUZZY_SLOP":
            return QuerySyntaxError(gettext("'~' must follow a term or a phrase"), token.start,
                                    gettext("Write term~ or \"a phrase\"~2, or escape it as \\~."))
        if token.kind == "CARAT":
            return QuerySyntaxError(gettext("'^' must follow a term, a phrase or a group"), token.start,
                                    gettext("Write term^2, or escape it as \\^."))
        if token.kind.startswith("RANGE"):
            return QuerySyntaxError(gettext("Unexpected '%(token)s' in a range") % {"token": token.image},
                                    token.start,
                                    gettext("Write a range as [from TO to] or {from TO to}; use * for an "
                                            "open end."))
        return QuerySyntaxError(gettext("Unexpected '%(token)s'") % {"token": token.image}, token.start, ESCAPE_HINT)

    def query(self, field: SearchField | None) -> q.Node | None:
        """Query := Modifiers Clause (Conjunction Modifiers Clause)*"""
        clauses = _Clauses()
        modifier = self.modifiers()
        first = self.clause(field)
        _add_clause(clauses, None, modifier, first)
        first_query = first if modifier is None else None
        while self.current.kind in _CONTINUES_QUERY:
            conjunction = self.conjunction()
            modifier = self.modifiers()
            _add_clause(clauses, conjunction, modifier, self.clause(field))
        if len(clauses.items) == 1 and first_query is not None:
            return first_query
        if not clauses.items:
            return None
        return q.BooleanNode(tuple(clauses.items))

    def conjunction(self) -> str | None:
        if self.current.kind in ("AND", "OR"):
            return self.advance().kind
        return None

    def modifiers(self) -> str | None:
        if self.current.kind in ("PLUS", "MINUS", "NOT"):
            return self.advance().kind
        return None

    def clause(self, field: SearchField | None) -> q.Node | None:
        """Clause := [ (TERM | STAR) COLON ] ( Term | '(' Query ')' ['^' NUMBER] )"""
        following = self.tokens[self.index + 1] if self.current.kind != "EOF" else self.current
        if self.current.kind in ("TERM", "STAR") and following.kind == "COLON":
            name_token = self.advance()
            self.advance()
            field = self.resolve_field(name_token)
        if self.current.kind == "LPAREN":
            self.enter_group(self.advance())
            inner = self.query(field)
            self.expect("RPAREN")
            self.group_depth -= 1
            if self.current.kind == "CARAT":
                self.advance()
                boost = float(self.expect("NUMBER").image)
                return q.boosted(inner, boost)
            return inner
        return self.term(field)

    def enter_group(self, lparen: Token) -> None:
        self.group_depth += 1
        if self.group_depth > MAX_GROUP_DEPTH:
            raise QuerySyntaxError(gettext("Groups nested more than %(limit)d deep") % {"limit": MAX_GROUP_DEPTH},
                                   lparen.start,
                                   gettext("Use fewer levels of parentheses, or escape a "
                                           "parenthesis as \\( to search for it."))

    def resolve_field(self, token: Token) -> SearchField | None:
        if token.kind == "STAR":
            return None
        name = discard_escapes(token.image, token.start).lower()
        found = FIELDS.get(name) or FIELDS.get(name.replace("_", ""))
        if found is None:
            valid = ", ".join(FIELDS)
            raise QuerySyntaxError(gettext("Unknown field '%(name)s'. Valid fields: %(valid)s")
                                   % {"name": name, "valid": valid}, token.start,
                                   gettext("Use one of the valid fields, or escape the colon as \\: "
                                           "(or quote the text) to search for text containing ':'."))
        return found

    def term(self, field: SearchField | None) -> q.Node | None:
        token = self.current
        if token.kind in ("RANGEIN_START", "RANGEEX_START"):
            return self.range(field)
        if token.kind == "QUOTED":
            return self.quoted(field)
        if token.kind not in ("TERM", "STAR", "PREFIXTERM", "WILDTERM", "REGEXPTERM", "NUMBER",
                              "BAREOPER"):
            raise self.unexpected(token)
        self.advance()
        fuzzy_slop = None
        boost = None
        if self.current.kind == "FUZZY_SLOP":
            fuzzy_slop = self.advance()
        if self.current.kind == "CARAT":
            self.advance()
            boost = float(self.expect("NUMBER").image)
            if self.current.kind == "FUZZY_SLOP":
                fuzzy_slop = self.advance()
        node = _bare_token_query(field, token, fuzzy_slop)
        return q.boosted(node, boost) if boost is not None else node

    def quoted(self, field: SearchField | None) -> q.Node | None:
        token = self.advance()
        slop = 0
        boost = None
        if self.current.kind == "FUZZY_SLOP":
            slop_token = self.advance()
            try:
                slop = int(float(slop_token.image[1:]))
            except ValueError:
                slop = 0
        if self.current.kind == "CARAT":
            self.advance()
            boost = float(self.expect("NUMBER").image)
        text = discard_escapes(token.image[1:-1], token.start + 1)
        node = _for_fields(field, lambda f: _text_query(f, text, slop))
        return q.boosted(node, boost) if boost is not None else node

    def range(self, field: SearchField | None) -> q.Node | None:
        start_token = self.advance()
        include_low = start_token.kind == "RANGEIN_START"
        low = self.range_bound()
        self.expect("RANGE_TO")
        high = self.range_bound()
        end_token = self.current
        if end_token.kind not in ("RANGEIN_END", "RANGEEX_END"):
            raise self.unexpected(end_token, expected="RANGEIN_END")
        self.advance()
        include_high = end_token.kind == "RANGEIN_END"
        boost = None
        if self.current.kind == "CARAT":
            self.advance()
            boost = float(self.expect("NUMBER").image)
        node = _for_fields(
            field, lambda f: _range_query(f, low, high, include_low, include_high, start_token)
        )
        return q.boosted(node, boost) if boost is not None else node

    def range_bound(self) -> str | None:
        """A range end point; None for an open end ('*')."""
        token = self.current
        if token.kind not in ("RANGE_GOOP", "RANGE_QUOTED", "RANGE_TO"):
            raise self.unexpected(token)
        self.advance()
        if token.kind == "RANGE_QUOTED":
            return discard_escapes(token.image[1:-1], token.start + 1)
        if token.image == "*":
            return None
        return discard_escapes(token.image, token.start)


def _add_clause(clauses: _Clauses, conjunction: str | None, modifier: str | None,
                node: q.Node | None) -> None:
    """Lucene's QueryParserBase.addClause with the default operator AND."""
    items = clauses.items
    if items and conjunction == "AND":
        occur, previous = items[-1]
        if occur is not MUST_NOT:
            items[-1] = (MUST, previous)
    if items and conjunction == "OR":
        occur, previous = items[-1]
        if occur is not MUST_NOT:
            items[-1] = (SHOULD, previous)
    if node is None:
        return
    if modifier in ("MINUS", "NOT"):
        items.append((MUST_NOT, node))
    elif conjunction != "OR":
        items.append((MUST, node))
    else:
        items.append((SHOULD, node))


def _for_fields(field: SearchField | None, build) -> q.Node | None:
    """`build(field)` for a named field, or a disjunction over the default fields."""
    if field is not None:
        return build(field)
    alternatives = [node for name in DEFAULT_FIELDS if (node := build(FIELDS[name])) is not None]
    if not alternatives:
        return None
    if len(alternatives) == 1:
        return alternatives[0]
    if all(isinstance(node, q.HasAnyField) for node in alternatives):
        # One node, which sees at once that a field every account has makes it match all.
        return q.HasAnyField(tuple(name for node in alternatives for name in node.fields))
    return q.BooleanNode(tuple((SHOULD, node) for node in alternatives))


def _text_query(field: SearchField, text: str, slop: int) -> q.Node | None:
    terms = field_terms(field, text)
    if not terms:
        return None
    if len(terms) == 1:
        return q.TermNode(field.name, terms[0])
    return q.PhraseNode(field.name, tuple(terms), slop)


def _bare_token_query(field: SearchField | None, token: Token,
                      fuzzy_slop: Token | None) -> q.Node | None:
    """Lucene's handleBareTokenQuery: what one bare word means."""
    image = token.image
    if token.kind == "BAREOPER":
        image = image[0]
    if token.kind == "STAR" or (token.kind == "PREFIXTERM" and image == "*"):
        if field is None:
            return q.HasAnyField(DEFAULT_FIELDS)
        return q.HasAnyField((field.name,))
    if token.kind == "WILDTERM":
        return _for_fields(field, lambda f: _wildcard_query(f, image, token.start))
    if token.kind == "PREFIXTERM":
        prefix = discard_escapes(image[:-1], token.start)
        return _for_fields(field, lambda f: q.PrefixNode(f.name, normalize_term(f, prefix)))
    if token.kind == "REGEXPTERM":
        pattern = image[1:-1]
        return _for_fields(field, lambda f: q.RegexNode.create(f.name, pattern, token.start))
    text = discard_escapes(image, token.start)
    if fuzzy_slop is not None:
        edits = _fuzzy_edits(fuzzy_slop, text)
        return _for_fields(field, lambda f: q.FuzzyNode(f.name, normalize_term(f, text), edits))
    return _for_fields(field, lambda f: _text_query(f, text, 0))


def _fuzzy_edits(slop: Token, text: str) -> int:
    """Lucene's edit distance for `term~N` (FuzzyQuery.floatToEdits), at most 2."""
    similarity = DEFAULT_FUZZY_SIMILARITY
    try:
        similarity = float(slop.image[1:])
    except ValueError:
        pass
    if similarity < 0:
        raise QuerySyntaxError(gettext("A fuzzy edit distance cannot be negative"), slop.start,
                               gettext("Write term~, term~1 or term~2."))
    if similarity >= 1 and similarity != int(similarity):
        raise QuerySyntaxError(gettext("Fractional edit distances are not allowed"), slop.start,
                               gettext("Write term~, term~1 or term~2."))
    if similarity >= 1:
        return min(int(similarity), MAX_FUZZY_EDITS)
    if similarity == 0:
        return 0
    return min(int((1 - similarity) * len(text)), MAX_FUZZY_EDITS)


def _wildcard_query(field: SearchField, image: str, start: int) -> q.Node:
    """A wildcard term: its literal pieces normalized, escaped `*`/`?` kept literal."""
    pieces: list[str | q.Wild] = []
    literal: list[str] = []
    index = 0
    while index < len(image):
        char = image[index]
        if char == "\\":
            if index + 1 >= len(image):
                raise QuerySyntaxError(gettext("A term cannot end with an escape character"), start + index,
                                       gettext("Escape a backslash itself as \\\\."))
            literal.append(discard_escapes(image[index:index + 6] if image[index + 1] == "u"
                                           else image[index:index + 2], start + index))
            index += 6 if image[index + 1] == "u" else 2
            continue
        if char in "*?":
            if literal:
                pieces.append(normalize_term(field, "".join(literal)))
                literal = []
            pieces.append(q.Wild.ANY if char == "*" else q.Wild.ONE)
        else:
            literal.append(char)
        index += 1
    if literal:
        pieces.append(normalize_term(field, "".join(literal)))
    return q.WildcardNode.create(field.name, tuple(pieces))


def _range_query(field: SearchField, low: str | None, high: str | None, include_low: bool,
                 include_high: bool, token: Token) -> q.Node:
    if field.kind is FieldKind.DATE:
        low, include_low = _date_bound(low, include_low, upper=False, token=token)
        high, include_high = _date_bound(high, include_high, upper=True, token=token)
    else:
        low = normalize_term(field, low) if low is not None else None
        high = normalize_term(field, high) if high is not None else None
    if low is None and high is None:
        return q.HasAnyField((field.name,))  # every term of the field, like `field:*`
    return q.RangeNode(field.name, low, high, include_low, include_high)


_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _date_bound(value: str | None, inclusive: bool, *, upper: bool,
                token: Token) -> tuple[str | None, bool]:
    """A `created` range end as a day-string bound; YYYY and YYYY-MM cover the whole period."""
    if value is None:
        return None, inclusive
    value = value.strip()
    if not _DATE.fullmatch(value):
        raise QuerySyntaxError(gettext("'%(value)s' is not a date") % {"value": value}, token.start,
                               gettext("Write dates as YYYY-MM-DD (or YYYY-MM, YYYY), for example "
                                       "created:[2024-01-01 TO 2024-06-30]."))

    whole_day = len(value) == 10
    if whole_day:
        return value, inclusive
    # "2024-02" as an upper inclusive bound means the end of February: "~" sorts after digits.
    if upper == inclusive:
        return value + "~", inclusive
    return value, inclusive
