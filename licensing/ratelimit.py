"""Per-client rate limits of the licence web service (W4): fixed windows counted in the database,
so every web node and worker process shares one count.

Each request counts against two keys: the SIP username it names from its source address (a client
calling too often gets 429), and its source address alone (a client rotating usernames is slowed
down too; that limit is higher because many phones may sit behind one NAT). A third key is the
failure budget of the username from that address: only a failed validation (a wrong password, an
unknown username) adds to it (rate_limit_failure), and once it is spent every request of that
username from that address is refused, a correct password included, until the window ends. Keyed
by address, neither the request count nor the failure budget of one client can be spent by
another: someone guessing a device's password elsewhere never gets the real device refused. The
counters live in an UNLOGGED table on PostgreSQL: losing them in a crash only forgives a minute of
requests, and it spares every request a WAL flush.

Writing every hit at once would cost each request a round trip. On PostgreSQL, outside a
transaction, a process counts hits in memory (BatchedCounter) and writes them in batches: at most
LICENCE_RATE_FLUSH_SECONDS apart, and when a window ends, one multi-row upsert adds the hits counted
here and returns each key's total in the window, every process's hits included. A request is
allowed when the total known from the last write plus the hits counted here since stays within the
limit. Within one process the limit is exact; across P processes a client may get up to P times a
limit's worth of requests within one flush interval before every process knows. A flush interval of
0, a count inside a transaction and SQLite write each hit at once (rate_limit_hit): exact across
processes, as every count was before batching.
"""
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

from licensing.models import ClientRateBucket

logger = logging.getLogger(__name__)

TABLE = connection.ops.quote_name(ClientRateBucket._meta.db_table)
_KEY, _WINDOW, _HITS = (connection.ops.quote_name(name) for name in ("key", "window_start", "hits"))


_USER_PREFIX, _ADDRESS_PREFIX, _FAILURE_PREFIX = "user:", "addr:", "fail:"
# No textual IP address is longer (an IPv6 address with a zone id included).
_ADDRESS_MAX_LENGTH = 64


def _address_key(address: str | None) -> str:
    """The address in canonical form; anything else (a malformed forwarded header) counts as one
    "unknown" client."""
    address = (address or "").strip()
    return _canonical_address(address) if len(address) <= _ADDRESS_MAX_LENGTH else "unknown"


@lru_cache(maxsize=4096)
def _canonical_address(address: str) -> str:
    """Remembered (the answer depends on the text alone): a client sends many requests from one
    address, and parsing it each time was a measurable share of counting a request."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "unknown"


def username_key(username: str, address: str | None) -> str:
    return f"{_USER_PREFIX}{username}@{_address_key(address)}"


def address_key(address: str | None) -> str:
    return f"{_ADDRESS_PREFIX}{_address_key(address)}"


def failure_key(username: str, address: str | None) -> str:
    return f"{_FAILURE_PREFIX}{username}@{_address_key(address)}"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int


@dataclass(frozen=True)
class RateCount:
    """One request to count: its keys with their limits, in the current window. A `watched` key
    is read, not counted: the request is refused when that key's hits have reached its limit."""

    limits: dict[str, int]
    window_start: int
    retry_after: int
    watched: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, username: str | None, address: str | None, now: float | None = None) -> "RateCount":
        """Count against `username` from `address` (None: a name no account can have, counted by
        address only) and `address`, watching the username's failure budget there."""
        if username is None:
            return cls.in_window({address_key(address): settings.LICENCE_RATE_LIMIT_PER_ADDRESS}, now)
        failures = failure_key(username, address)
        limits = {  # in the order _lock_order locks them
            username_key(username, address): settings.LICENCE_RATE_LIMIT_PER_USERNAME,
            address_key(address): settings.LICENCE_RATE_LIMIT_PER_ADDRESS,
            failures: settings.LICENCE_FAILURE_LIMIT,
        }
        return cls.in_window(limits, now, frozenset([failures]))

    @classmethod
    def failure(cls, *, username: str, address: str | None) -> "RateCount":
        """One failed validation of `username` from `address`, counted against its budget."""
        return cls.in_window({failure_key(username, address): settings.LICENCE_FAILURE_LIMIT})

    @classmethod
    def in_window(cls, limits: dict[str, int], now: float | None = None,
                  watched: frozenset[str] = frozenset()) -> "RateCount":
        window = max(1, settings.LICENCE_RATE_WINDOW_SECONDS)
        now = time.time() if now is None else now
        window_start = int(now) // window * window
        return cls(limits, window_start, max(1, window_start + window - int(now)), watched)

    def hits(self, key: str) -> int:
        """What this request adds to `key`: one, or nothing to a watched key."""
        return 0 if key in self.watched else 1

    def upsert(self) -> tuple[str, list]:
        """The statement adding this request's hits to each key's counter, returning (key, hits) rows."""
        rows = ", ".join(["(%s, %s, %s)"] * len(self.limits))
        params: list = []
        for key in self.limits:
            params += [key, self.window_start, self.hits(key)]
        sql = (
            f"INSERT INTO {TABLE} ({_KEY}, {_WINDOW}, {_HITS}) VALUES {rows} "
            f"ON CONFLICT ({_KEY}, {_WINDOW}) DO UPDATE SET {_HITS} = {TABLE}.{_HITS} + EXCLUDED.{_HITS} "
            f"RETURNING {_KEY}, {_HITS}"
        )
        return sql, params

    def decide(self, counts: dict[str, int]) -> RateDecision:
        """Allowed when every counted key, this request included, is within its limit, and every
        watched key has room for one more (the failure this request may turn out to be)."""
        allowed = all(counts.get(key, 0) + (key in self.watched) <= limit for key, limit in self.limits.items())
        return RateDecision(allowed, self.retry_after)


