"""The Whoosh tokenizer of the account fields. Its place is part of the index format.

Whoosh pickles each field's analyzer into the index's table of contents, and a pickle names the
class by module path and class name: every index holds `accounts.search.engine.tokenizer.
AccountTextTokenizer`, and opening one unpickles it from there. Moving or renaming this module or
the class (or changing its attributes' meaning) makes every deployed index unreadable, so such a
change must come with a new `INDEX_FORMAT` (engine/index_files.py), whose indexes are rebuilt
before anything opens them; `PICKLED_TOKENIZER` there records the path each format holds and a
test keeps the two in step. The terms themselves come from `language.analyzer`, which may move
freely.
"""

from __future__ import annotations

from whoosh.analysis import Token, Tokenizer

from accounts.search.language.analyzer import analyze, word_pairs


class AccountTextTokenizer(Tokenizer):
    """Whoosh tokenizer producing exactly the terms of `analyze`, with positions.

    `pairs=True` makes it produce each two adjacent terms as one instead (the `*_pairs` fields).
    """

    def __init__(self, pairs: bool = False):
        self.pairs = pairs

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccountTextTokenizer) and other.pairs == self.pairs

    def __hash__(self) -> int:
        return hash((AccountTextTokenizer, self.pairs))

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        terms = analyze(value) if tokenize else [value]
        if self.pairs:
            terms = word_pairs(terms)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for offset, term in enumerate(terms):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = term
            if positions:
                token.pos = start_pos + offset
            yield token
