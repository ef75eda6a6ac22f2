"""Keeping an index in step with the database: applying the change log, rebuilding.

Before every search the process applies the change-log rows its index has not seen (under the
lock, re-reading the accounts they name from the database), so a committed change is always
found. A large backlog goes through the bulk segment writer; a missing index, one of another
format, or one last applied before the log was pruned is rebuilt, and so is one that was never
told about the newest account: an account written without a change-log row (demo data, a
hand-made INSERT) would otherwise be missing from every answer, a wrong "0 accounts match". How
much of that a search does itself is its Patience (index_files.py); past it the search says the
index is being brought up to date.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from pathlib import Path

from django.db import connection
from django.db.models import Count, Max, Min
from whoosh import index as whoosh_index

from accounts.models import Account
from accounts.search import changelog
from accounts.search.engine.documents import account_document, account_rows
from accounts.search.engine.index_files import (
    PATIENT,
    IndexFiles,
    Patience,
    SearchIndexBusy,
)
from accounts.search.engine.lexicon_files import LEXICON_DIRECTORY, save_segment_lexicons
from accounts.search.engine.schema import search_schema
from accounts.search.engine.segment_writer import (
    REBUILD_PROCESSES,
    commit_segments,
    delete_accounts,
    segments_without,
    write_ranges,
)

LOCK_TIMEOUT_SECONDS = 60.0
REBUILD_LOCK_WAIT_SECONDS = 3600.0
DOCS_PER_SEGMENT = 250_000
# From this many changed accounts on, the change log is applied with the bulk segment writer.
BULK_APPLY_MIN_ACCOUNTS = 500
BULK_APPLY_DOCS_PER_PROCESS = 25_000


def sync(files: IndexFiles, patience: Patience = PATIENT) -> int:
    """Apply every committed change the index has not seen; returns how many accounts.

    Raises SearchIndexBusy when that takes more work than `patience` allows (the worker or
    `rebuild_search_index` does it), TimeoutError when another process holds the index lock
    for longer than `patience.lock_wait`.
    """
    if connection.in_atomic_block:
        # Rows written by a transaction still open (maybe this one) must not reach the index:
        # it could roll back. Searching here uses the index as the last committed sync left it.
        _create_empty_if_missing(files, patience.lock_wait)
        return 0
    state = files.read_state()
    if state is not None:
        pending = changelog.pending_changes(changelog.LogPosition.from_json(state["position"]))
        if not pending and not _misses_accounts(state, pending):
            return 0
    with files.locked(patience.lock_wait):
        # Read again under the lock: another process may have rebuilt or applied meanwhile,
        # and a rebuild's position may still leave changes to apply.
        state = files.read_state()
        pending = None if state is None else changelog.pending_changes(
            changelog.LogPosition.from_json(state["position"]))
        if pending is None or pending.needs_rebuild or _misses_accounts(state, pending):
            if patience.work_limit is not None and Account.objects.count() > patience.work_limit:
                raise SearchIndexBusy()
            return _rebuild(files, holding_lock=True, may_fork=patience.may_fork)
        if patience.work_limit is not None and len(pending.account_ids) > patience.work_limit:
            raise SearchIndexBusy()
        if pending:
            _apply(files, state["generation"], pending.account_ids, may_fork=patience.may_fork)
        files.write_state(state["generation"], pending.position, _told_about(state, pending))
        return len(pending.account_ids)


def _highest_account_id() -> int:
    return Account.objects.aggregate(highest=Max("id"))["highest"] or 0


def _told_about(state: dict, pending: changelog.PendingChanges) -> int:
    """The highest account id the index knows of once `pending` is applied."""
    return max(state.get("highest_account_id", 0), max(pending.account_ids, default=0))


def _misses_accounts(state: dict, pending: changelog.PendingChanges) -> bool:
    """Whether an account newer than the index and the pending rows know of reached the
    database without a change-log row: the log names every account it creates."""
    return pending.highest_account_id > _told_about(state, pending)


def _apply(files: IndexFiles, generation: str, account_ids: frozenset[int], *, may_fork: bool) -> None:
    """Re-index the named accounts from their current rows (deleting the missing ones)."""
    if len(account_ids) >= BULK_APPLY_MIN_ACCOUNTS:
        _apply_in_bulk(files, generation, account_ids, may_fork=may_fork)
    else:
        _apply_one_by_one(files, generation, account_ids)


def _apply_one_by_one(files: IndexFiles, generation: str, account_ids: frozenset[int]) -> None:
    """Whoosh's own writer: about a millisecond per account, little fixed cost."""
    writer = files.open(generation).writer(timeout=LOCK_TIMEOUT_SECONDS)
    try:
        delete_accounts(writer, account_ids)
        for row in account_rows(account_ids):
            writer.add_document(**account_document(row))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _apply_in_bulk(files: IndexFiles, generation: str, account_ids: frozenset[int], *, may_fork: bool) -> None:
    """The bulk segment writer: old documents marked deleted, new ones in one new segment,
    published by one commit (so a search sees all of the backlog or none of it).

    A fixed cost of reading every segment's account ids, then a fraction of the per-account
    cost of Whoosh's writer. Runs under the index lock, like every writer of the index.
    """
    whoosh = files.open(generation)
    kept, folded = segments_without(whoosh, account_ids)
    pieces = _pieces(sorted(account_ids.union(folded)), REBUILD_PROCESSES if may_fork else 1)
    commit_segments(whoosh, kept + write_ranges(str(files.path(generation)), pieces))
    save_lexicons(files.path(generation))


