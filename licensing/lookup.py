"""Counting a licence request against the rate limits and loading the account it names: on
PostgreSQL, usually without a round trip to the database, and otherwise in one.

On PostgreSQL, outside a transaction, a check asks this process's cache first
(licensing.clientcache: remembered accounts, each forgotten when the database notifies a change to
what a check reads of it) and counts the request in this process's batch of rate-limit hits
(licensing.ratelimit, written once a second or so). A check of a remembered account with its
password, with no batch due, therefore sends nothing to the database.

A check the cache cannot answer (an account not remembered, a wrong password, or no cache: inside
a transaction, no listener) sends one statement, prepared once per connection, that adds the hits
(a data-modifying WITH over the rate counters) and reads the account's credentials with its
licence; a read outside a transaction then fills the cache. That statement is also the connection's health check
(CONN_HEALTH_CHECKS), so such a check that changes nothing is one round trip. Elsewhere (the SQLite
trial run) two ordinary queries do the same and nothing is remembered. A prepared statement
outlives migrations on a live connection: restart the app servers after migrating, as with any
schema change. A pooler between the app and the database must keep sessions (pgbouncer's session
pooling, not transaction pooling), for the prepared statement and for the cache's LISTEN.
"""
import re
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections

from accounts.digests import digests_match
from accounts.models import Account
from console.prepared_statements import PreparedStatement
from licensing.clientcache import client_cache
from licensing.models import ClientRateBucket, Licence
from licensing.ratelimit import (
    RateCount,
    RateDecision,
    rate_limit_count,
    rate_limit_decide_written,
    rate_limit_failure,
)

# Every account's username has this form (accounts.models.USERNAME_VALIDATOR).
USERNAME_PATTERN = re.compile(r"[0-9]{6,16}")
_LICENCE_FIELDS = list(Licence._meta.concrete_fields)
_LICENCE_ATTNAMES = [field.attname for field in _LICENCE_FIELDS]


@dataclass(frozen=True, slots=True)
class ClientAccount:
    """What a licence check reads of an account: its SIP credentials and enabled flag, with its
    licence (None when the account has none yet). A plain record rather than an Account instance:
    building a model of 24 fields, most of them deferred, was a measurable share of a check's cost.
    One remembered by licensing.clientcache is shared by this process's checks: of its licence,
    only licence_check's `last_checked_at` refresh writes to it."""

    pk: int
    group_id: int
    username: str
    ha1: str
    enabled: bool
    licence: Licence | None

    @classmethod
    def of(cls, account: Account | None) -> "ClientAccount | None":
        if account is None:
            return None
        try:
            licence = account.licence
        except Licence.DoesNotExist:
            licence = None
        return cls(account.pk, account.group_id, account.username, account.ha1, account.enabled, licence)


# The Account fields ClientAccount holds, in its order (the statement's account columns).
_ACCOUNT_FIELDS = ("id", "group", "username", "ha1", "enabled")
_ACCOUNT_COLUMNS = [Account._meta.get_field(name).column for name in _ACCOUNT_FIELDS]


def _sql() -> str:
    """Adds a hit to the username's key and the address's in the window, reads the username's
    failure budget in that window (only read: a failure adds to it after authentication) and
    loads the account of the username with its licence; its parameters are `_parameters`'."""
    quote = connection.ops.quote_name
    bucket, accounts, licences = (quote(model._meta.db_table) for model in (ClientRateBucket, Account, Licence))
    key, window, hits = quote("key"), quote("window_start"), quote("hits")
    columns = [f"a.{quote(column)}" for column in _ACCOUNT_COLUMNS] + [f"l.{quote(field.column)}" for field in _LICENCE_FIELDS]
    return (
        f"WITH hit AS (INSERT INTO {bucket} ({key}, {window}, {hits}) VALUES (%s, %s, 1), (%s, %s, 1) "
        f"ON CONFLICT ({key}, {window}) DO UPDATE SET {hits} = {bucket}.{hits} + 1 RETURNING {key}, {hits}) "
        f"SELECT hit.{key}, hit.{hits}, (SELECT {hits} FROM {bucket} WHERE {key} = %s AND {window} = %s), "
        f"{', '.join(columns)} FROM hit "
        f"LEFT JOIN {accounts} a ON hit.{key} = %s AND a.{quote('username')} = %s "
        f"LEFT JOIN {licences} l ON l.{quote('account_id')} = a.{quote('id')}"
    )


