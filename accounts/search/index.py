"""The Whoosh index of accounts: a derived copy of the database that never drifts (DESIGN 7).

Layout of SEARCH_INDEX_DIR (one directory per web node, shared by that node's processes):
- `lock`: taken (flock) by whoever writes: applying the change log, swapping in a rebuild;
- `state.json`: the live index generation and its change-log position (changelog.LogPosition);
- `gen-<stamp>/`: Whoosh index generations; a rebuild builds a new one beside the live one and
  swaps it in, so searches keep answering during a rebuild.

Before every search the process applies the change-log rows its index has not seen (under the
lock, re-reading the accounts they name from the database), so a committed change is always
found. Searching returns account ids only; callers load the accounts through the operator's
scoped queryset, so the database decides what an operator may see.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import shutil
import sys
import time
from array import array
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from whoosh import columns, index as whoosh_index

from accounts.models import Account
from accounts.search import changelog, docmaps
from accounts.search import query as q
from accounts.search.bulk import commit_segments, segments_without
from accounts.search.documents import (
    REBUILD_PROCESSES,
    account_document,
    account_fingerprint,
    account_rows,
    search_schema,
    write_ranges,
)
from accounts.search.errors import SearchIndexBusy
from accounts.search.group_clauses import GroupNames, route_group_clauses
from accounts.search.lexicon import (
    lexicon_path,
    read_lexicon,
    remove_other_lexicon_files,
    save_lexicon,
)
from accounts.search.parser import parse

LOCK_TIMEOUT_SECONDS = 60.0
REBUILD_LOCK_WAIT_SECONDS = 3600.0
LEXICON_DIRECTORY = "lexicons"  # inside a generation: saved term lexicons (see lexicon.py)
DOCS_PER_SEGMENT = 250_000
# From this many changed accounts on, the change log is applied with the bulk segment writer.
BULK_APPLY_MIN_ACCOUNTS = 500
BULK_APPLY_DOCS_PER_PROCESS = 25_000
# What the documents of an index hold; an index of another format is rebuilt before it is used.
# 2: the word pair fields (fields.SearchField.word_pairs).
INDEX_FORMAT = 2

def _id_ranges(accounts_per_range: int) -> list[tuple[int, int]]:
    """Account id ranges [low, high) of roughly `accounts_per_range` accounts each."""
    bounds = Account.objects.aggregate(low=Min("id"), high=Max("id"), count=Count("id"))
    if not bounds["count"]:
        return []
    pieces = max(1, -(-bounds["count"] // accounts_per_range))
    span = bounds["high"] + 1 - bounds["low"]
    edges = [bounds["low"] + span * piece // pieces for piece in range(pieces)] + [bounds["high"] + 1]
    return list(itertools.pairwise(edges))


def _pieces(sorted_ids: list[int], processes: int) -> list[tuple[int, int, list[int]]]:
    """`sorted_ids` cut into ranges for `_write_ranges`: one per BULK_APPLY_DOCS_PER_PROCESS
    accounts, at most `processes`."""
    count = min(processes, max(1, -(-len(sorted_ids) // BULK_APPLY_DOCS_PER_PROCESS)))
    pieces = []
    for piece in range(count):
        ids = sorted_ids[len(sorted_ids) * piece // count:len(sorted_ids) * (piece + 1) // count]
        if ids:
            pieces.append((ids[0], ids[-1] + 1, ids))
    return pieces


@dataclass
class CheckReport:
    """Differences between the index and the database (all empty when they agree)."""

    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    extra: list[int] = field(default_factory=list)  # in the index, no longer in the database
    stale: list[int] = field(default_factory=list)  # indexed with other values
    duplicated: list[int] = field(default_factory=list)  # indexed more than once
    accounts: int = 0

    @property
    def difference_count(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale) + len(self.duplicated)


# How long the regular expressions of one search may spend trying terms: Python's engine
# backtracks, so a pattern such as /.*1.*2.*3.*4.*/ can cost milliseconds per term, and
# a million terms would keep a web worker busy for an hour. Past it the search answers with an error.
REGEX_SECONDS = 1.5

@dataclass(frozen=True)
class Patience:
    """How long a search waits for another process's work on the index (`lock_wait` seconds)
    and up to how many accounts it rebuilds a missing or outdated index itself (None: any
    number); past either it raises SearchIndexBusy."""

    lock_wait: float
    rebuild_limit: int | None


# Commands and tools wait as any writer does and build whatever index they need.
PATIENT = Patience(LOCK_TIMEOUT_SECONDS, None)
# A web request answers before an app server's usual 30 s timeout: a rebuild of 20,000 accounts
# takes a few seconds; a larger one is left to the worker or `rebuild_search_index`.
WITHIN_A_REQUEST = Patience(20.0, 20_000)

# Up to this many matches a search result is always passed on as the matching ids.
SHORT_RESULT = 10_000


@dataclass(frozen=True)
class Matches:
    """The accounts a query matched within the scope it was asked about, said the shorter way:
    `ids`, the matching accounts; or, when `ids` is None, `unmatched_ids`, the accounts in scope
    that do not match. Both newest first."""

    ids: list[int] | None
    unmatched_ids: list[int] | None = None


class SegmentMatch:
    """The documents of one segment that a query matched, within the groups of `scope_terms`
    (None: every group), without the deleted ones."""

    def __init__(self, ctx, pks: array, scope_terms: list[bytes] | None):
        self.ctx, self.pks, self.scope_terms = ctx, pks, scope_terms
        self._scope: docmaps.DocSet | None = None
        self.docs: docmaps.DocSet = set()

    def set_matching(self, docs: docmaps.DocSet) -> None:
        if self.scope_terms is not None and docs:
            docs = docmaps.intersection(self.ctx.size, docs, self.scope())
        self.docs = self._without_deleted(docs)

    def scope(self) -> docmaps.DocSet:
        """Every live document of the groups in scope."""
        if self._scope is None:
            if self.scope_terms is None:
                scope: docmaps.DocSet = self.ctx.all_docs()
            else:
                scope = set()
                for term in self.scope_terms:
                    scope = docmaps.union(self.ctx.size, scope, self.ctx.postings("group_id", term))
            self._scope = self._without_deleted(scope)
        return self._scope

    def _without_deleted(self, docs: docmaps.DocSet) -> docmaps.DocSet:
        leaf = self.ctx.reader
        return docmaps.difference(self.ctx.size, docs, leaf.deleted_docs_set) if leaf.has_deletions() else docs

    def count(self) -> int:
        return docmaps.count(self.docs)

    def matching_ids(self) -> Iterator[int]:
        return docmaps.select(self.pks, self.docs, self.ctx.size)

    def unmatched_ids(self) -> Iterator[int]:
        return docmaps.select(self.pks, docmaps.difference(self.ctx.size, self.scope(), self.docs), self.ctx.size)


def _newest_first(id_lists: Iterable[Iterable[int]]) -> list[int]:
    """The account ids of every list, newest (highest) first."""
    ids: list[int] = []
    for account_ids in id_lists:
        ids.extend(account_ids)
    ids.sort(reverse=True)
    return ids


class SearchIndex:
    """The index in one directory; safe to use from many processes at once."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._generation: str | None = None
        self._whoosh = None
        self._reader = None
        self._pk_arrays: dict[tuple[str, str], array] = {}
        self._lexicon_segments: frozenset[str] = frozenset()

    # Locking and state

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

    def _read_state(self, *, any_format: bool = False) -> dict | None:
        """The live generation and its change-log position. None when there is no index yet, or
        (unless `any_format`) when it was built in another format than INDEX_FORMAT: either way
        the next sync builds one."""
        try:
            state = json.loads((self.directory / "state.json").read_text())
        except FileNotFoundError:
            return None
        return state if any_format or state.get("format") == INDEX_FORMAT else None

    def _write_state(self, generation: str, position: changelog.LogPosition) -> None:
        """Replace state.json atomically (write aside, then rename)."""
        temporary = self.directory / f"state.json.{os.getpid()}"
        temporary.write_text(json.dumps({"generation": generation, "position": position.to_json(),
                                         "format": INDEX_FORMAT}))
        os.replace(temporary, self.directory / "state.json")

    def _open(self, generation: str):
        if generation != self._generation:
            self._close_reader()
            self._whoosh = whoosh_index.open_dir(str(self.directory / generation))
            self._generation = generation
            self._pk_arrays.clear()
        return self._whoosh

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _current_reader(self, generation: str):
        whoosh = self._open(generation)
        if self._reader is None or self._reader.generation() != whoosh.latest_generation():
            self._close_reader()
            self._reader = whoosh.reader()
        return self._reader

    # Keeping in step with the database

    def sync(self, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS, rebuild_limit: int | None = None) -> int:
        """Apply every committed change the index has not seen; returns how many accounts.

        A large backlog (a batch import) goes through the bulk segment writer. An index that is
        missing, of another format, or last applied before the change log was pruned
        (changelog.PendingChanges) is rebuilt here, unless the database holds more than
        `rebuild_limit` accounts: then SearchIndexBusy (the worker or `rebuild_search_index`
        builds it). Raises TimeoutError when another process holds the index lock for more than
        `lock_timeout`.
        """
        if connection.in_atomic_block:
            # Rows written by a transaction still open (maybe this one) must not reach the index:
            # it could roll back. Searching here uses the index as the last committed sync left it.
            self._create_empty_if_missing(lock_timeout)
            return 0
        state = self._read_state()
        if state is not None and not changelog.pending_changes(changelog.LogPosition.from_json(state["position"])):
            return 0
        with self.locked(lock_timeout):
            # Read again under the lock: another process may have rebuilt or applied meanwhile,
            # and a rebuild's position may still leave changes to apply.
            state = self._read_state()
            pending = None if state is None else changelog.pending_changes(
                changelog.LogPosition.from_json(state["position"]))
            if pending is None or pending.needs_rebuild:
                if rebuild_limit is not None and Account.objects.count() > rebuild_limit:
                    raise SearchIndexBusy()
                return self._rebuild_locked()
            if pending:
                self._apply(state["generation"], pending.account_ids)
            self._write_state(state["generation"], pending.position)
            return len(pending.account_ids)

    def _apply(self, generation: str, account_ids: frozenset[int]) -> None:
        """Re-index the named accounts from their current rows (deleting the missing ones)."""
        if len(account_ids) >= BULK_APPLY_MIN_ACCOUNTS:
            self._apply_in_bulk(generation, account_ids)
        else:
            self._apply_one_by_one(generation, account_ids)

    def _apply_one_by_one(self, generation: str, account_ids: frozenset[int]) -> None:
        """Whoosh's own writer: about a millisecond per account, little fixed cost."""
        whoosh = self._open(generation)
        writer = whoosh.writer(timeout=LOCK_TIMEOUT_SECONDS)
        try:
            for account_id in account_ids:
                writer.delete_by_term("account_id", str(account_id))
            for row in account_rows(account_ids):
                writer.add_document(**account_document(row))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def _apply_in_bulk(self, generation: str, account_ids: frozenset[int]) -> None:
        """The bulk segment writer: old documents marked deleted, new ones in one new segment,
        published by one commit (so a search sees all of the backlog or none of it).

        A fixed cost of reading every segment's account ids, then a fraction of the per-account
        cost of Whoosh's writer. Runs under the index lock, like every writer of the index.
        """
        whoosh = self._open(generation)
        kept, folded = segments_without(whoosh, account_ids)
        pieces = _pieces(sorted(account_ids.union(folded)), REBUILD_PROCESSES)
        commit_segments(whoosh, kept + write_ranges(str(self.directory / generation), pieces))
        save_lexicons(self.directory / generation)

    def _create_empty_if_missing(self, lock_timeout: float) -> None:
        """An empty index whose position is the start of the log: everything is still to apply.
        (An index of another format is left as it is for a sync outside a transaction to rebuild.)"""
        with self.locked(lock_timeout):
            if self._read_state(any_format=True) is None:
                generation = f"gen-{time.time_ns()}-{os.getpid()}"
                (self.directory / generation).mkdir()
                whoosh_index.create_in(str(self.directory / generation), search_schema())
                self._write_state(generation, changelog.LogPosition())

    def rebuild(self) -> int:
        """Build a fresh index from the database and swap it in; returns the account count.

        Searches keep using the previous generation until the new one is complete.
        """
        return self._rebuild(holding_lock=False)

    def _rebuild_locked(self) -> int:
        return self._rebuild(holding_lock=True)

    def _rebuild(self, holding_lock: bool) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        generation = f"gen-{time.time_ns()}-{os.getpid()}"
        path = self.directory / generation
        path.mkdir()
        whoosh_index.create_in(str(path), search_schema())
        try:
            # The position is taken before any account is read: changes committed meanwhile
            # are then applied again by the next sync, which is harmless (it re-reads the rows).
            position = changelog.current_position()
            ranges = [(low, high, None) for low, high in _id_ranges(DOCS_PER_SEGMENT)]
            segments = write_ranges(str(path), ranges)
            commit_segments(whoosh_index.open_dir(str(path)), segments)
            save_lexicons(path)
            count = sum(segment.doc_count_all() for segment in segments)
            # A rebuild of another process may hold the lock for minutes: wait for it, then
            # publish this (later) generation.
            with (contextlib.nullcontext() if holding_lock else self.locked(REBUILD_LOCK_WAIT_SECONDS)):
                previous = self._read_state(any_format=True)
                self._write_state(generation, position)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        if previous is not None and previous["generation"] != generation:
            # Open readers keep their files (POSIX unlink semantics); new ones use the new generation.
            shutil.rmtree(self.directory / previous["generation"], ignore_errors=True)
        self._remove_abandoned_generations(keep=generation)
        return count

    def _remove_abandoned_generations(self, keep: str) -> None:
        """Delete generations left by rebuilds that were killed (older than an hour)."""
        for path in self.directory.glob("gen-*"):
            if path.name != keep and time.time() - path.stat().st_mtime > 3600:
                shutil.rmtree(path, ignore_errors=True)

    # Searching

    def search(self, text: str, *, group_ids: Iterable[int] | None = None,
               patience: Patience = PATIENT) -> list[int]:
        """Ids of the accounts matching the Lucene query `text`, newest first.

        `group_ids` limits the result to those groups (None: every group). Raises
        query.SearchQueryError (with message, position and hint) for a query it cannot answer,
        SearchIndexBusy when the index is not ready within `patience`.
        """
        segments = self._segment_matches(text, group_ids, patience)
        return _newest_first(segment.matching_ids() for segment in segments)

    def match(self, text: str, *, group_ids: Iterable[int] | None = None,
              patience: Patience = PATIENT) -> Matches:
        """What `search` finds, said the shorter way (see Matches): a query matching nearly every
        account in scope, such as `*` or `NOT rossi`, is answered by its few exceptions."""
        segments = self._segment_matches(text, group_ids, patience)
        matched = sum(segment.count() for segment in segments)
        if matched > SHORT_RESULT:
            unmatched = _newest_first(segment.unmatched_ids() for segment in segments)
            if len(unmatched) < matched:
                return Matches(ids=None, unmatched_ids=unmatched)
        return Matches(ids=_newest_first(segment.matching_ids() for segment in segments))

    def _segment_matches(self, text: str, group_ids: Iterable[int] | None,
                         patience: Patience) -> list[SegmentMatch]:
        node = route_group_clauses(parse(text))
        try:
            self.sync(lock_timeout=patience.lock_wait, rebuild_limit=patience.rebuild_limit)
        except TimeoutError:
            raise SearchIndexBusy() from None
        state = self._read_state()
        if state is None:
            raise SearchIndexBusy()  # of another format, searched inside a transaction
        reader = self._current_reader(state["generation"])
        group_names = GroupNames()
        scope_terms = None if group_ids is None else [str(g).encode("utf-8") for g in group_ids]
        lexicons = self._lexicon_directory(state["generation"], reader)
        deadline = time.monotonic() + REGEX_SECONDS
        segments = []
        for leaf, _offset in reader.leaf_readers():
            if leaf.doc_count_all() == 0:
                continue  # an index without any segment yet
            ctx = q.SegmentContext(leaf, lexicon_directory=lexicons)
            ctx.group_names = group_names
            ctx.deadline = deadline
            segment = SegmentMatch(ctx, self._pk_array(state["generation"], leaf), scope_terms)
            segment.set_matching(node.docs(ctx))
            segments.append(segment)
        return segments

    def _lexicon_directory(self, generation: str, reader) -> Path:
        """Where the segments' term lexicons are saved (see lexicon.py); the first search with
        a new set of segments removes the files of segments merged away."""
        directory = self.directory / generation / LEXICON_DIRECTORY
        segment_ids = frozenset(leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()
                                if leaf.segment() is not None)
        if segment_ids != self._lexicon_segments:
            if directory.is_dir():
                remove_other_lexicon_files(directory, segment_ids)
            self._lexicon_segments = segment_ids
        return directory

    def _pk_array(self, generation: str, leaf) -> array:
        """Account id of each document of a segment (segments never change once written)."""
        key = (generation, leaf.segment().segment_id())
        if key not in self._pk_arrays:
            self._pk_arrays[key] = _read_pk_column(leaf)
        return self._pk_arrays[key]

    # Checking

    def check(self) -> CheckReport:
        """Compare the index with the database, after applying the change log.

        A difference is confirmed by applying the log once more and looking again, so a change
        committed while the check ran is not reported.
        """
        report = self._compare()
        if report.difference_count:
            self.sync()
            report = self._compare()
        return report

    def _compare(self) -> CheckReport:
        self.sync()
        state = self._read_state()
        with self._open(state["generation"]).reader() as reader:
            indexed: dict[int, int] = {}
            duplicated: set[int] = set()
            for leaf, _offset in reader.leaf_readers():
                if leaf.doc_count_all() == 0:
                    continue
                pks = leaf.column_reader("pk")
                fingerprints = leaf.column_reader("fingerprint")
                deleted = leaf.deleted_docs_set if leaf.has_deletions() else frozenset()
                for docnum in range(leaf.doc_count_all()):
                    if docnum in deleted:
                        continue
                    pk = pks[docnum]
                    if pk in indexed:
                        duplicated.add(pk)
                    indexed[pk] = fingerprints[docnum]
        report = CheckReport(duplicated=sorted(duplicated))
        with transaction.atomic():
            for row in account_rows():
                report.accounts += 1
                fingerprint = indexed.pop(row["id"], None)
                if fingerprint is None:
                    report.missing.append(row["id"])
                elif fingerprint != account_fingerprint(row):
                    report.stale.append(row["id"])
        report.extra = sorted(indexed)
        return report


