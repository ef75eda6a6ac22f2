"""The lexer of Lucene's classic query syntax: the token rules of QueryParser.jj, applied as JavaCC
does (longest match, ties to the earlier rule; DEFAULT, Range and Boost lexical states)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from accounts.search.language.errors import ESCAPE_HINT, QuerySyntaxError
from accounts.search.language.texts import gettext


@dataclass(frozen=True)
class Token:
    kind: str
    image: str
    start: int


_WS = " \t\n\r\u3000"
_TERM_START = r"(?:[^ \t\n\r\u3000+\-!():^\[\]\"{}~*?\\/]|\\[\s\S])"
_TERM_CHAR = r"(?:[^ \t\n\r\u3000!():^\[\]\"{}~*?\\/]|\\[\s\S])"

# Token rules of the DEFAULT lexical state, in declaration order: the longest match wins and
# a tie goes to the earlier rule, exactly as JavaCC decides.
_DEFAULT_RULES: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("AND", r"AND|&&"),
        ("OR", r"OR|\|\|"),
        ("NOT", r"NOT|!"),
        ("PLUS", r"\+"),
        ("MINUS", r"-"),
        ("BAREOPER", r"[+\-!][ \t\n\r\u3000]"),
        ("LPAREN", r"\("),
        ("RPAREN", r"\)"),
        ("COLON", r":"),
        ("STAR", r"\*"),
        ("CARAT", r"\^"),
        ("QUOTED", r'"(?:[^"\\]|\\[\s\S])*"'),
        ("TERM", f"{_TERM_START}{_TERM_CHAR}*"),
        ("FUZZY_SLOP", f"~{_TERM_CHAR}*"),
        ("PREFIXTERM", rf"\*|{_TERM_START}{_TERM_CHAR}*\*"),
        ("WILDTERM", rf"(?:{_TERM_START}|[*?])(?:{_TERM_CHAR}|[*?])*"),
        ("REGEXPTERM", r"/(?:\\/|[^/])*/"),
        ("RANGEIN_START", r"\["),
        ("RANGEEX_START", r"\{"),
    )
]
_RANGE_RULES: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("RANGE_TO", r"TO"),
        ("RANGEIN_END", r"\]"),
        ("RANGEEX_END", r"\}"),
        ("RANGE_QUOTED", r'"(?:\\"|[^"])+"'),
        ("RANGE_GOOP", r"[^ \]}]+"),
    )
]
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def tokenize(text: str) -> list[Token]:
    """The tokens of `text` (ending with an EOF token), or QuerySyntaxError on a lexical error."""
    tokens: list[Token] = []
    position = 0
    state = "DEFAULT"
    while True:
        if state != "BOOST":
            while position < len(text) and text[position] in _WS:
                position += 1
        if position >= len(text):
            if state == "BOOST":
                raise QuerySyntaxError(gettext("A boost '^' must be followed by a number"), position,
                                       gettext("Write the boost right after '^', for example owner:rossi^2."))
            tokens.append(Token("EOF", "", position))
            return tokens
        if state == "BOOST":
            match = _NUMBER.match(text, position)
            if not match:
                raise QuerySyntaxError(gettext("A boost '^' must be followed by a number"), position,
                                       gettext("Write the boost right after '^', for example owner:rossi^2."))
            tokens.append(Token("NUMBER", match.group(), position))
            position = match.end()
            state = "DEFAULT"
            continue
        rules = _RANGE_RULES if state == "RANGE" else _DEFAULT_RULES
        best: Token | None = None
        for kind, pattern in rules:
            match = pattern.match(text, position)
            if match and (best is None or len(match.group()) > len(best.image)):
                best = Token(kind, match.group(), position)
        if best is None:
            raise _lexical_error(text, position, state)
        tokens.append(best)
        position += len(best.image)
        if best.kind == "CARAT":
            state = "BOOST"
        elif best.kind in ("RANGEIN_START", "RANGEEX_START"):
            state = "RANGE"
        elif best.kind in ("RANGEIN_END", "RANGEEX_END"):
            state = "DEFAULT"


def _lexical_error(text: str, position: int, state: str) -> QuerySyntaxError:
    char = text[position]
    if state == "RANGE":
        return QuerySyntaxError(gettext("Unfinished range"), position,
                                gettext("Write a range as [from TO to] or {from TO to}."))
    if char == '"':
        return QuerySyntaxError(gettext("Unterminated quoted phrase"), position,
                                gettext('Close the phrase with a double quote, or escape it as \\".'))
    if char == "\\":
        return QuerySyntaxError(gettext("The query ends with an escape character"), position,
                                gettext("Escape a backslash itself as \\\\."))
    if char == "/":
        return QuerySyntaxError(gettext("Unterminated regular expression"), position,
                                gettext("Close the regular expression with '/', or escape the slash as \\/."))
    return QuerySyntaxError(gettext("Unexpected character '%(char)s'") % {"char": char}, position, ESCAPE_HINT)


def discard_escapes(text: str, position: int = 0) -> str:
    """`text` with Lucene's backslash escapes (`\\x` and `\\uXXXX`) resolved."""
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        if index + 1 >= len(text):
            raise QuerySyntaxError(gettext("A term cannot end with an escape character"), position + index,
                                   gettext("Escape a backslash itself as \\\\."))
        following = text[index + 1]
        if following == "u":
            digits = text[index + 2:index + 6]
            if len(digits) < 4 or not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                raise QuerySyntaxError(gettext("Truncated or invalid unicode escape sequence"),
                                       position + index, gettext("Write \\u followed by 4 hexadecimal digits."))
            out.append(chr(int(digits, 16)))
            index += 6
            continue
        out.append(following)
        index += 2
    return "".join(out)