def _parameters(count: RateCount, username: str) -> list:
    user_key, address_key, failure_key = count.limits
    window = count.window_start
    return [user_key, window, address_key, window, failure_key, window, user_key, username]


_STATEMENT = PreparedStatement("licensing_count_and_load", _sql)


def _account_from_row(alias: str, values: tuple) -> ClientAccount | None:
    account_values, licence_values = values[: len(_ACCOUNT_COLUMNS)], values[len(_ACCOUNT_COLUMNS):]
    if account_values[0] is None:
        return None
    licence = Licence.from_db(alias, _LICENCE_ATTNAMES, licence_values) if licence_values[0] is not None else None
    return ClientAccount(*account_values, licence)


def count_and_load(*, username: str, password: str, address: str | None) -> tuple[RateDecision, ClientAccount | None]:
    """Count the request of `username` from `address` and load that account (None when there is
    none) with its licence. The caller still authenticates: `password` only decides whether a
    remembered account may answer."""
    if not USERNAME_PATTERN.fullmatch(username):
        # No account has this name (and it may hold bytes the database refuses): count the address only.
        return rate_limit_count(username=None, address=address), None
    # The connection itself, not the `connection` proxy: each attribute read through that looks
    # the connection up again.
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        decision = rate_limit_count(username=username, address=address)
        return decision, ClientAccount.of(Account.objects.select_related("licence").filter(username=username).first())
    cached = client_cache.lookup(username)
    if cached.account is not None and digests_match(username, password, cached.account.ha1):
        return rate_limit_count(username=username, address=address), cached.account
    # Not remembered, or a wrong password: the database answers, with the latest credentials. A
    # wrong password thus costs the round trip an unknown username costs, and the time an answer
    # takes tells no one which usernames exist.
    decision, account = _count_and_load_in_one_statement(db, username=username, address=address)
    client_cache.fill(cached, account)
    return decision, account


def count_failure(*, username: str, address: str | None) -> None:
    """Count a failed validation of `username` from `address` (a wrong password, an unknown
    username) against that pair's failure budget; a name no account can have has none."""
    if USERNAME_PATTERN.fullmatch(username):
        rate_limit_failure(username=username, address=address)


def _count_and_load_in_one_statement(db, *, username: str, address: str | None) -> tuple[RateDecision, ClientAccount | None]:
    count = RateCount.of(username=username, address=address)
    user_key, _address_key, failure_key = count.limits
    rows = _execute_as_health_check(db, _parameters(count, username))
    account = next((_account_from_row(db.alias, row[3:]) for row in rows if row[0] == user_key), None)
    totals = {row[0]: row[1] for row in rows}
    totals[failure_key] = rows[0][2] or 0
    return rate_limit_decide_written(count=count, totals=totals), account


def _execute_as_health_check(db, params: list) -> list[tuple]:
    """The prepared statement's rows. With CONN_HEALTH_CHECKS Django sends a `SELECT 1` before the
    first statement of each request on a reused connection; here the statement itself is that
    check: when a reused connection turns out broken it is replaced and the statement sent again.
    (A connection lost after the database ran the statement then counts that request twice against
    the rate limit; an error on a connection still usable, a statement timeout say, is raised.)"""
    unchecked = db.connection is not None and db.health_check_enabled and not db.health_check_done
    db.health_check_done = True
    try:
        return _execute(db, params)
    except (OperationalError, InterfaceError):
        if not unchecked or db.in_atomic_block or db.is_usable():
            raise
        db.close()
        return _execute(db, params)


def _execute(db, params: list) -> list[tuple]:
    with db.cursor() as cursor:
        _STATEMENT.execute(cursor, params)
        return cursor.fetchall()
