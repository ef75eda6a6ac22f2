"""Registrations at the SIP server, as the console reads them from Kamailio's `location` table.

Kamailio (usrloc, db_mode 1) writes every accepted REGISTER through to `location` at once.
Its `expires` and `last_modified` columns are timestamps without time zone in the Kamailio
process's local time, so every comparison and every value shown goes through the zone named by
the KAMAILIO_TIME_ZONE setting (default: this machine's local zone).
On SQLite (the embedded default) there is no SIP server and nothing is registered.
"""
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import BooleanField, F, Func, QuerySet, Value
from django.utils import timezone

from console.prepared_statements import PreparedStatement


def sip_server_database() -> bool:
    """Whether the console's database is one Kamailio can share (PostgreSQL)."""
    return connection.vendor == "postgresql"


@cache
def _system_time_zone() -> str:
    # Django points the process's TZ at settings.TIME_ZONE, so the machine's zone is read from
    # the system's zone link rather than from the time module; once a process, as every answer
    # with a registration state needs it (resolving the link was a few hundredths of a millisecond).
    target = os.path.realpath("/etc/localtime")
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"KAMAILIO_TIME_ZONE must name a time zone such as Europe/Rome, not {name!r}") from None


def kamailio_time_zone() -> ZoneInfo:
    """The zone in which Kamailio writes `location` timestamps."""
    return _zone(getattr(settings, "KAMAILIO_TIME_ZONE", "") or _system_time_zone())


def to_kamailio_local(moment: datetime) -> datetime:
    """An aware datetime as the naive local time Kamailio would write for it."""
    return moment.astimezone(kamailio_time_zone()).replace(tzinfo=None)


def from_kamailio_local(value: datetime) -> datetime:
    """A naive `location` timestamp as an aware datetime (the earlier one in a DST fold)."""
    return value.replace(tzinfo=kamailio_time_zone(), fold=0).astimezone(UTC)


# A live contact of the username `{username}` (an SQL expression) at the naive local time of the one parameter.
_LIVE_CONTACT = "EXISTS (SELECT 1 FROM location WHERE location.username = {username} AND location.expires > %s)"


class _HasLiveContact(Func):
    """EXISTS a `location` row for the username expression that expires after `now_local`."""

    arity = 1
    output_field = BooleanField()

    def __init__(self, username, now_local: datetime):
        super().__init__(username)
        self.now_local = now_local

    def as_sql(self, compiler, connection, **extra_context):
        username_sql, params = compiler.compile(self.source_expressions[0])
        return _LIVE_CONTACT.format(username=username_sql), [*params, self.now_local]


def annotate_registered_now(accounts: QuerySet) -> QuerySet:
    """Annotate each account with `registered_now`: whether the SIP server holds a live contact."""
    if not sip_server_database():
        return accounts.annotate(registered_now=Value(False, output_field=BooleanField()))
    return accounts.annotate(registered_now=_HasLiveContact(F("username"), to_kamailio_local(timezone.now())))


# Asked for every account created through the API, prepared once per database session.
_REGISTERED_NOW = PreparedStatement("sip_registered_now", lambda: "SELECT " + _LIVE_CONTACT.format(username="%s"))


def registered_now(username: str) -> bool:
    """Whether the SIP server holds a live contact for `username` (one account's `registered_now`,
    without a query of the account)."""
    if not sip_server_database():
        return False
    with connection.cursor() as cursor:
        _REGISTERED_NOW.execute(cursor, [username, to_kamailio_local(timezone.now())])
        return cursor.fetchone()[0]


def contact_source(received: str | None, contact: str) -> str:
    """The host:port a REGISTER came from: Kamailio's `received` URI, else the contact's host."""
    uri = received or contact
    return uri.split(":", 1)[-1].split(";", 1)[0].split("@")[-1].split(">", 1)[0]


@dataclass(frozen=True)
class Registration:
    """One live contact of an account, as the Registered clients page shows it."""

    account_id: int
    username: str
    owner: str
    caller_id: str
    virtual_number: str
    secondary_number: str | None
    contact: str
    received: str | None
    expires: datetime
    registered_at: datetime
    user_agent: str

    @property
    def source(self) -> str:
        return contact_source(self.received, self.contact)

    @property
    def source_ip(self) -> str:
        source = self.source
        if source.startswith("["):
            return source[1:].split("]", 1)[0]
        return source.rsplit(":", 1)[0] if source.count(":") == 1 else source


_REGISTRATION_COLUMNS = """
    a.id, a.username, a.owner, a.caller_id, a.virtual_number, a.secondary_number,
    l.contact, l.received, l.expires, l.last_modified, l.user_agent
"""


class RegistrationList:
    """The live contacts of the accounts in `accounts` (a queryset), by username then expiry.

    Counts and slices like a queryset, so Django's Paginator pages it with one COUNT and one
    page query.
    """

    def __init__(self, accounts: QuerySet):
        self._accounts_sql, self._accounts_params = accounts.order_by().values("id").query.sql_with_params()
        self._now_local = to_kamailio_local(timezone.now())

    def _from_where(self) -> tuple[str, list]:
        sql = (
            " FROM location l JOIN accounts_account a ON a.username = l.username"
            f" WHERE l.expires > %s AND a.id IN ({self._accounts_sql})"
        )
        return sql, [self._now_local, *self._accounts_params]

    def count(self) -> int:
        from_where, params = self._from_where()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*)" + from_where, params)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Registration]:
        if not isinstance(index, slice):
            raise TypeError("A registration list is read a page (a slice) at a time.")
        start, stop = index.start or 0, index.stop
        from_where, params = self._from_where()
        sql = f"SELECT {_REGISTRATION_COLUMNS}{from_where} ORDER BY a.username, l.expires DESC, l.id"
        if stop is not None:
            sql += " LIMIT %s"
            params.append(max(stop - start, 0))
        sql += " OFFSET %s"
        params.append(start)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [
            Registration(
                account_id=row[0], username=row[1], owner=row[2], caller_id=row[3], virtual_number=row[4],
                secondary_number=row[5], contact=row[6], received=row[7], expires=from_kamailio_local(row[8]),
                registered_at=from_kamailio_local(row[9]), user_agent=row[10],
            )
            for row in rows
        ]


def registrations_of(accounts: QuerySet) -> RegistrationList:
    """The live registrations of `accounts` (PostgreSQL only: see `sip_server_database`)."""
    return RegistrationList(accounts)
