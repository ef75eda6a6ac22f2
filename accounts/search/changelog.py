"""The search change log: which accounts changed since an index last looked.

Account services call `record_account_change` inside the transaction of every change, so a
change and its log row commit (or roll back) together.

Reading the log safely is the subtle part. Row ids come from a sequence when a row is *inserted*,
but transactions *commit* in another order, so "every id above the last one seen" can skip a row
whose transaction was still open when the log was read. On PostgreSQL each row therefore also
carries the id of the transaction that wrote it (`txid`, a column default added by migration
0002_search), and a reader remembers, with the last id it saw, what its snapshot said about
transactions: the ones in progress (`pg_snapshot_xip`) and the first one not yet finished-or-
listed (`pg_snapshot_xmax`; a transaction with a higher id may be running but is not listed).
A row the reader could not see was written by a listed transaction or one at or above that
bound, so the next read asks for `id > last_id OR txid IN running OR txid >= bound` - a handful
of rows, however long some unrelated transaction stays open. (Checked against a writer/reader
race: ids alone, or the in-progress list alone, lose rows; this rule lost none.)
On SQLite writers are serialized, commit order is id order, and the last id is enough.

Pruning (`search_changes_prune`, a worker task) must not make an index silently miss a change.
Deleting by age would: a transaction that stays open for days commits rows with old ids and
timestamps, which an index still expects (its position lists that transaction as running).
So the pruner takes a checkpoint (the position of a reader that has seen everything committed,
see `current_position`) every quarter of SEARCH_CHANGE_LOG_RETENTION, and once a checkpoint is
older than the retention it deletes exactly the rows that checkpoint had seen and marks it
pruned. Rows of transactions still running at the checkpoint stay until a later one. An index
whose position does not cover the newest pruned checkpoint (it was last applied before that
checkpoint was taken) may have lost rows, and rebuilds itself (`PendingChanges.needs_rebuild`);
any index applied within the retention period covers it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import SearchChange, SearchLogCheckpoint
from console.row_batches import full_rows, insert

CHECKPOINTS_PER_RETENTION = 4


def record_account_change(account_id: int) -> None:
    """Note that account `account_id` changed (or was deleted), for every search index to apply."""
    SearchChange.objects.create(account_id=account_id)


def record_account_changes(account_ids: Iterable[int]) -> None:
    """`record_account_change` for many accounts at once (bulk actions, batch import), in the caller's transaction."""
    insert(SearchChange, list(full_rows(SearchChange, ({"account_id": account_id} for account_id in account_ids), with_pk=False)))


@dataclass
class LogPosition:
    """How far an index has applied the change log: the last change id seen and, on PostgreSQL,
    the transactions whose rows may still appear below it (see the module docstring)."""

    last_id: int = 0
    running_transactions: list[int] = field(default_factory=list)
    unfinished_from: int = 0

    def to_json(self) -> dict:
        return {"last_id": self.last_id, "running_transactions": self.running_transactions,
                "unfinished_from": self.unfinished_from}

    @classmethod
    def from_json(cls, data: dict) -> LogPosition:
        return cls(last_id=int(data.get("last_id", 0)),
                   running_transactions=[int(x) for x in data.get("running_transactions", [])],
                   unfinished_from=int(data.get("unfinished_from", 0)))

    def covers(self, earlier: LogPosition) -> bool:
        """Whether every row `earlier` had seen, this position has seen too.

        True whenever this position was taken after `earlier` (a later snapshot has a higher
        bound and lists as running only transactions that were running or unborn before).
        """
        return (self.last_id >= earlier.last_id
                and self.unfinished_from >= earlier.unfinished_from
                and all(txid in earlier.running_transactions or txid >= earlier.unfinished_from
                        for txid in self.running_transactions))


@dataclass(frozen=True)
class PendingChanges:
    """Accounts named by change rows not yet applied, and the position to record once they are.

    `needs_rebuild`: the log was pruned past the position asked about, so rows it had not seen
    may be gone and only a rebuild is sure to catch up (see the module docstring).
    """

    account_ids: frozenset[int]
    position: LogPosition
    needs_rebuild: bool = False
    # The highest account id committed, read in the same snapshot as the rows (PostgreSQL) or
    # before them (SQLite): an account that new has its change row among those read, unless it
    # reached the database without one.
    highest_account_id: int = 0

    def __bool__(self) -> bool:
        return bool(self.account_ids) or self.needs_rebuild


def uses_transaction_ids() -> bool:
    return connection.vendor == "postgresql"


_SNAPSHOT = (
    "SELECT ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(pg_current_snapshot()) AS x) AS running, "
    "pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS unfinished_from"
)


