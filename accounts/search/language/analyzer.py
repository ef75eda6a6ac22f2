"""Text analysis for account search: how stored text and query words become index terms.

The tokenizer follows the word-break rules of Unicode Standard Annex #29 in the way Lucene's
StandardTokenizer applies them (so `marco.rossi@example.com` gives `marco.rossi` and
`example.com`, `rossi-bianchi` gives `rossi` and `bianchi`, `3.14` stays whole, and runs of Thai,
Lao, Khmer or Myanmar stay whole while each Han or Hiragana character is a token of its own).
Every token is then lower-cased and accent-folded (`José` -> `jose`); there are no stop words
and no stemming.

Known deviations from Lucene 8's StandardAnalyzer, all outside what account data holds:
- character properties come from Unicode 14 (Python's and Perl's data), not Lucene's Unicode 9;
- JFlex picks the longest of its rules while a regular expression tries alternatives in order;
  the rules only overlap for Hebrew letters followed by quote marks, where results may differ;
- accent folding (not part of StandardAnalyzer) is applied to Latin, Greek and Cyrillic letters,
  full-width forms and ligatures through Unicode compatibility decomposition plus a short table
  of letters that have none (`ß`, `æ`, `ø`, `ł`, ...), a subset of Lucene's ASCIIFoldingFilter.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

from accounts.search.language import unicode_classes as uc

MAX_TOKEN_LENGTH = 255

Ranges = list[tuple[int, int]]


def _parse_ranges(spec: str) -> Ranges:
    """Turn "41-5A 61-7A" into [(0x41, 0x5A), (0x61, 0x7A)]."""
    ranges = []
    for item in spec.split():
        start, end = item.split("-")
        ranges.append((int(start, 16), int(end, 16)))
    return ranges


def _subtract(ranges: Ranges, removed: Ranges) -> Ranges:
    """Code point ranges of `ranges` that are in none of `removed`."""
    result = []
    for start, end in ranges:
        pieces = [(start, end)]
        for r_start, r_end in removed:
            next_pieces = []
            for p_start, p_end in pieces:
                if r_end < p_start or r_start > p_end:
                    next_pieces.append((p_start, p_end))
                    continue
                if p_start < r_start:
                    next_pieces.append((p_start, r_start - 1))
                if r_end < p_end:
                    next_pieces.append((r_end + 1, p_end))
            pieces = next_pieces
        result.extend(pieces)
    return result


def _chars(ranges: Ranges) -> str:
    """The inside of a regular expression character class matching exactly `ranges`."""
    parts = []
    for start, end in ranges:
        if start == end:
            parts.append(re.escape(chr(start)))
        else:
            parts.append(f"{re.escape(chr(start))}-{re.escape(chr(end))}")
    return "".join(parts)


def _literal_ranges(text: str) -> Ranges:
    return [(ord(ch), ord(ch)) for ch in text]


def _token_pattern() -> re.Pattern[str]:
    """The regular expression whose matches are the tokens (see the module docstring)."""
    p = {name: _parse_ranges(getattr(uc, name)) for name in dir(uc) if name.isupper()}
    presentation_selectors = _literal_ranges("\ufe0e\ufe0f")
    ext = f"[{_chars(p['EXTEND_FORMAT_ZWJ'])}]*"
    # Inside emoji sequences the zero-width joiner is left to the joining rule below: a regular
    # expression does not backtrack into a character class the way JFlex's longest match does.
    ext_sans_selectors = (
        f"[{_chars(_subtract(p['EXTEND_FORMAT_ZWJ'], presentation_selectors + p['ZWJ']))}]*"
    )

    fullwidth_digits = [(0xFF10, 0xFF19)]
    letter = f"[{_chars(p['ALETTER'] + p['HEBREW_LETTER'])}]{ext}"
    hebrew = f"[{_chars(p['HEBREW_LETTER'])}]{ext}"
    number = f"[{_chars(p['NUMERIC'] + fullwidth_digits)}]{ext}"
    katakana = f"[{_chars(p['KATAKANA'])}]{ext}"
    mid_letter = f"[{_chars(p['MID_LETTER'] + p['MID_NUM_LET'] + p['SINGLE_QUOTE'])}]{ext}"
    mid_number = f"[{_chars(p['MID_NUM'] + p['MID_NUM_LET'] + p['SINGLE_QUOTE'])}]{ext}"
    connector = f"[{_chars(p['EXTEND_NUM_LET'])}]{ext}"
    single_quote = f"[{_chars(p['SINGLE_QUOTE'])}]{ext}"
    double_quote = f"[{_chars(p['DOUBLE_QUOTE'])}]{ext}"

    # UAX#29 WB5-WB13b: letters and digits join each other, across one mid-letter (between
    # letters) or mid-number (between digits) character, and across connector punctuation.
    word_core = (
        f"(?:{katakana}(?:(?:{connector})*{katakana})*"
        f"|(?:{hebrew}(?:{single_quote}|{double_quote}{hebrew})"
        f"|{number}(?:(?:(?:{connector})*|{mid_number}){number})*"
        f"|{letter}(?:(?:(?:{connector})*|{mid_letter}){letter})*)+)"
    )
    word = f"(?:{connector})*{word_core}(?:(?:{connector})+{word_core})*(?:{connector})*"

    # Emoji sequences (Unicode TR#51 emoji_sequence), as Lucene's StandardTokenizer keeps them.
    not_plain_emoji = (
        p["REGIONAL_INDICATOR"]
        + _literal_ranges("0123456789#*\u00a9\u00ae\u2122\u3030\u303d")
        + p["EMOJI_MODIFIER"]
    )
    emoji_char = _chars(p["EXTENDED_PICTOGRAPHIC"] + _subtract(p["EMOJI"], not_plain_emoji))
    zwj = _chars(p["ZWJ"])
    modifier = f"[{_chars(p['EMOJI_MODIFIER'])}]{ext_sans_selectors}"
    modifier_base = f"[{_chars(p['EMOJI_MODIFIER_BASE'])}]{ext_sans_selectors}"
    emoji_unit = (
        f"(?:[{zwj}]*[{emoji_char}]{ext_sans_selectors}\ufe0f?"
        f"|(?:[{zwj}]*{modifier_base})?{modifier})"
    )
    regional = f"[{_chars(p['REGIONAL_INDICATOR'])}]{ext}"
    emoji = (
        f"{emoji_unit}(?:[\U000e0020-\U000e007e]+\U000e007f|(?:[{zwj}]{emoji_unit})*)"
        f"|[0-9#*]{ext_sans_selectors}\ufe0f?\u20e3{ext_sans_selectors}"
        f"|{regional}{regional}"
    )

    south_east_asian = f"(?:[{_chars(p['COMPLEX_CONTEXT'])}]{ext})+"
    han = f"[{_chars(p['HAN'])}]{ext}"
    hiragana = f"[{_chars(p['HIRAGANA'])}]{ext}"
    return re.compile(f"{emoji}|{word}|{south_east_asian}|{han}|{hiragana}")


@lru_cache(maxsize=1)
def token_pattern() -> re.Pattern[str]:
    """The compiled tokenizer expression, built once per process."""
    return _token_pattern()


# The same rules restricted to ASCII text (most account data), where the character classes are
# tiny: letters, digits, ':' (MidLetter), '.' (MidNumLet), "'" (Single_Quote), ',' ';' (MidNum)
# and '_' (ExtendNumLet). ASCII has no emoji sequences (keycaps need U+20E3).
_ASCII_CORE = r"(?:[0-9](?:_*[0-9]|[,;.'][0-9])*|[A-Za-z](?:_*[A-Za-z]|[:.'][A-Za-z])*)+"
ASCII_TOKEN_PATTERN = re.compile(rf"_*{_ASCII_CORE}(?:_+{_ASCII_CORE})*_*")


_FOLDING_WITHOUT_DECOMPOSITION = {
    "ß": "ss", "ẞ": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ħ": "h",
    "ı": "i", "ł": "l", "ŀ": "l", "ŧ": "t", "þ": "th", "ĸ": "q", "ŉ": "n", "ſ": "s",
}


def _folds(ch: str) -> bool:
    """Whether accent folding applies to this (already lower-cased) character."""
    code = ord(ch)
    return (
        code < 0x0530  # Latin, IPA, spacing modifiers, combining marks, Greek, Cyrillic
        or 0x1D00 <= code < 0x2000  # phonetic extensions, Latin and Greek extended
        or 0xFB00 <= code <= 0xFB06  # Latin ligatures
        or 0xFF01 <= code <= 0xFF5E  # full-width ASCII
    )


@lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """`token` lower-cased and with accents removed from Latin, Greek and Cyrillic letters."""
    lowered = token.lower()
    if lowered.isascii():
        return lowered
    folded = []
    for ch in lowered:
        if ch.isascii() or not _folds(ch):
            folded.append(ch)
            continue
        replacement = _FOLDING_WITHOUT_DECOMPOSITION.get(ch)
        if replacement is None:
            decomposed = unicodedata.normalize("NFKD", ch)
            replacement = "".join(c for c in decomposed if not unicodedata.combining(c))
        folded.append(replacement.lower())
    return "".join(folded)


def _split_long(token: str) -> Iterator[str]:
    for start in range(0, len(token), MAX_TOKEN_LENGTH):
        yield token[start:start + MAX_TOKEN_LENGTH]


def _analyze_short_by_words(text: str) -> list[str]:
    """`analyze` for short text that is not all ASCII, a space-separated word at a time: no
    term holds a space and the rules look neither behind nor ahead of what they match, so
    spaces split text the same with or without them; and words recur ("Hélène", "Dvořáková",
    '"Åsa') far more than whole texts do."""
    terms = []
    for word in text.split(" "):
        terms.extend(_analyze_short_ascii(word.lower()) if word.isascii() else _terms_of_word(word))
    return terms


@lru_cache(maxsize=1 << 16)
def _terms_of_word(word: str) -> tuple[str, ...]:
    return tuple(fold(match.group()) for match in token_pattern().finditer(word))


_ASCII_WORD_CHARS = re.compile(r"[a-z0-9_:.',;]+")


def _analyze_short_ascii(lowered: str) -> list[str]:
    """`analyze` for lower-case ASCII text: runs of word characters, split by the rules only
    when they hold punctuation (the common plain word needs no rule at all)."""
    if lowered.isalnum():  # one plain word or number: a username, most words of a name
        return [lowered]
    terms = []
    for chunk in _ASCII_WORD_CHARS.findall(lowered):
        if chunk.isalnum():
            terms.append(chunk)
        else:
            terms.extend(ASCII_TOKEN_PATTERN.findall(chunk))
    return terms


def analyze(text: str) -> list[str]:
    """The index terms of `text`, in order: split, lower-cased, accent-folded."""
    if len(text) <= MAX_TOKEN_LENGTH:
        if text.isascii():
            return _analyze_short_ascii(text.lower())
        return _analyze_short_by_words(text)
    pattern = ASCII_TOKEN_PATTERN if text.isascii() else token_pattern()
    terms = []
    for match in pattern.finditer(text):
        raw = match.group()
        if len(raw) > MAX_TOKEN_LENGTH:
            terms.extend(fold(piece) for piece in _split_long(raw))
        else:
            terms.append(fold(raw))
    return terms


# Joins the two words of a word pair; no term holds white space.
PAIR_SEPARATOR = " "


def word_pairs(terms: Sequence[str]) -> list[str]:
    """Each two adjacent terms as one, for the pair fields that answer exact phrases, unless one
    of them is a long word holding a digit: a pair with a phone number or an id in it ("rossi
    39021234567" of a caller id) is nearly always unique to its account, so it would cost an
    index entry per account and speed up no phrase that the number's own rare term does not
    already make fast. Short ones ("floor 4", "room 12b", "2nd floor") are as common as words."""
    if len(terms) < 2:
        return []
    if not _DIGIT.search("".join(terms)):  # the usual case: no number at all
        return [f"{first}{PAIR_SEPARATOR}{second}" for first, second in itertools.pairwise(terms)]
    pairs_well = list(map(_pairs_well, terms))
    return [f"{terms[index]}{PAIR_SEPARATOR}{terms[index + 1]}" for index in range(len(terms) - 1)
            if pairs_well[index] and pairs_well[index + 1]]


# The longest word holding a digit that still makes word pairs.
LONGEST_PAIRED_NUMBER = 3
_DIGIT = re.compile(r"\d")


def _pairs_well(term: str) -> bool:
    return len(term) <= LONGEST_PAIRED_NUMBER or not _DIGIT.search(term)
