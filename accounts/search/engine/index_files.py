"""The index directory of one node: its writer lock, its state and its generations.

Layout of SEARCH_INDEX_DIR (one directory per web node, shared by that node's processes):
- `lock`: taken (flock) by whoever writes: applying the change log, swapping in a rebuild;
- `state.json`: the live index generation, its change-log position (changelog.LogPosition) and
  the format it was built in (INDEX_FORMAT);
- `gen-<stamp>/`: Whoosh index generations; a rebuild builds a new one beside the live one and
  swaps it in, so searches keep answering during a rebuild.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext, gettext_lazy
from whoosh import index as whoosh_index

from accounts.search import changelog

LOCK_TIMEOUT_SECONDS = 60.0
# What an index holds and how it is stored; an index of another format is rebuilt before
# anything opens it. 2: the word pair fields. 3: the tokenizer pickled from its own module
# (PICKLED_TOKENIZER), where format 2 pickled `accounts.search.analyzer.AccountTextTokenizer`.
# 4: no word pairs holding a digit (analyzer.word_pairs), no pair field of numbers.
# 5: no reversed fields (their lexicons are derived from the forward fields'), no account_id
# field (an account's documents are found through the segments' id columns).
# 6: word pairs of short words holding a digit ("floor 4"), the repeated-word markers
# (schema.repeated_words_marker), a term in one document inlined in a compact pickle.
# 7: the word pair fields' lexicons saved beside each segment, which long phrases read their
# common pairs from (evaluate._docs_with_every_pair): rebuilt rather than built by a search.
INDEX_FORMAT = 7
# The class path Whoosh pickles into every index of INDEX_FORMAT (see engine/tokenizer.py).
PICKLED_TOKENIZER = "accounts.search.engine.tokenizer.AccountTextTokenizer"
ABANDONED_GENERATION_SECONDS = 3600


class SearchIndexBusy(Exception):
    """Not the query's fault: the index is not ready within the search's patience (Patience).
    Another process is building it or applying a large backlog (a new web node, an upgrade that
    changed the index's format, a batch import of many accounts, demo data). Shown like a query
    error: a message and a hint, without a position."""

    message = gettext_lazy("The search index is being brought up to date")
    hint = gettext_lazy("Try again in a minute; the query itself is fine.")
    position = None

    def __init__(self):
        super().__init__(self.message)

    def __str__(self) -> str:
        return gettext("%(message)s. %(hint)s") % {"message": self.message, "hint": self.hint}



@dataclass(frozen=True)
class Patience:
    """How much work a search may wait for or do on the index before it answers.

    `lock_wait`: seconds it waits for another process's work; `work_limit`: the most accounts it
    re-indexes itself, as a rebuild of a missing or outdated index or as a backlog of the change
    log (None: any number); `processes`: whether that work may fork writer processes. Past
    either limit it raises SearchIndexBusy and leaves the work to the worker.
    """

    lock_wait: float
    work_limit: int | None
    may_fork: bool = True


# Commands, tools and the worker wait as any writer does and do whatever work is needed.
PATIENT = Patience(LOCK_TIMEOUT_SECONDS, None)
# A web request answers before an app server's usual 30 s timeout and never forks: re-indexing
# 20,000 accounts takes a few seconds in one process; more is left to the worker or
# `rebuild_search_index`.
WITHIN_A_REQUEST = Patience(20.0, 20_000, may_fork=False)


class IndexFiles:
    """The lock, state and generations of one index directory; safe from many processes."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._generation: str | None = None
        self._whoosh = None
        self._reader = None

    @contextmanager
    def locked(self, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
        """Hold the index directory's writer lock (waiting up to `timeout` seconds)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "lock", "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"search index {self.directory} stayed locked "
                                           f"for {timeout:.0f} s") from None
                    time.sleep(0.005)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read_state(self, *, any_format: bool = False) -> dict | None:
        """The live generation and its change-log position. None when there is no index yet, or
        (unless `any_format`) when it was built in another format than INDEX_FORMAT: either way
        the next sync builds one, without opening the old generation (whose pickles may name
        classes that no longer exist)."""
        try:
            state = json.loads((self.directory / "state.json").read_text())
        except FileNotFoundError:
            return None
        return state if any_format or state.get("format") == INDEX_FORMAT else None

    def write_state(self, generation: str, position: changelog.LogPosition, highest_account_id: int) -> None:
        """Replace state.json atomically (write aside, then rename). `highest_account_id`: the
        highest account id the index has been told about (see sync.py)."""
        temporary = self.directory / f"state.json.{os.getpid()}"
        temporary.write_text(json.dumps({"generation": generation, "position": position.to_json(),
                                         "format": INDEX_FORMAT, "highest_account_id": highest_account_id}))
        os.replace(temporary, self.directory / "state.json")

    def new_generation(self) -> str:
        """A new, empty generation directory (not yet live)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        generation = f"gen-{time.time_ns()}-{os.getpid()}"
        (self.directory / generation).mkdir()
        return generation

    def path(self, generation: str) -> Path:
        return self.directory / generation

    def open(self, generation: str):
        """The Whoosh index of a generation (kept open while it stays the live one)."""
        if generation != self._generation:
            self.close_reader()
            self._whoosh = whoosh_index.open_dir(str(self.path(generation)))
            self._generation = generation
        return self._whoosh

    def close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def current_reader(self, generation: str):
        """A reader of the generation's latest commit (reused while nothing was committed)."""
        whoosh = self.open(generation)
        if self._reader is None or self._reader.generation() != whoosh.latest_generation():
            self.close_reader()
            self._reader = whoosh.reader()
        return self._reader

    def remove_generations(self, *, previous: str | None, keep: str) -> None:
        """Delete the generation a rebuild replaced, and those left by rebuilds that were killed
        (older than ABANDONED_GENERATION_SECONDS). Open readers keep their files (POSIX unlink
        semantics); new ones use the new generation."""
        if previous is not None and previous != keep:
            shutil.rmtree(self.path(previous), ignore_errors=True)
        for path in self.directory.glob("gen-*"):
            if path.name != keep and time.time() - path.stat().st_mtime > ABANDONED_GENERATION_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
