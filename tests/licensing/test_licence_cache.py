"""The per-process cache of what licence checks read (licensing/clientcache.py): a check of a
remembered account costs no database round trip, and every kind of change reaches the very next
check through the database's notifications.

On PostgreSQL these tests run outside a transaction (the cache is never used inside one). On SQLite
there is no cache: each test then asserts that path (every check reads the database), and the
answers after each change hold all the same.
"""
import os
import re
import time
from dataclasses import fields
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from accounts.services import account_delete, account_set_enabled, account_set_password, account_update
from console.audit import Actor
from licensing.clientcache import CHANNEL, UNTRUSTED, AccountCache, client_cache
from licensing.lookup import ClientAccount
from licensing.models import Licence
from licensing.services import licence_clear, licence_revoke_keys
from tests.conftest import make_account, on_postgresql, requires_postgresql
from tests.licensing.helpers import statements_recorded, validate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_rate_count_writes_due(settings):
    """Rate-limit batches are not written during these tests: they count statements, and a batch
    write (once a second by default) is not what they are about."""
    settings.LICENCE_RATE_FLUSH_SECONDS = 3600


def statements_sent(action) -> list[str]:
    """The statements sent to the database while `action()` runs: on PostgreSQL every one the
    driver sends on this thread's connection (the health check's `SELECT 1` included); on SQLite
    Django's query log."""
    if not on_postgresql():
        with CaptureQueriesContext(connection) as queries:
            action()
        return [query["sql"] for query in queries.captured_queries]
    with statements_recorded(connection) as sent:
        action()
    return sent


def status_of(client, account, device_id: str = "phone-A", password: str | None = None) -> str | int:
    """The answer's status, or the HTTP status when the check is refused."""
    response = validate(client, account.username, device_id, **({"password": password} if password else {}))
    return response.json()["status"] if response.status_code == 200 else response.status_code


def remember(client, account, device_id: str = "phone-A") -> None:
    """Make this process remember `account` as it is now, and check that it does: on PostgreSQL a
    check then sends nothing to the database; on SQLite (no cache) it reads the database.

    Closing the listener is a barrier: whatever the checks so far wrote, the cache then starts
    empty with a new listener, and the next check's read is the one remembered."""
    client_cache.close()
    validate(client, account.username, device_id)
    sent = statements_sent(lambda: validate(client, account.username, device_id))
    if on_postgresql():
        assert sent == [], "a check of a remembered account sent statements"
    else:
        assert sent, "on SQLite every check reads the database"


def bound_and_remembered(client, account, device_id: str = "phone-A") -> None:
    assert status_of(client, account, device_id) == "valid"
    remember(client, account, device_id)


def change_reaches_this_process() -> None:
    """Wait for the notification of the change just committed: it travels from the database to
    the listener asynchronously (well under a millisecond here). SQLite has no cache to tell."""
    if on_postgresql():
        assert client_cache.wait_for_notification(timeout=5), "no notification of the change arrived"


def execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def listener_backend_pids() -> list[int]:
    """The database sessions listening for cache changes (this test process's listener)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = %s",
            [f"LISTEN {CHANNEL}"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_second_validation_of_the_same_account_makes_no_database_query(client, account):
    assert status_of(client, account) == "valid"
    client_cache.close()
    first = statements_sent(lambda: validate(client, account.username, "phone-A"))
    with CaptureQueriesContext(connection) as second_queries:
        second = statements_sent(lambda: validate(client, account.username, "phone-A"))

    assert first, "the first check of an account reads it"
    if on_postgresql():
        assert (second, second_queries.captured_queries) == ([], [])
        assert len(client_cache) == 1
    else:
        assert len(second) == len(first), "SQLite: no cache, every check reads the database"


def test_an_unknown_username_is_never_remembered(client, db):
    for _ in range(3):
        assert statements_sent(lambda: validate(client, "4999999999", "phone-A")), "each check reads the database"
    assert len(client_cache) == 0


def test_a_wrong_password_for_a_remembered_account_costs_what_an_unknown_username_costs(client, account):
    """The time an answer takes tells no one which usernames exist: a remembered account answers
    from memory only to its own password."""
    bound_and_remembered(client, account)

    wrong_password = statements_sent(lambda: validate(client, account.username, "phone-A", password="wrong"))
    unknown_username = statements_sent(lambda: validate(client, "4999999999", "phone-A"))

    assert len(wrong_password) == len(unknown_username) >= 1


def test_a_password_change_refuses_the_old_password_at_the_next_check(client, account, personas):
    bound_and_remembered(client, account)

    account_set_password(actor=Actor.of(personas.operator), account_id=account.pk, password="n3w-pass-word", reason="lost")
    change_reaches_this_process()

    assert status_of(client, account) == 401
    assert status_of(client, account, password="n3w-pass-word") == "valid"


def test_disabling_answers_disabled_at_the_next_check(client, account, personas):
    bound_and_remembered(client, account)

    account_set_enabled(actor=Actor.of(personas.operator), account_id=account.pk, enabled=False)
    change_reaches_this_process()

    assert status_of(client, account) == "disabled"


def test_clearing_a_conflict_binds_the_next_device_at_once(client, account, personas):
    assert status_of(client, account, "phone-A") == "valid"
    assert status_of(client, account, "phone-B") == "conflict"
    remember(client, account, "phone-B")

    licence_clear(actor=Actor.of(personas.operator), account_id=account.pk)
    change_reaches_this_process()

    assert status_of(client, account, "phone-B") == "valid"


def test_revoking_keys_answers_revoked_at_the_next_check(client, account, personas):
    bound_and_remembered(client, account)

    licence_revoke_keys(actor=Actor.of(personas.operator), account_id=account.pk)
    change_reaches_this_process()

    assert status_of(client, account) == "revoked"


def test_moving_the_validity_into_the_past_answers_expired_at_the_next_check(client, account, personas):
    bound_and_remembered(client, account)

    account.refresh_from_db()
    account_update(
        actor=Actor.of(personas.operator), account_id=account.pk, expected_version=account.version, fields={},
        licence_valid_until=timezone.localdate() - timedelta(days=1),
    )
    change_reaches_this_process()

    assert status_of(client, account) == "expired"


def test_a_deleted_account_gets_401_at_the_next_check(client, account, personas):
    bound_and_remembered(client, account)

    account_delete(actor=Actor.of(personas.operator), account_id=account.pk)
    change_reaches_this_process()

    assert status_of(client, account) == 401


def test_a_direct_sql_update_reaches_the_cache_through_the_trigger(client, account):
    bound_and_remembered(client, account)

    execute(f"UPDATE {Account._meta.db_table} SET enabled = false WHERE id = %s", [account.pk])
    change_reaches_this_process()

    assert status_of(client, account) == "disabled"


@requires_postgresql
def test_a_change_behind_a_burst_of_notifications_reaches_the_next_check(client, account):
    """A status change of thousands of accounts notifies each: one read of the listener's socket
    holds about a thousand, and the change behind them must not wait for later checks."""
    bound_and_remembered(client, account)

    execute("SELECT pg_notify(%s, n::text) FROM generate_series(1000000, 1003000) AS n", [CHANNEL])
    execute(f"UPDATE {Account._meta.db_table} SET enabled = false WHERE id = %s", [account.pk])
    change_reaches_this_process()
    time.sleep(0.3)  # the burst and the change travel together: let all of it arrive

    assert status_of(client, account) == "disabled"


@requires_postgresql
def test_a_notification_naming_no_account_empties_the_cache_and_the_check_answers(client, account):
    bound_and_remembered(client, account)

    execute("SELECT pg_notify(%s, %s)", [CHANNEL, "not an account id"])
    change_reaches_this_process()
    sent = statements_sent(lambda: validate(client, account.username, "phone-A"))

    assert sent, "the cache was emptied: the check read the database"
    assert status_of(client, account) == "valid"


def test_the_check_that_changes_a_licence_forgets_it_at_once(client, account):
    """A conflict written by this process: its copy is dropped when the write commits, before any
    notification is read, so the bound device's next check here sees the conflict."""
    bound_and_remembered(client, account, "phone-A")

    assert status_of(client, account, "phone-B") == "conflict"

    assert len(client_cache) == 0
    assert status_of(client, account, "phone-A") == "conflict"


def test_a_refresh_of_last_checked_at_does_not_empty_the_cache(client, account):
    bound_and_remembered(client, account)

    Licence.objects.filter(account=account).update(last_checked_at=timezone.now())

    assert not client_cache.wait_for_notification(timeout=0.5)
    sent = statements_sent(lambda: validate(client, account.username, "phone-A"))
    if on_postgresql():
        assert sent == []
    else:
        assert sent, "SQLite: no cache, every check reads the database"


def test_a_killed_listener_leaves_the_cache_unused_until_a_new_one_listens(client, account):
    bound_and_remembered(client, account)
    if not on_postgresql():
        assert client_cache.lookup(account.username) == UNTRUSTED, "SQLite: no cache, no listener"
        return
    [killed] = listener_backend_pids()
    execute("SELECT pg_terminate_backend(%s, 5000)", [killed])
    # Nobody listens now: no notification of this change reaches the process.
    execute(f"UPDATE {Account._meta.db_table} SET enabled = false WHERE id = %s", [account.pk])

    assert status_of(client, account) == "disabled"
    [listening] = listener_backend_pids()
    assert listening != killed
    # That answer went on the timeline (a licence write): its notification reaches the new listener.
    change_reaches_this_process()
    assert status_of(client, account) == "disabled"
    assert statements_sent(lambda: validate(client, account.username, "phone-A")) == [], "remembered again"


