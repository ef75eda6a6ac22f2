"""Per-client rate limits of the licence web service (W4): fixed windows counted in the database,
so every web node and worker process shares one count.

Each request counts against two keys: the SIP username it names (whether or not that account
exists: a password-guessing client is slowed down per account) and its source address (a client
rotating usernames is slowed down too; the address limit is higher because many phones may sit
behind one NAT). The counters live in an UNLOGGED table on PostgreSQL: losing them in a crash only
forgives a minute of requests, and it spares every request a WAL flush.
"""
import ipaddress
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection

from licensing.models import ClientRateBucket

TABLE = connection.ops.quote_name(ClientRateBucket._meta.db_table)
_KEY, _WINDOW, _HITS = (connection.ops.quote_name(name) for name in ("key", "window_start", "hits"))


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


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int


@dataclass(frozen=True)
class RateCount:
    """One request to count: its keys with their limits, in the current window."""

    limits: dict[str, int]
    window_start: int
    retry_after: int

    @classmethod
    def of(cls, *, username: str | None, address: str | None, now: float | None = None) -> "RateCount":
        """Count against `username` (None: a name no account can have, counted by address only)
        and `address`."""
        window = max(1, settings.LICENCE_RATE_WINDOW_SECONDS)
        now = time.time() if now is None else now
        window_start = int(now) // window * window
        limits = {}
        if username is not None:
            limits[f"user:{username}"] = settings.LICENCE_RATE_LIMIT_PER_USERNAME
        limits[f"addr:{_address_key(address)}"] = settings.LICENCE_RATE_LIMIT_PER_ADDRESS
        return cls(limits, window_start, max(1, window_start + window - int(now)))

    def upsert(self) -> tuple[str, list]:
        """The statement adding one hit to each key's counter, returning (key, hits) rows."""
        rows = ", ".join(["(%s, %s, 1)"] * len(self.limits))
        params: list = []
        for key in self.limits:
            params += [key, self.window_start]
        sql = (
            f"INSERT INTO {TABLE} ({_KEY}, {_WINDOW}, {_HITS}) VALUES {rows} "
            f"ON CONFLICT ({_KEY}, {_WINDOW}) DO UPDATE SET {_HITS} = {TABLE}.{_HITS} + 1 RETURNING {_KEY}, {_HITS}"
        )
        return sql, params

    def decide(self, counts: dict[str, int]) -> RateDecision:
        allowed = all(counts.get(key, 0) <= limit for key, limit in self.limits.items())
        return RateDecision(allowed, self.retry_after)


def rate_limit_hit(*, username: str | None, address: str | None, now: float | None = None) -> RateDecision:
    """Count one licence request of `username` from `address` and say whether it may proceed."""
    count = RateCount.of(username=username, address=address, now=now)
    sql, params = count.upsert()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return count.decide(dict(cursor.fetchall()))


def rate_buckets_delete_before(*, window_start: int) -> int:
    """Delete the counters of windows that started before `window_start`; returns how many."""
    deleted, _ = ClientRateBucket.objects.filter(window_start__lt=window_start).delete()
    return deleted
