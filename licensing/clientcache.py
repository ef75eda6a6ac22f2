"""What licence checks read of an account, remembered in this process and kept true by the database.

A licence check reads an account's credentials with its licence (lookup.ClientAccount). On
PostgreSQL, outside a transaction, each process remembers them by username (at most
LICENCE_CACHE_ENTRIES, the least recently used dropped first; 0 turns the cache off), so a client
that checks again costs no database round trip. An unknown username and an account without a
licence are never remembered.

Nothing that writes has to remember the cache: triggers (migration 0003_client_cache_triggers)
send a notification on CHANNEL whenever a column a check reads changes in accounts or licences,
whoever writes it (a service, a bulk update, psql), except licences' `last_checked_at`, the
once-a-minute bookkeeping of checks themselves. Each process keeps one database connection of its
own that LISTENs on CHANNEL; before every lookup it reads what has reached that connection (a
non-blocking read of its socket) and forgets the accounts named there (a change of one account or
licence names its account; a deletion or new licences empty the whole cache). A listener that
is missing, broken or inherited from a parent process empties the cache and leaves it unused until
a new one listens: checks then read the database as they do without a cache, and never fail for it.

A notification reaches the other processes shortly after the change commits (well under a
millisecond on one machine): a check that starts within that moment may still answer from before
the change. A read that overlaps a change cannot bring the old data back after the flush: a read's
account is stored only when no flush happened since the read began (the generation). A listener
the server ends, or a restarted server, is noticed at the next lookup; a network path to the
database that fails silently (no reset) only when TCP keepalives give up, about a minute and a half,
during which changes made elsewhere may go unnoticed here.

The listening connection is one more connection per process (per gunicorn worker), idle: count it in
PostgreSQL's max_connections. A pooler between the app and the database must keep sessions.
"""
import logging
import os
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg2
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

if TYPE_CHECKING:
    from licensing.lookup import ClientAccount

logger = logging.getLogger(__name__)

# The notification channel of migration 0003_client_cache_triggers.
CHANNEL = "licensing_client_cache"
# After a failed attempt to open the listener, checks read the database this long before the next.
LISTEN_RETRY_SECONDS = 5.0
# A listener whose network path fails silently is noticed within about a minute and a half
# (30 s idle, then 6 unanswered probes 10 s apart).
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 6}
# Connections inherited from a parent process: kept referenced, because closing one (or letting it
# be garbage-collected) would end the parent's session on the shared socket.
_inherited_listeners: list = []


@dataclass(frozen=True, slots=True)
class CacheLookup:
    """The remembered account (None: not remembered) and the generation a fill from a database read
    started now must present (None: the cache cannot be trusted now; read, but do not fill)."""

    account: "ClientAccount | None"
    generation: int | None


UNTRUSTED = CacheLookup(None, None)