def rate_limit_hit(*, username: str | None, address: str | None, now: float | None = None) -> RateDecision:
    """Count one licence request of `username` from `address` in the database at once and say
    whether it may proceed: exact across every process."""
    return _hit_at_once(RateCount.of(username=username, address=address, now=now))


def rate_limit_count(*, username: str | None, address: str | None) -> RateDecision:
    """Count one licence request of `username` from `address` and say whether it may proceed: in
    this process's batch where batching applies (see the module docstring), else as rate_limit_hit."""
    count = RateCount.of(username=username, address=address)
    return batched_counter.count(count) if batching_applies() else _hit_at_once(count)


def rate_limit_failure(*, username: str, address: str | None) -> None:
    """Count a failed validation of `username` from `address` against its failure budget, in
    this process's batch where batching applies."""
    count = RateCount.failure(username=username, address=address)
    if batching_applies():
        batched_counter.count(count)
    else:
        _hit_at_once(count)


def rate_limit_decide_written(*, count: RateCount, totals: dict[str, int]) -> RateDecision:
    """The decision for `count`, whose hits the caller has written itself (licensing.lookup's one
    statement), given each key's total in the table after that write."""
    return batched_counter.add_written(count, totals) if batching_applies() else count.decide(totals)


def _hit_at_once(count: RateCount) -> RateDecision:
    sql, params = count.upsert()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return count.decide(dict(cursor.fetchall()))


def batching_applies() -> bool:
    # The connection itself, not the `connection` proxy, which looks it up again for each attribute.
    db = connections[DEFAULT_DB_ALIAS]
    return db.vendor == "postgresql" and not db.in_atomic_block and settings.LICENCE_RATE_FLUSH_SECONDS > 0


# Keys one process follows per window; a request naming a key beyond them is written at once.
MAX_KEYS_PER_WINDOW = 100_000


@dataclass(slots=True)
class _Tally:
    """One key's hits in the current window, as one process knows them."""

    known: int = 0  # in the table at this process's last write: every process's hits
    writing: int = 0  # counted here, in a write under way
    pending: int = 0  # counted here, not written yet

    @property
    def total(self) -> int:
        return self.known + self.writing + self.pending


@dataclass(frozen=True)
class _Batch:
    window_start: int
    hits: dict[str, int]  # the current window's hits, by key
    ended: list[tuple[str, int, int]]  # (key, window_start, hits) of windows that have ended


