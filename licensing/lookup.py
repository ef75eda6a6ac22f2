"""Counting a licence request against the rate limits and loading the account it names, in one
round trip to the database.

The licence endpoint's cost is mostly the database's. On PostgreSQL one statement, prepared once
per connection, adds the hits (a data-modifying WITH over the rate counters) and reads the
account's credentials with its licence. Elsewhere (the SQLite trial run) two ordinary queries do
the same. A prepared statement outlives migrations on a live connection: restart the app servers
after migrating, as with any schema change.
"""
import re
import weakref

from django.db import connection

from accounts.models import Account
from licensing.models import ClientRateBucket, Licence
from licensing.ratelimit import RateCount, RateDecision, rate_limit_hit

# Every account's username has this form (accounts.models.USERNAME_VALIDATOR).
USERNAME_PATTERN = re.compile(r"[0-9]{6,16}")
# What a licence check reads of the account; the other fields stay deferred.
_ACCOUNT_FIELDS = [field for field in Account._meta.concrete_fields if field.name in {"id", "group", "username", "ha1", "enabled"}]
_LICENCE_FIELDS = list(Licence._meta.concrete_fields)
_STATEMENT = "licensing_count_and_load"
_prepared_on: "weakref.WeakSet" = weakref.WeakSet()


def _prepare_sql() -> str:
    quote = connection.ops.quote_name
    bucket, accounts, licences = (quote(model._meta.db_table) for model in (ClientRateBucket, Account, Licence))
    key, window, hits = quote("key"), quote("window_start"), quote("hits")
    columns = [f"a.{quote(field.column)}" for field in _ACCOUNT_FIELDS] + [f"l.{quote(field.column)}" for field in _LICENCE_FIELDS]
    return (
        f"PREPARE {_STATEMENT} (varchar, bigint, varchar, bigint, varchar) AS "
        f"WITH hit AS (INSERT INTO {bucket} ({key}, {window}, {hits}) VALUES ($1, $2, 1), ($3, $4, 1) "
        f"ON CONFLICT ({key}, {window}) DO UPDATE SET {hits} = {bucket}.{hits} + 1 RETURNING {key}, {hits}) "
        f"SELECT hit.{key}, hit.{hits}, {', '.join(columns)} FROM hit "
        f"LEFT JOIN {accounts} a ON hit.{key} = $1 AND a.{quote('username')} = $5 "
        f"LEFT JOIN {licences} l ON l.{quote('account_id')} = a.{quote('id')}"
    )


def _account_from_row(values: tuple) -> Account | None:
    account_values, licence_values = values[: len(_ACCOUNT_FIELDS)], values[len(_ACCOUNT_FIELDS):]
    if account_values[0] is None:
        return None
    account = Account.from_db(connection.alias, [field.attname for field in _ACCOUNT_FIELDS], account_values)
    if licence_values[0] is not None:
        account.licence = Licence.from_db(connection.alias, [field.attname for field in _LICENCE_FIELDS], licence_values)
    return account


def count_and_load(*, username: str, address: str | None) -> tuple[RateDecision, Account | None]:
    """Count the request of `username` from `address` and load that account (None when there is
    none) with its licence."""
    if not USERNAME_PATTERN.fullmatch(username):
        # No account has this name (and it may hold bytes the database refuses): count the address only.
        return rate_limit_hit(username=None, address=address), None
    if connection.vendor != "postgresql":
        decision = rate_limit_hit(username=username, address=address)
        return decision, Account.objects.select_related("licence").filter(username=username).first()
    count = RateCount.of(username=username, address=address)
    user_key, address_key = count.limits
    with connection.cursor() as cursor:
        if connection.connection not in _prepared_on:
            cursor.execute(_prepare_sql())
            _prepared_on.add(connection.connection)
        cursor.execute(
            f"EXECUTE {_STATEMENT} (%s, %s, %s, %s, %s)",
            [user_key, count.window_start, address_key, count.window_start, username],
        )
        rows = cursor.fetchall()
    account = next((_account_from_row(row[2:]) for row in rows if row[0] == user_key), None)
    return count.decide({row[0]: row[1] for row in rows}), account