def test_a_forked_process_does_not_trust_what_its_parent_remembered(client, account):
    bound_and_remembered(client, account)
    if not on_postgresql():
        assert client_cache.lookup(account.username) == UNTRUSTED, "SQLite: no cache to inherit"
        return
    readable, writable = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            lookup = client_cache.lookup(account.username)
            report = f"{lookup.account is None} {lookup.generation is not None}"
        except BaseException as error:  # reported to the parent, which asserts
            report = repr(error)
        os.write(writable, report.encode())
        os._exit(0)
    os.waitpid(child, 0)
    report = os.read(readable, 1000).decode()
    os.close(readable)
    os.close(writable)

    assert report == "True True", "the child starts with an empty cache and a listener of its own"
    assert statements_sent(lambda: validate(client, account.username, "phone-A")) == [], "the parent's listener still works"


def test_a_fill_from_a_read_that_a_change_overtook_is_not_stored(client, account):
    bound_and_remembered(client, account)
    client_cache.close()
    read = client_cache.lookup(account.username)  # a check begins its database read ...
    before_the_change = ClientAccount.of(Account.objects.select_related("licence").get(pk=account.pk))
    Licence.objects.filter(account=account).update(keys_revoked=True)  # ... a change commits ...
    change_reaches_this_process()
    client_cache.lookup("4999999999")  # ... and another check applies its notification.

    assert not client_cache.fill(read, before_the_change)
    assert status_of(client, account) == "revoked"
    if not on_postgresql():
        assert read == UNTRUSTED, "SQLite: no cache to fill"


def test_an_account_without_a_licence_is_not_remembered(client, account):
    read = client_cache.lookup(account.username)
    without_licence = ClientAccount(account.pk, account.group_id, account.username, account.ha1, True, None)

    assert not client_cache.fill(read, without_licence)
    if on_postgresql():
        assert client_cache.fill(read, ClientAccount.of(Account.objects.select_related("licence").get(pk=account.pk)))
    else:
        assert read == UNTRUSTED


def test_the_cache_drops_the_least_recently_used_account_beyond_its_size():
    cache = AccountCache()
    first, second, third = (remembered_account(f"400000000{pk}", pk=pk) for pk in (1, 2, 3))
    for account in (first, second):
        assert cache.put(account, generation=cache.generation, max_entries=2)
    cache.get(first.username)

    cache.put(third, generation=cache.generation, max_entries=2)

    assert (cache.get(first.username), cache.get(second.username), cache.get(third.username)) == (first, None, third)


def test_an_account_remembered_again_under_a_new_username_no_longer_answers_to_the_old_one():
    cache = AccountCache()
    before, after = remembered_account("4000000001", pk=7), remembered_account("4000000099", pk=7)
    cache.put(before, generation=cache.generation, max_entries=10)

    cache.put(after, generation=cache.generation, max_entries=10)

    assert (cache.get(before.username), cache.get(after.username)) == (None, after)
    cache.forget_accounts([7])
    assert cache.get(after.username) is None


def test_a_fill_that_raced_with_a_flush_or_a_forget_is_not_stored():
    cache = AccountCache()
    account = remembered_account("4000000001")
    for flush in (cache.clear, lambda: cache.forget(account.username)):
        generation = cache.generation  # the read begins
        flush()  # a notification, or this process's own licence write

        assert not cache.put(account, generation=generation, max_entries=10)
        assert cache.get(account.username) is None
    assert cache.put(account, generation=cache.generation, max_entries=10)
    assert cache.get(account.username) == account


def remembered_account(username: str, pk: int = 1) -> ClientAccount:
    return ClientAccount(pk, 1, username, "0" * 32, True, Licence(state=Licence.State.VALID))


def test_a_notification_naming_an_account_forgets_that_account_only():
    cache = AccountCache()
    first, second = remembered_account("4000000001", pk=1), remembered_account("4000000002", pk=2)
    for account in (first, second):
        cache.put(account, generation=cache.generation, max_entries=10)

    cache.forget_accounts([1, 99])

    assert (cache.get(first.username), cache.get(second.username)) == (None, second)


def test_a_change_to_one_account_leaves_the_others_remembered(client, account, personas):
    """A binding, an operator's change: the notification names its account, and the other
    accounts this process remembers keep answering without the database."""
    other = make_account(personas.group, owner="Anna Verdi")
    assert status_of(client, other) == "valid"
    bound_and_remembered(client, account)
    validate(client, other.username, "phone-A")

    account_set_enabled(actor=Actor.of(personas.operator), account_id=account.pk, enabled=False)
    change_reaches_this_process()

    sent = statements_sent(lambda: validate(client, other.username, "phone-A"))
    if on_postgresql():
        assert sent == [], "the other account was forgotten too"
    else:
        assert sent, "SQLite: no cache, every check reads the database"
    assert status_of(client, account) == "disabled"