def _pieces(sorted_ids: list[int], processes: int) -> list[tuple[int, int, list[int]]]:
    """`sorted_ids` cut into ranges for `write_ranges`: one per BULK_APPLY_DOCS_PER_PROCESS
    accounts, at most `processes`."""
    count = min(processes, max(1, -(-len(sorted_ids) // BULK_APPLY_DOCS_PER_PROCESS)))
    pieces = []
    for piece in range(count):
        ids = sorted_ids[len(sorted_ids) * piece // count:len(sorted_ids) * (piece + 1) // count]
        if ids:
            pieces.append((ids[0], ids[-1] + 1, ids))
    return pieces


def _create_empty_if_missing(files: IndexFiles, lock_timeout: float) -> None:
    """An empty index whose position is the start of the log: everything is still to apply.
    (An index of another format is left as it is for a sync outside a transaction to rebuild.)"""
    with files.locked(lock_timeout):
        if files.read_state(any_format=True) is None:
            generation = files.new_generation()
            whoosh_index.create_in(str(files.path(generation)), search_schema())
            files.write_state(generation, changelog.LogPosition(), 0)


def rebuild(files: IndexFiles) -> int:
    """Build a fresh index from the database and swap it in; returns the account count.

    Searches keep using the previous generation until the new one is complete.
    """
    return _rebuild(files, holding_lock=False, may_fork=True)


def _id_ranges(accounts_per_range: int) -> list[tuple[int, int]]:
    """Account id ranges [low, high) of roughly `accounts_per_range` accounts each."""
    bounds = Account.objects.aggregate(low=Min("id"), high=Max("id"), count=Count("id"))
    if not bounds["count"]:
        return []
    pieces = max(1, -(-bounds["count"] // accounts_per_range))
    span = bounds["high"] + 1 - bounds["low"]
    edges = [bounds["low"] + span * piece // pieces for piece in range(pieces)] + [bounds["high"] + 1]
    return list(itertools.pairwise(edges))


def _rebuild(files: IndexFiles, *, holding_lock: bool, may_fork: bool) -> int:
    generation = files.new_generation()
    path = files.path(generation)
    whoosh_index.create_in(str(path), search_schema())
    try:
        # The position is taken before any account is read: changes committed meanwhile
        # are then applied again by the next sync, which is harmless (it re-reads the rows).
        position = changelog.current_position()
        highest = _highest_account_id()
        ranges = [(low, high, None) for low, high in _id_ranges(DOCS_PER_SEGMENT)]
        segments = write_ranges(str(path), ranges, processes=REBUILD_PROCESSES if may_fork else 1)
        commit_segments(whoosh_index.open_dir(str(path)), segments)
        save_lexicons(path)
        count = sum(segment.doc_count_all() for segment in segments)
        # A rebuild of another process may hold the lock for minutes: wait for it, then
        # publish this (later) generation.
        with (contextlib.nullcontext() if holding_lock else files.locked(REBUILD_LOCK_WAIT_SECONDS)):
            previous = files.read_state(any_format=True)
            files.write_state(generation, position, highest)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    files.remove_generations(previous=None if previous is None else previous["generation"], keep=generation)
    return count


def save_lexicons(path: Path) -> None:
    """Save the term lexicons of every segment of the index generation at `path` that has none
    yet (those a rebuild's or a bulk apply's processes wrote have theirs already)."""
    with whoosh_index.open_dir(str(path)).reader() as reader:
        for leaf, _offset in reader.leaf_readers():
            if leaf.segment() is not None:  # None: an index without any segment yet
                save_segment_lexicons(leaf, path / LEXICON_DIRECTORY)