def current_position() -> LogPosition:
    """The position of a reader that has seen everything committed so far.

    Accounts read afterwards (by any statement or process) reflect at least this position.
    """
    with connection.cursor() as cursor:
        if uses_transaction_ids():
            cursor.execute(f"SELECT s.running, s.unfinished_from, "
                           f"(SELECT COALESCE(MAX(id), 0) FROM accounts_searchchange) FROM ({_SNAPSHOT}) s")
            running, unfinished_from, last_id = cursor.fetchone()
            return LogPosition(int(last_id), sorted(running), int(unfinished_from))
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_searchchange")
        return LogPosition(int(cursor.fetchone()[0]))


_HIGHEST_ACCOUNT = "SELECT COALESCE(MAX(id), 0) FROM accounts_account"
_NEWEST_PRUNED = "SELECT position FROM accounts_searchlogcheckpoint WHERE pruned ORDER BY id DESC LIMIT 1"


def pending_changes(position: LogPosition) -> PendingChanges:
    """The accounts changed by rows `position` has not seen, and the position after them."""
    with connection.cursor() as cursor:
        if uses_transaction_ids():
            # One statement: the rows, the transaction facts and the pruning horizon come from
            # one snapshot.
            cursor.execute(
                f"SELECT s.running, s.unfinished_from, s.pruned, s.highest, c.id, c.account_id "
                f"FROM (SELECT *, ({_NEWEST_PRUNED}) AS pruned, ({_HIGHEST_ACCOUNT}) AS highest "
                f"FROM ({_SNAPSHOT}) s0) s "
                "LEFT JOIN accounts_searchchange c "
                "ON c.id > %s OR c.txid = ANY(%s::bigint[]) OR c.txid >= %s ORDER BY c.id",
                [position.last_id, position.running_transactions, position.unfinished_from],
            )
            rows = cursor.fetchall()
            running, unfinished_from, pruned, highest = sorted(rows[0][0]), int(rows[0][1]), rows[0][2], rows[0][3]
            found = [(change_id, account_id) for *_, change_id, account_id in rows if change_id is not None]
        else:
            cursor.execute(_HIGHEST_ACCOUNT)  # before the rows: see PendingChanges.highest_account_id
            highest = cursor.fetchone()[0]
            cursor.execute("SELECT id, account_id FROM accounts_searchchange WHERE id > %s ORDER BY id",
                           [position.last_id])
            found = cursor.fetchall()
            running, unfinished_from = [], 0
            # Read after the rows: a pruning committed in between is then seen (and only makes
            # this reader rebuild), while one seen here cannot have deleted rows read above unseen.
            cursor.execute(_NEWEST_PRUNED)
            pruned = next(iter(cursor.fetchall()), [None])[0]
        last_id = max([position.last_id] + [change_id for change_id, _ in found])
        return PendingChanges(frozenset(account_id for _, account_id in found),
                              LogPosition(last_id, running, unfinished_from),
                              needs_rebuild=pruned is not None and not position.covers(_position_of(pruned)),
                              highest_account_id=int(highest))


def _position_of(stored: str | dict) -> LogPosition:
    """A checkpoint's position as a raw query returns it (JSON text, or already decoded)."""
    return LogPosition.from_json(json.loads(stored) if isinstance(stored, str) else stored)


def retention() -> timedelta:
    return timedelta(seconds=settings.SEARCH_CHANGE_LOG_RETENTION)


def search_changes_prune(*, now: datetime | None = None) -> int:
    """Worker task: take a checkpoint when one is due, delete the rows of a checkpoint older than
    SEARCH_CHANGE_LOG_RETENTION (see the module docstring); returns how many rows it deleted."""
    now = now or timezone.now()
    newest = SearchLogCheckpoint.objects.order_by("-id").values("taken_at", "pruned").first()
    if newest is None or newest["pruned"] or newest["taken_at"] <= now - retention() / CHECKPOINTS_PER_RETENTION:
        SearchLogCheckpoint.objects.create(taken_at=now, position=current_position().to_json())
    return _prune_through_checkpoint_before(now - retention())


def _prune_through_checkpoint_before(cutoff: datetime) -> int:
    with transaction.atomic():
        due = (SearchLogCheckpoint.objects.select_for_update(skip_locked=True)
               .filter(pruned=False, taken_at__lte=cutoff).order_by("-id").first())
        if due is None:
            return 0
        deleted = _delete_rows_seen_by(LogPosition.from_json(due.position))
        due.pruned = True
        due.save(update_fields=["pruned"])
        SearchLogCheckpoint.objects.filter(id__lt=due.id).delete()
        return deleted


def _delete_rows_seen_by(position: LogPosition) -> int:
    """Delete the change rows a reader at `position` had seen (exactly those, see the module docstring)."""
    with connection.cursor() as cursor:
        if uses_transaction_ids():
            cursor.execute("DELETE FROM accounts_searchchange WHERE id <= %s "
                           "AND NOT txid = ANY(%s::bigint[]) AND txid < %s",
                           [position.last_id, position.running_transactions, position.unfinished_from])
        else:
            cursor.execute("DELETE FROM accounts_searchchange WHERE id <= %s", [position.last_id])
        return cursor.rowcount
