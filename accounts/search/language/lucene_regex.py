"""Lucene regular expressions (the `/.../` terms of the query syntax) as Python expressions."""

from __future__ import annotations

import re

from accounts.search.language.errors import SearchQueryError
from accounts.search.language.texts import gettext, gettext_noop

_REGEX_UNSUPPORTED = {
    "&": gettext_noop("intersection '&'"), "~": gettext_noop("complement '~'"),
    "<": gettext_noop("numeric interval <n-m>"),
}


def translate_regex(source: str, position: int) -> tuple[str, str]:
    """A Lucene RegExp as a Python expression, and the literal text every match starts with.

    Supported: literals, `\\` escapes, `.`, `[...]`/`[^...]`, `( )`, `|`, `* + ? {n} {n,} {n,m}`,
    `"..."` (literal string), `@` (any string) and `#` (the empty language). Lucene's optional
    operators `&`, `~` and `<n-m>` are refused with an error instead of silently misread, and so is
    a repeated group holding a repetition (`(a*)*`): Lucene's automaton takes it in its stride, but
    Python's backtracking engine can spend minutes on one term with it.
    Characters that are special in Python but not in Lucene (`^ $`) are matched literally.
    """
    out: list[str] = []
    index = 0
    in_class = False
    repeats_inside: list[bool] = []  # per open group: whether it holds an unbounded repeat
    while index < len(source):
        char = source[index]
        unbounded = not in_class and char in "*+@" or source.startswith("{", index) and _is_unbounded(source, index)
        if unbounded and repeats_inside:
            repeats_inside[-1] = True
        if char == "(" and not in_class:
            repeats_inside.append(False)
        elif char == ")" and not in_class and repeats_inside:
            held = repeats_inside.pop()
            if held and source[index + 1:index + 2] in ("*", "+", "{"):
                raise SearchQueryError(
                    gettext("A repeated group that itself holds a repetition, like (a*)*, is not supported"),
                    position, gettext("Write the repetition once, for example (ab)* or a*b*."))
            if repeats_inside:
                repeats_inside[-1] = repeats_inside[-1] or held
        if char == "\\":
            if index + 1 >= len(source):
                raise SearchQueryError(gettext("The regular expression ends with an escape character"),
                                       position, gettext("Escape a backslash itself as \\\\."))
            out.append(re.escape(source[index + 1]))
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
                out.append("]")
            elif char in "[&~|\\":
                out.append(re.escape(char))
            else:
                out.append(char)
            index += 1
            continue
        if char == "[":
            in_class = True
            out.append("[")
            if source[index + 1:index + 2] == "^":
                out.append("^")
                index += 1
        elif char == '"':
            end = source.find('"', index + 1)
            if end < 0:
                raise SearchQueryError(gettext("Unterminated string in the regular expression"), position,
                                       gettext('Close the string with ", or escape the quote as \\".'))
            out.append(re.escape(source[index + 1:end]))
            index = end + 1
            continue
        elif char == "@":
            out.append(".*")
        elif char == "#":
            out.append("(?!)")
        elif char in _REGEX_UNSUPPORTED:
            raise SearchQueryError(
                gettext("The regular expression operator %(operator)s is not supported")
                % {"operator": gettext(_REGEX_UNSUPPORTED[char])},
                position, gettext("Escape it as \\%(char)s to match the character itself.") % {"char": char})
        elif char in "^$":
            out.append(re.escape(char))
        else:
            out.append(char)
        index += 1
    if in_class:
        raise SearchQueryError(gettext("Unterminated character class '[' in the regular expression"),
                               position, gettext("Close it with ], or escape the bracket as \\[."))

    translated = "".join(out)
    return translated, _regex_literal_prefix(source)


def _is_unbounded(source: str, index: int) -> bool:
    """Whether the `{` at `index` opens an open-ended repetition `{n,}`."""
    end = source.find("}", index)
    return end > 0 and source[index + 1:end].rstrip().endswith(",")


def _regex_literal_prefix(source: str) -> str:
    """Leading plain characters that every match must start with ('' when unsure)."""
    if "|" in source:
        return ""
    prefix = []
    for index, char in enumerate(source):
        following = source[index + 1:index + 2]
        if not (char.isalnum() and char.isascii()) or following in ("*", "?", "{", "+"):
            break
        prefix.append(char)
    return "".join(prefix)