def _read_pk_column(leaf) -> array:
    """The `pk` column of a segment as an array, read in one piece.

    Whoosh's column reader unpacks one value per Python call (a second for a 250,000-document
    segment); its numeric column is the big-endian 64-bit values of the documents in order,
    the trailing documents left at the default (0) not written.
    """
    reader = leaf.column_reader("pk", translate=False)
    if not isinstance(reader, columns.NumericColumn.Reader) or reader._typecode != "q":
        return array("q", reader)
    values = array("q")
    values.frombytes(reader._dbfile.get(reader._basepos, reader._count * reader._fixedlen))
    if sys.byteorder == "little":
        values.byteswap()
    values.extend(itertools.repeat(reader._default, leaf.doc_count_all() - len(values)))
    return values


def save_lexicons(path: Path) -> None:
    """Save the term lexicon of every searchable field of every segment of the index
    generation at `path` that has none yet (see lexicon.py), so that no search after a rebuild
    (or a bulk apply) has to read a million-term field from the term file."""
    names = [name for name, kind in search_schema().items() if kind.indexed
             and name not in ("account_id", "group_id", q.HAS_FIELD) and name not in q.PAIR_FIELDS]
    with whoosh_index.open_dir(str(path)).reader() as reader:
        for leaf, _offset in reader.leaf_readers():
            if leaf.segment() is None:
                continue  # an index without any segment yet
            for name in names:
                target = lexicon_path(path / LEXICON_DIRECTORY, leaf.segment().segment_id(), name)
                if not target.exists():
                    save_lexicon(read_lexicon(leaf, name, keep_postings=q.keeps_postings(name)),
                                 target)


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
    """Worker task: apply pending changes so searches do not have to (returns accounts applied)."""
    return get_index().sync()
