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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from accounts.models import SearchChange


def record_account_change(account_id: int) -> None:
    """Note that account `account_id` changed (or was deleted), for every search index to apply."""
    SearchChange.objects.create(account_id=account_id)


def record_account_changes(account_ids: Iterable[int], batch_size: int = 5000) -> None:
    """`record_account_change` for many accounts at once (batch import), in the caller's transaction."""
    SearchChange.objects.bulk_create((SearchChange(account_id=account_id) for account_id in account_ids), batch_size=batch_size)


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


@dataclass(frozen=True)
class PendingChanges:
    """Accounts named by change rows not yet applied, and the position to record once they are."""

    account_ids: frozenset[int]
    position: LogPosition

    def __bool__(self) -> bool:
        return bool(self.account_ids)


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


def pending_changes(position: LogPosition) -> PendingChanges:
    """The accounts changed by rows `position` has not seen, and the position after them."""
    with connection.cursor() as cursor:
        if uses_transaction_ids():
            # One statement: the rows and the transaction facts come from one snapshot.
            cursor.execute(
                f"SELECT s.running, s.unfinished_from, c.id, c.account_id FROM ({_SNAPSHOT}) s "
                "LEFT JOIN accounts_searchchange c "
                "ON c.id > %s OR c.txid = ANY(%s::bigint[]) OR c.txid >= %s ORDER BY c.id",
                [position.last_id, position.running_transactions, position.unfinished_from],
            )
            rows = cursor.fetchall()
            running, unfinished_from = sorted(rows[0][0]), int(rows[0][1])
            found = [(change_id, account_id) for _, _, change_id, account_id in rows if change_id is not None]
        else:
            cursor.execute("SELECT id, account_id FROM accounts_searchchange WHERE id > %s ORDER BY id",
                           [position.last_id])
            found = cursor.fetchall()
            running, unfinished_from = [], 0
        last_id = max([position.last_id] + [change_id for change_id, _ in found])
        return PendingChanges(frozenset(account_id for _, account_id in found),
                              LogPosition(last_id, running, unfinished_from))