class AccountCache:
    """Accounts by username, least recently used dropped first. `generation` grows with every
    flush and every forgotten entry, so a fill can tell whether one happened since its read began.
    Not thread-safe by itself: ClientCache holds the lock."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, ClientAccount] = OrderedDict()
        self._usernames: dict[int, str] = {}  # by account id, as notifications name accounts
        self.generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, username: str) -> "ClientAccount | None":
        account = self._entries.get(username)
        if account is not None:
            self._entries.move_to_end(username)
        return account

    def put(self, account: "ClientAccount", *, generation: int, max_entries: int) -> bool:
        """Remember `account` unless a flush happened since `generation` was handed out; returns
        whether it was stored."""
        if generation != self.generation or max_entries <= 0:
            return False
        previous_username = self._usernames.get(account.pk)
        if previous_username is not None and previous_username != account.username:
            # Renamed since it was remembered: the old name must not answer any more.
            self._entries.pop(previous_username, None)
        self._entries[account.username] = account
        self._entries.move_to_end(account.username)
        self._usernames[account.pk] = account.username
        while len(self._entries) > max_entries:
            _, dropped = self._entries.popitem(last=False)
            self._unmap(dropped)
        return True

    def forget(self, username: str) -> None:
        account = self._entries.pop(username, None)
        if account is not None:
            self._unmap(account)
        self.generation += 1

    def _unmap(self, account: "ClientAccount") -> None:
        if self._usernames.get(account.pk) == account.username:
            del self._usernames[account.pk]

    def forget_accounts(self, account_ids: Iterable[int]) -> None:
        """Forget the accounts of these ids (a username may have changed since it was remembered)."""
        for account_id in account_ids:
            username = self._usernames.pop(account_id, None)
            if username is not None:
                self._entries.pop(username, None)
        self.generation += 1

    def clear(self) -> None:
        self._entries.clear()
        self._usernames.clear()
        self.generation += 1


class ClientCache:
    """This process's AccountCache and the listener that keeps it true. Thread-safe (gthread
    workers share one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts = AccountCache()
        self._listener = None
        self._listener_pid: int | None = None
        self._retry_at = 0.0
        self._connecting_pid: int | None = None  # the process one of whose threads is connecting

    def lookup(self, username: str) -> CacheLookup:
        """Apply the notifications that have arrived, then the remembered account of `username`.
        UNTRUSTED on SQLite, inside a transaction, with the cache turned off or without a listener."""
        if not _cache_applies():
            return UNTRUSTED
        with self._lock:
            if self._listening():
                return CacheLookup(self._accounts.get(username), self._accounts.generation)
            if not self._may_start_listening():
                return UNTRUSTED
            self._connecting_pid = os.getpid()
        # Connecting may take up to its timeout: meanwhile the other threads of this process
        # check against the database instead of waiting for the lock.
        listener = _listener_or_none()
        with self._lock:
            self._connecting_pid = None
            if not self._install(listener):
                return UNTRUSTED
            # Listening before the caller reads the database: what changes after that read is
            # notified, so the read may fill the (empty) cache.
            return CacheLookup(None, self._accounts.generation)

    def fill(self, lookup: CacheLookup, account: "ClientAccount | None") -> bool:
        """Remember `account`, read from the database after `lookup`, unless a flush happened since
        (the read may predate a change) or it has no licence; returns whether it was stored."""
        if lookup.generation is None or account is None or account.licence is None or not _cache_applies():
            return False
        with self._lock:
            return self._accounts.put(account, generation=lookup.generation, max_entries=settings.LICENCE_CACHE_ENTRIES)

    def forget(self, username: str) -> None:
        """Drop `username`'s entry now: this process changed its licence and will not wait for the
        notification."""
        with self._lock:
            self._accounts.forget(username)

    def clear(self) -> None:
        with self._lock:
            self._accounts.clear()

    def close(self) -> None:
        """Empty the cache and stop listening (before the database is dropped, say); the next
        lookup listens again."""
        with self._lock:
            self._stop_listening()
            self._retry_at = 0.0

    def wait_for_notification(self, timeout: float) -> bool:
        """Block until something reaches the listener (a notification, or the news that it broke)
        or `timeout` seconds pass; returns whether something did. For tests and tools: a check
        never waits. The next lookup applies what arrived."""
        with self._lock:
            listener = self._listener
        if listener is None:
            return False
        readable, _, _ = select.select([listener], [], [], timeout)
        return bool(readable)

    def __len__(self) -> int:
        return len(self._accounts)

    def _listening(self) -> bool:
        """Whether a listener of this process is up, with every notification it received applied
        (a broken or inherited one is dropped). The caller holds the lock."""
        if self._listener is not None and (self._listener_pid != os.getpid() or not self._drain()):
            self._stop_listening()
        return self._listener is not None

    def _drain(self) -> bool:
        """Read what reached the listener and forget what it names. False when the
        listener is broken (a server that ends a session sends its reason as a notice first)."""
        listener = self._listener
        try:
            # One poll reads one buffer of the socket (about a thousand notifications): read on
            # while more has arrived, so a burst cannot hide the change behind it.
            listener.poll()
            while select.select([listener], [], [], 0)[0]:
                listener.poll()
        except (psycopg2.Error, OSError, ValueError):
            return False
        if listener.closed or listener.notices:
            return False
        if listener.notifies:
            payloads = {notification.payload for notification in listener.notifies}
            listener.notifies.clear()
            self._apply(payloads)
        return True

    def _apply(self, payloads: set[str]) -> None:
        """Forget the accounts the notifications name; an empty one (a deletion, new licences),
        or one that names no account id (anyone may notify on the channel), means every account."""
        if all(payload.isascii() and payload.isdigit() for payload in payloads):
            self._accounts.forget_accounts(map(int, payloads))
        else:
            self._accounts.clear()

    def _may_start_listening(self) -> bool:
        """Whether this thread may open the listener: no other thread of this process is opening
        one, and no attempt failed less than LISTEN_RETRY_SECONDS ago. The caller holds the lock."""
        return self._connecting_pid != os.getpid() and time.monotonic() >= self._retry_at

    def _install(self, listener) -> bool:
        """Make `listener` this process's (None: the attempt failed; try again later). The cache
        starts empty: nothing remembered before was watched meanwhile. The caller holds the lock."""
        self._accounts.clear()
        if listener is None:
            self._retry_at = time.monotonic() + LISTEN_RETRY_SECONDS
            return False
        self._stop_listening()
        self._listener, self._listener_pid = listener, os.getpid()
        return True

    def _stop_listening(self) -> None:
        self._accounts.clear()
        listener, self._listener = self._listener, None
        if listener is None:
            return
        if self._listener_pid == os.getpid():
            listener.close()
        else:
            _inherited_listeners.append(listener)


def _cache_applies() -> bool:
    db = connections[DEFAULT_DB_ALIAS]
    return db.vendor == "postgresql" and not db.in_atomic_block and settings.LICENCE_CACHE_ENTRIES > 0


def _listener_or_none():
    """A new listener, or None (logged) when the database cannot be reached."""
    try:
        return _open_listener()
    except psycopg2.Error as error:
        logger.warning("Licence checks read the database without a cache: cannot listen for changes (%s)", error)
        return None


def _open_listener():
    """A connection of its own (not Django's, which Django may close between requests), with
    Django's parameters, in autocommit, listening on CHANNEL."""
    parameters = connections[DEFAULT_DB_ALIAS].get_connection_params()
    parameters.pop("cursor_factory", None)
    parameters.setdefault("connect_timeout", 5)
    listener = psycopg2.connect(**{**_KEEPALIVES, **parameters})
    try:
        listener.autocommit = True
        with listener.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
    except psycopg2.Error:
        listener.close()
        raise
    return listener


client_cache = ClientCache()
