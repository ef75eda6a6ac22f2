"""Finding the terms of a lexicon within a fuzzy query's edit distance.

The distance (FuzzyNode's) counts insertions, deletions, substitutions and swaps of two
neighbouring characters of the query term, each as one edit: the query term with some
non-overlapping neighbour swaps, then plain Levenshtein edits. `FuzzyAutomaton` computes it one
term character at a time, as the rows of the Levenshtein table extended with "half-way through a
swap" states; rows are capped at edits + 1, which makes them the states of a small automaton
whose transitions are remembered. Walking the sorted lexicon with it, a term prefix whose row is
already beyond the distance skips, by binary search, every term that starts with it.
"""

from __future__ import annotations

from functools import lru_cache

from accounts.search.engine.lexicon import Lexicon, prefix_successor

Row = tuple[int, ...]


class FuzzyAutomaton:
    """States for the query term `text` and at most `edits` edits (see the module docstring).

    A row holds, for i = 0..n, the edits needed so far having consumed text[:i] in order
    ("normal" cells), then, for i = 0..n-2, having started a swap at i and consumed text[i+1]
    only ("pending" cells).
    """

    def __init__(self, text: str, edits: int):
        self.text = text
        self.edits = edits
        self.length = len(text)
        self._steps: dict[tuple[Row, str], Row] = {}
        self.start = self._close([0] + [edits + 1] * self.length,
                                 [edits + 1] * max(0, self.length - 1))

    def _close(self, normal: list[int], pending: list[int]) -> Row:
        """Apply deletions of query characters (moves within a row), capping at edits + 1."""
        cap = self.edits + 1
        for i in range(self.length + 1):
            best = normal[i]
            if i >= 1 and normal[i - 1] + 1 < best:
                best = normal[i - 1] + 1
            if i >= 2 and pending[i - 2] + 1 < best:
                best = pending[i - 2] + 1
            normal[i] = min(best, cap)
            if i < self.length - 1:
                pending[i] = min(pending[i], normal[i] + 2, cap)
        return tuple(normal) + tuple(pending)

    def step(self, row: Row, char: str) -> Row:
        """The row after one more term character."""
        key = (row, char)
        found = self._steps.get(key)
        if found is not None:
            return found
        text, n = self.text, self.length
        normal_row, pending_row = row[:n + 1], row[n + 1:]
        normal = [normal_row[i] + 1 for i in range(n + 1)]  # insert the term character
        pending = [pending_row[i] + 1 for i in range(n - 1)]
        for i in range(1, n + 1):
            # consume text[i-1] as this character (match or substitution)
            cost = normal_row[i - 1] + (text[i - 1] != char)
            normal[i] = min(normal[i], cost)
            if i >= 2:
                # finish the swap started at i-2: text[i-2] comes after text[i-1]
                cost = pending_row[i - 2] + (text[i - 2] != char)
                normal[i] = min(normal[i], cost)
        for i in range(n - 1):
            # start a swap at i: text[i+1] first, as this character
            cost = normal_row[i] + 1 + (text[i + 1] != char)
            pending[i] = min(pending[i], cost)
        result = self._close(normal, pending)
        self._steps[key] = result
        return result

    def accepts(self, row: Row) -> bool:
        return row[self.length] <= self.edits

    def can_accept_later(self, row: Row) -> bool:
        return min(row) <= self.edits


@lru_cache(maxsize=64)
def fuzzy_automaton(text: str, edits: int) -> FuzzyAutomaton:
    return FuzzyAutomaton(text, edits)


def fuzzy_term_indexes(lexicon: Lexicon, text: str, edits: int) -> list[int]:
    """Indexes of the lexicon's terms within `edits` edits of `text`."""
    automaton = fuzzy_automaton(text, edits)
    found: list[int] = []
    rows = [automaton.start]  # rows[d]: the row after the first d characters of `path`
    path = ""
    index = 0
    count = len(lexicon)
    while index < count:
        term = lexicon.term(index)
        common = 0
        limit = min(len(term), len(path))
        while common < limit and term[common] == path[common]:
            common += 1
        del rows[common + 1:]
        path = term[:common]
        dead_end = None
        for depth in range(common, len(term)):
            row = automaton.step(rows[-1], term[depth])
            rows.append(row)
            if not automaton.can_accept_later(row):
                dead_end = depth + 1
                break
        path = term[:len(rows) - 1]
        if dead_end is None:
            if automaton.accepts(rows[-1]):
                found.append(index)
            index += 1
            continue
        following = prefix_successor(term[:dead_end])
        index = count if following is None else lexicon.bisect_left_from(following, index + 1)
    return found
