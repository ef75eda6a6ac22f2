"""The search change log: which accounts changed since an index last looked.

Account services call `record_account_change` inside the transaction of every change, so a
change and its log row commit (or roll back) together.

Reading the log safely is the subtle part. Row ids come from a sequence when a row is *inserted*,
but transactions *commit* in another order, so "every id above the last one seen" can skip a row
whose transaction was still open. On PostgreSQL each row therefore also carries the id of the
transaction that wrote it (`txid`, filled by a column default, see migration 0002_search), and a
reader keeps a *horizon*: the oldest transaction still running when it last read (the snapshot's
xmin). Every transaction older than the horizon had finished, so its rows were already seen; a
reader only ever needs the rows with `txid >= horizon`, and remembers which of those it applied.
On SQLite writers are serialized, commit order is id order, and the position is the last id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from accounts.models import SearchChange


def record_account_change(account_id: int) -> None:
    """Note that account `account_id` changed (or was deleted), for every search index to apply."""
    SearchChange.objects.create(account_id=account_id)


@dataclass
class LogPosition:
    """How far an index has applied the change log.

    `horizon`: PostgreSQL: every transaction id below it had finished when the log was last read;
    SQLite: the last change id applied. `applied`: ids of rows at or above the horizon already
    applied (PostgreSQL only), so they are not applied twice.
    """

    horizon: int = 0
    applied: set[int] = field(default_factory=set)

    def to_json(self) -> dict:
        return {"horizon": self.horizon, "applied": sorted(self.applied)}

    @classmethod
    def from_json(cls, data: dict) -> LogPosition:
        return cls(horizon=int(data.get("horizon", 0)), applied=set(data.get("applied", [])))


@dataclass(frozen=True)
class PendingChanges:
    """Change rows not yet applied, and the position to record once they are."""

    account_ids: frozenset[int]
    position: LogPosition

    def __bool__(self) -> bool:
        return bool(self.account_ids)


def uses_transaction_ids() -> bool:
    return connection.vendor == "postgresql"


def current_position() -> LogPosition:
    """The position of a reader that has seen everything committed so far.

    Call inside the transaction that reads the accounts (REPEATABLE READ on PostgreSQL), so the
    position and the account rows come from the same snapshot.
    """
    with connection.cursor() as cursor:
        if uses_transaction_ids():
            cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        else:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_searchchange")
        return LogPosition(horizon=int(cursor.fetchone()[0]))


def pending_changes(position: LogPosition) -> PendingChanges:
    """The accounts changed by rows the `position` has not applied, and the position after them."""
    with connection.cursor() as cursor:
        if uses_transaction_ids():
            # One statement, so the rows and the new horizon come from the same snapshot.
            cursor.execute(
                "SELECT c.id, c.account_id, c.txid, s.xmin FROM "
                "(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin) s "
                "LEFT JOIN accounts_searchchange c ON c.txid >= %s ORDER BY c.id",
                [position.horizon],
            )
            rows = cursor.fetchall()
            new_horizon = int(rows[0][3]) if rows else position.horizon
            account_ids = set()
            applied = set()
            for change_id, account_id, txid, _ in rows:
                if change_id is None:
                    continue
                if change_id not in position.applied:
                    account_ids.add(account_id)
                if txid >= new_horizon:
                    applied.add(change_id)
            return PendingChanges(frozenset(account_ids), LogPosition(new_horizon, applied))
        cursor.execute(
            "SELECT id, account_id FROM accounts_searchchange WHERE id > %s ORDER BY id",
            [position.horizon],
        )
        rows = cursor.fetchall()
        last_id = rows[-1][0] if rows else position.horizon
        return PendingChanges(frozenset(row[1] for row in rows), LogPosition(last_id))
