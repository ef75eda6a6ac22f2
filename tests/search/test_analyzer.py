"""The analyzer splits like Lucene's StandardAnalyzer (outputs below were produced by Lucene 8.7's
StandardAnalyzer without stop words), then lower-cases and accent-folds."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.search.language.analyzer import (
    ASCII_TOKEN_PATTERN,
    analyze,
    fold,
    token_pattern,
)

LUCENE_SPLITS = [
    ("marco.rossi@example.com", ["marco.rossi", "example.com"]),
    ("rossi-bianchi", ["rossi", "bianchi"]),
    ("+39-02-7654321", ["39", "02", "7654321"]),
    ('"Marco Rossi" <+39021234567>', ["marco", "rossi", "39021234567"]),
    ("a:b c,d 1,000.5 1:2", ["a:b", "c", "d", "1,000.5", "1", "2"]),
    ("__x__ _", ["__x__"]),
    ("O'Neil 3.14 wide_screen", ["o'neil", "3.14", "wide_screen"]),
    ("don't stop. end", ["don't", "stop", "end"]),
    ("日本語テスト ひらがな ภาษาไทย 한국어",
     ["日", "本", "語", "テスト", "ひ", "ら", "が", "な", "ภาษาไทย", "한국어"]),
    ("👍🏽 hi 🇮🇹 1️⃣ 👨‍👩‍👧", ["👍🏽", "hi", "🇮🇹", "1️⃣", "👨‍👩‍👧"]),
    ("the a of", ["the", "a", "of"]),  # no stop words
    ("running runs", ["running", "runs"]),  # no stemming
]


@pytest.mark.parametrize(("text", "terms"), LUCENE_SPLITS, ids=[case[0] for case in LUCENE_SPLITS])
def test_text_splits_as_lucene_standard_analyzer(text, terms):
    assert analyze(text) == terms


@pytest.mark.parametrize(("text", "terms"), [
    ("José", ["jose"]), ("São Paulo ĐOÀN", ["sao", "paulo", "doan"]), ("Müller Straße", ["muller", "strasse"]),
    ("Øresund Łódź", ["oresund", "lodz"]), ("ΑΘΗΝΑ Ωμέγα", ["αθηνα", "ωμεγα"]), ("Ｒｏｓｓｉ", ["rossi"]),
])
def test_terms_are_lower_cased_and_accent_folded(text, terms):
    assert analyze(text) == terms


def test_folding_leaves_scripts_without_accents_alone():
    assert fold("한국어") == "한국어"
    assert fold("テスト") == "テスト"


def test_very_long_words_are_cut_every_255_characters():
    assert [len(term) for term in analyze("x" * 600)] == [255, 255, 90]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09_.:',;-@ \t+éß\"<>/"), max_size=24))
def test_ascii_fast_path_splits_like_the_full_rules(text):
    """The ASCII shortcut must never change a split (the full Unicode rules are the reference)."""
    full = [fold(match.group()) for match in token_pattern().finditer(text)]
    assert analyze(text) == full
    if text.isascii():
        assert [t.lower() for t in ASCII_TOKEN_PATTERN.findall(text)] == full


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["é", "ß", "Ø", "ǅ", "Ω", "ж", "ı", "ª", "ʼ", "—", "’", "\u0301", "\u200d", "👍",
                                 "\u05d0", "日", "\u202f", "a", "Z", "0", "_", ".", ":", "'", ",", "-", "@", '"',
                                 " ", " ", "\t"]), max_size=24).map("".join))
def test_text_split_at_spaces_first_splits_like_the_full_rules(text):
    """Short text that is not all ASCII is analysed a space-separated word at a time: that must
    give what the full Unicode rules give on the whole text, with marks, joiners, emoji, other
    scripts, punctuation and unusual spaces (U+202F joins words) mixed in."""
    full = [fold(match.group()) for match in token_pattern().finditer(text)]
    assert analyze(text) == full


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_analyzes_to_non_empty_terms(text):
    assert all(term for term in analyze(text))