def installed_triggers() -> dict[str, str]:
    """The cache's triggers in the database, by name, with their definitions."""
    if on_postgresql():
        sql = "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname LIKE 'licensing_cache_%%'"
    else:
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'licensing_cache_%%'"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def watched_columns(definition: str) -> tuple[set[str], set[str]]:
    """The columns of an `AFTER UPDATE OF ... WHEN (old.x IS DISTINCT FROM new.x OR ...)` trigger:
    those named after OF, and those compared in WHEN (PostgreSQL shows some with a cast)."""
    named = re.search(r"UPDATE OF (.+?) ON ", definition).group(1)
    compared = re.findall(r'old\."?(\w+)"?(?:\)::[\w ]+?)? IS DISTINCT FROM \(?new\."?(\w+)', definition)
    assert all(old == new for old, new in compared)
    return {column.strip().strip('"') for column in named.split(",")}, {old for old, _ in compared}


def statement_watched_columns() -> set[str]:
    """The columns the accounts' statement trigger compares between each old row and the new row of
    the same id (the column it joins them on, and the one it notifies, counted as watched)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'licensing_client_cache_notify_accounts'")
        source = cursor.fetchone()[0]
    joined = re.search(r"ON new_row\.(\w+) = old_row\.(\w+)", source).groups()
    notified = re.search(rf"pg_notify\('{CHANNEL}', old_row\.(\w+)::text\)", source).group(1)
    old, new = re.search(r"\(([\w., ]+)\) IS DISTINCT FROM \(([\w., ]+)\)", source).groups()
    old_columns = [column.strip().removeprefix("old_row.") for column in old.split(",")]
    new_columns = [column.strip().removeprefix("new_row.") for column in new.split(",")]
    assert old_columns == new_columns and joined[0] == joined[1] == notified
    return {*old_columns, notified}


def test_the_triggers_watch_every_column_a_check_reads():
    """Fails when a field is added to Licence, or to what ClientAccount holds, without a migration
    that makes the triggers watch it too."""
    account_columns = {
        (Account._meta.pk if field.name == "pk" else Account._meta.get_field(field.name)).column
        for field in fields(ClientAccount) if field.name != "licence"
    }
    licence_columns = {field.column for field in Licence._meta.concrete_fields if field.name != "last_checked_at"}
    triggers = installed_triggers()
    if not on_postgresql():
        assert triggers == {}, "SQLite: no cache, no triggers"
        return

    account_update = f"AFTER UPDATE ON public.{Account._meta.db_table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
    assert account_update in triggers["licensing_cache_account_update"]
    assert statement_watched_columns() == account_columns
    assert watched_columns(triggers["licensing_cache_licence_update"]) == (licence_columns, licence_columns)
    account_events = f"AFTER DELETE OR TRUNCATE ON public.{Account._meta.db_table} FOR EACH STATEMENT"
    licence_events = f"AFTER INSERT OR DELETE OR TRUNCATE ON public.{Licence._meta.db_table} FOR EACH STATEMENT"
    assert account_events in triggers["licensing_cache_account_delete"]
    assert licence_events in triggers["licensing_cache_licence_change"]
    # An update names its account: the id's column is the row trigger's argument.
    licence_account_column = Licence._meta.get_field("account").column
    assert triggers["licensing_cache_licence_update"].endswith(f"EXECUTE FUNCTION licensing_client_cache_notify('{licence_account_column}')")
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'licensing_client_cache_notify'")
        assert f"pg_notify('{CHANNEL}'," in cursor.fetchone()[0]


@requires_postgresql
def test_while_one_thread_opens_the_listener_the_others_check_against_the_database(client, account, monkeypatch):
    """A database slow to accept connections is a fault these tests cannot cause for real: the
    listener's connection is slowed down by a wrapper. The thread opening it must not hold the
    others (gthread workers share the cache) for the length of the connect."""
    import threading

    from licensing import clientcache

    bound_and_remembered(client, account)
    client_cache.close()
    connecting, release = threading.Event(), threading.Event()
    real_open = clientcache._open_listener

    def slow_open():
        connecting.set()
        assert release.wait(10)
        return real_open()

    monkeypatch.setattr(clientcache, "_open_listener", slow_open)
    opener = threading.Thread(target=lambda: client_cache.lookup(account.username))
    opener.start()
    try:
        assert connecting.wait(10)
        started = time.monotonic()
        assert client_cache.lookup(account.username) == UNTRUSTED
        assert time.monotonic() - started < 1
    finally:
        release.set()
        opener.join(10)
    assert client_cache.lookup(account.username).generation is not None, "listening once the connect is done"