class BatchedCounter:
    """One process's rate counts of the current window, written in batches; thread-safe (gthread
    workers share one). `clock` (seconds, monotonic) times the flushes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every count not yet written, as a new process starts."""
        with self._lock:
            self._window_start: int | None = None
            self._tallies: dict[str, _Tally] = {}
            self._ended: list[tuple[str, int, int]] = []
            self._flushed_at = self._clock()
            self._writing = False
            self._write_again_at = 0.0  # after a failed write: not before then

    def count(self, count: RateCount) -> RateDecision:
        """Count one request; write this process's batch first when one is due."""
        with self._lock:
            self._enter_window(count.window_start)
            if not self._follows(count):
                batch = None
            else:
                for key in count.limits:
                    self._tallies[key].pending += count.hits(key)
                batch = self._take_batch_if_due()
                if batch is None:
                    return self._decide(count, {})
        if batch is None:
            return self.add_written(count, _upsert([(key, count.window_start, count.hits(key)) for key in count.limits]))
        totals = self._write(batch)
        with self._lock:
            return self._decide(count, totals)

    def add_written(self, count: RateCount, totals: dict[str, int]) -> RateDecision:
        """Learn the totals the caller read when it wrote `count`'s hits at once, and decide.

        A total read here may already hold a batch of this process whose write is still under
        way (counted as `writing` too until it ends): for that moment a key can look one batch
        fuller than it is, which can refuse a request early, never admit one too many."""
        with self._lock:
            self._enter_window(count.window_start)
            if count.window_start == self._window_start:
                for key, total in totals.items():
                    tally = self._tallies.get(key)
                    if tally is None and len(self._tallies) < MAX_KEYS_PER_WINDOW:
                        tally = self._tallies[key] = _Tally()
                    if tally is not None:
                        tally.known = max(tally.known, total)
            return self._decide(count, totals)

    def _decide(self, count: RateCount, written: dict[str, int]) -> RateDecision:
        """From what this process knows of `count`'s keys, or from `written` (totals just read)
        for a key it does not follow in `count`'s window."""
        followed = count.window_start == self._window_start
        totals = {}
        for key in count.limits:
            tally = self._tallies.get(key) if followed else None
            totals[key] = written.get(key, 0) if tally is None else tally.total
        return count.decide(totals)

    def _enter_window(self, window_start: int) -> None:
        """Move to a later window: what was counted of the one that ended is written with the next batch."""
        if self._window_start is not None and window_start <= self._window_start:
            return
        for key, tally in self._tallies.items():
            if tally.pending:
                self._ended.append((key, self._window_start, tally.pending))
        self._window_start, self._tallies = window_start, {}

    def _follows(self, count: RateCount) -> bool:
        """Whether `count` can join the batch: it is of the current window and every key it names
        is followed, or there is room to follow it. (A request that straddled a window's end, or a
        process flooded with distinct keys, is written at once instead.)"""
        if count.window_start != self._window_start:
            return False
        new_keys = [key for key in count.limits if key not in self._tallies]
        if len(self._tallies) + len(new_keys) > MAX_KEYS_PER_WINDOW:
            return False
        for key in new_keys:
            self._tallies[key] = _Tally()
        return True

    def _take_batch_if_due(self) -> _Batch | None:
        """The hits to write now, moved from pending to writing, when the flush interval has passed
        or a window has ended and no other write is under way."""
        now = self._clock()
        if self._writing or now < self._write_again_at or (
                not self._ended and now - self._flushed_at < settings.LICENCE_RATE_FLUSH_SECONDS):
            return None
        hits = {key: tally.pending for key, tally in self._tallies.items() if tally.pending}
        for key in hits:
            tally = self._tallies[key]
            tally.writing, tally.pending = tally.writing + tally.pending, 0
        batch = _Batch(self._window_start, hits, self._ended)
        self._ended, self._flushed_at, self._writing = [], now, True
        return batch

    def _write(self, batch: _Batch) -> dict[str, int]:
        """Write `batch` and learn each key's total. When the database refuses the write (a lock
        held past a statement timeout, a lost connection), its hits wait for the next write, one
        flush interval later, and the request is decided from what this process knows: the
        client whose request happened to be due for the write is not the one to get an error."""
        rows = batch.ended + [(key, batch.window_start, hits) for key, hits in batch.hits.items()]
        try:
            totals = _upsert(rows) if rows else {}
        except BaseException as error:
            with self._lock:
                self._writing = False
                self._requeue(batch)
                self._write_again_at = self._clock() + max(1, settings.LICENCE_RATE_FLUSH_SECONDS)
            if not isinstance(error, DatabaseError):
                raise
            logger.warning("Rate-limit counts not written, kept for the next write: %s", error)
            return {}
        with self._lock:
            self._writing = False
            if batch.window_start == self._window_start:
                for key, hits in batch.hits.items():
                    tally = self._tallies[key]
                    tally.writing -= hits
                    tally.known = max(tally.known, totals.get(key, 0))
        return totals

    def _requeue(self, batch: _Batch) -> None:
        self._ended = batch.ended + self._ended
        for key, hits in batch.hits.items():
            tally = self._tallies.get(key) if batch.window_start == self._window_start else None
            if tally is None:
                self._ended.append((key, batch.window_start, hits))
            else:
                tally.writing, tally.pending = tally.writing - hits, tally.pending + hits


def _lock_order(row: tuple[str, int, int]) -> tuple:
    """Rows are locked window by window, usernames before addresses before failure budgets, as
    RateCount.upsert and licensing.lookup's statement lock them: two writes never wait for each
    other in a circle."""
    key, window_start, _ = row
    return window_start, not key.startswith(_USER_PREFIX), key


def _upsert(rows: list[tuple[str, int, int]]) -> dict[str, int]:
    """Add (key, window start, hits) rows to the counters in one statement; returns each key's
    total in the table, in the latest window the rows name for it."""
    merged: dict[tuple[str, int], int] = {}
    for key, window_start, hits in rows:
        merged[key, window_start] = merged.get((key, window_start), 0) + hits
    ordered = sorted(((key, window_start, hits) for (key, window_start), hits in merged.items()), key=_lock_order)
    values = ", ".join(["(%s, %s, %s)"] * len(ordered))
    sql = (
        f"INSERT INTO {TABLE} ({_KEY}, {_WINDOW}, {_HITS}) VALUES {values} "
        f"ON CONFLICT ({_KEY}, {_WINDOW}) DO UPDATE SET {_HITS} = {TABLE}.{_HITS} + EXCLUDED.{_HITS} "
        f"RETURNING {_KEY}, {_WINDOW}, {_HITS}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in ordered for value in row])
        returned = sorted(cursor.fetchall(), key=lambda row: row[1])
    return {key: hits for key, _, hits in returned}


batched_counter = BatchedCounter()


def rate_buckets_delete_before(*, window_start: int) -> int:
    """Delete the counters of windows that started before `window_start`; returns how many."""
    deleted, _ = ClientRateBucket.objects.filter(window_start__lt=window_start).delete()
    return deleted
