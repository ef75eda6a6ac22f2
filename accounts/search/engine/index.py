"""The Whoosh index of accounts: a derived copy of the database that never drifts (DESIGN 7).

`SearchIndex` puts together the pieces of one index directory's life: its files, lock and state
(index_files.py), keeping it in step with the change log (sync.py), searching it
(searching.py) and comparing it with the database (checking.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from accounts.search.engine import checking
from accounts.search.engine import sync as syncing
from accounts.search.engine.index_files import (
    LOCK_TIMEOUT_SECONDS,
    PATIENT,
    IndexFiles,
    Patience,
    SearchIndexBusy,
)
from accounts.search.engine.searching import (
    SHORT_RESULT,
    Matches,
    Searcher,
    newest_first,
)
from accounts.search.language.parser import parse


class SearchIndex:
    """The index in one directory; safe to use from many processes at once."""

    def __init__(self, directory: Path):
        self.files = IndexFiles(directory)
        self.directory = self.files.directory
        self._searcher = Searcher(self.files)
        self._warmed_at: float | None = None  # when keep_warm last applied changes (time.monotonic)

    def locked(self, timeout: float = LOCK_TIMEOUT_SECONDS):
        """Hold the index directory's writer lock (waiting up to `timeout` seconds)."""
        return self.files.locked(timeout)

    def sync(self, patience: Patience = PATIENT) -> int:
        """Apply every committed change the index has not seen (see sync.sync)."""
        return syncing.sync(self.files, patience)

    def keep_warm(self, pause: float) -> int:
        """`sync`, unless the last `keep_warm` applied changes less than `pause` seconds ago
        (then 0): a first change after a quiet spell is applied at once, a stream of changes
        every `pause` seconds in one go. Applying has a fixed cost (a Whoosh commit, merging
        small segments) that a handful of accounts would otherwise pay again and again: about
        1 ms an account in steps of 10, 0.35 ms in steps of 500. A search still applies
        whatever is pending before it answers."""
        if self._warmed_at is not None and time.monotonic() - self._warmed_at < pause:
            return 0
        applied = self.sync()
        self._warmed_at = time.monotonic() if applied else None
        return applied

    def rebuild(self) -> int:
        """Build a fresh index from the database and swap it in; returns the account count."""
        return syncing.rebuild(self.files)

    def check(self) -> checking.CheckReport:
        return checking.check(self.files)

    def search(self, text: str, *, group_ids: Iterable[int] | None = None,
               patience: Patience = PATIENT) -> list[int]:
        """Ids of the accounts matching the Lucene query `text`, newest first.

        `group_ids` limits the result to those groups (None: every group). Raises
        SearchQueryError (with message, position and hint) for a query it cannot answer,
        SearchIndexBusy when the index is not ready within `patience`.
        """
        segments = self._segment_matches(text, group_ids, patience)
        return newest_first(segment.matching_ids() for segment in segments)

    def match(self, text: str, *, group_ids: Iterable[int] | None = None,
              patience: Patience = PATIENT) -> Matches:
        """What `search` finds, said the shorter way (see Matches): a query matching nearly every
        account in scope, such as `*` or `NOT rossi`, is answered by its few exceptions."""
        segments = self._segment_matches(text, group_ids, patience)
        matched = sum(segment.count() for segment in segments)
        if matched > SHORT_RESULT:
            unmatched = newest_first(segment.unmatched_ids() for segment in segments)
            if len(unmatched) < matched:
                return Matches(ids=None, unmatched_ids=unmatched)
        return Matches(ids=newest_first(segment.matching_ids() for segment in segments))

    def _segment_matches(self, text: str, group_ids, patience: Patience):
        node = parse(text)
        try:
            self.sync(patience)
        except TimeoutError:
            raise SearchIndexBusy() from None
        return self._searcher.segment_matches(node, group_ids)


_indexes: dict[Path, SearchIndex] = {}


def get_index() -> SearchIndex:
    """This process's handle on the index in settings.SEARCH_INDEX_DIR."""
    directory = Path(settings.SEARCH_INDEX_DIR)
    if directory not in _indexes:
        _indexes[directory] = SearchIndex(directory)
    return _indexes[directory]


def search_account_ids(text: str, *, group_ids: Iterable[int] | None = None) -> list[int]:
    """Ids of accounts matching `text` (see SearchIndex.search)."""
    return get_index().search(text, group_ids=group_ids)


def keep_index_warm() -> int:
    """Worker task: apply pending changes so searches do not have to (returns accounts applied),
    in steps at least settings.SEARCH_WARM_SECONDS apart while changes keep coming."""
    return get_index().keep_warm(settings.SEARCH_WARM_SECONDS)
