"""Rate-limit hits counted in each process and written in batches (licensing/ratelimit.py).

Two BatchedCounter objects stand for two processes; they write through this test's database
connection, on PostgreSQL and on SQLite alike. Requests through the web service batch on
PostgreSQL outside a transaction only: on SQLite each test asserts that every hit is written at once.
"""
from contextlib import contextmanager

import pytest
from django.db import connection

from licensing import ratelimit
from licensing.models import ClientRateBucket
from licensing.ratelimit import BatchedCounter, RateCount, address_key, username_key
from tests.conftest import make_account, on_postgresql, requires_postgresql
from tests.licensing.helpers import validate

pytestmark = pytest.mark.django_db(transaction=True)

USERNAME = "4000000123"
ADDRESS = "10.0.0.1"
USER_KEY = username_key(USERNAME, ADDRESS)
WINDOW_START = 1_000_000 * 60


class Clock:
    """Seconds a test moves forward by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def request_at(moment: float, address: str = ADDRESS) -> RateCount:
    return RateCount.of(username=USERNAME, address=address, now=moment)


def hits_in_table(key: str, window_start: int) -> int:
    bucket = ClientRateBucket.objects.filter(key=key, window_start=window_start).first()
    return bucket.hits if bucket else 0


@pytest.fixture
def limits(settings):
    settings.LICENCE_RATE_WINDOW_SECONDS = 60
    settings.LICENCE_RATE_LIMIT_PER_USERNAME = 5
    settings.LICENCE_RATE_LIMIT_PER_ADDRESS = 1000
    settings.LICENCE_RATE_FLUSH_SECONDS = 1
    return settings


def test_after_a_flush_each_process_sees_the_others_hits_and_a_client_over_the_limit_gets_429(limits):
    clock = Clock()
    first, second = BatchedCounter(clock), BatchedCounter(clock)
    moment = WINDOW_START + 10

    # Before a flush each process knows only its own hits: together they let 6 through a limit of 5.
    assert [first.count(request_at(moment)).allowed for _ in range(3)] == [True] * 3
    assert [second.count(request_at(moment)).allowed for _ in range(3)] == [True] * 3
    assert hits_in_table(USER_KEY, WINDOW_START) == 0

    clock.now += 1
    # Each flush writes the process's hits and reads the total of every process's.
    assert first.count(request_at(moment)).allowed, "4 written: the other process has not flushed yet"
    assert not second.count(request_at(moment)).allowed, "8 written: it sees the first process's hits"
    assert hits_in_table(USER_KEY, WINDOW_START) == 8

    clock.now += 1
    assert not first.count(request_at(moment)).allowed, "9 written: it sees the second process's hits"
    assert hits_in_table(USER_KEY, WINDOW_START) == 9
    assert hits_in_table(address_key(ADDRESS), WINDOW_START) == 9
    assert not second.count(request_at(moment)).allowed, "over the limit without waiting for a flush"


def test_with_batches_the_limit_is_exact_within_one_process(limits):
    clock = Clock()
    counter = BatchedCounter(clock)
    moment = WINDOW_START + 10

    decisions = [counter.count(request_at(moment)).allowed for _ in range(4)]
    clock.now += 1
    decisions += [counter.count(request_at(moment)).allowed for _ in range(3)]

    assert decisions == [True] * 5 + [False] * 2
    assert hits_in_table(USER_KEY, WINDOW_START) == 5, "the flush wrote every hit counted until then"


def test_the_hits_of_an_ended_window_are_written_and_the_new_window_starts_from_zero(limits):
    counter = BatchedCounter(Clock())
    for _ in range(6):
        counter.count(request_at(WINDOW_START + 10))

    assert counter.count(request_at(WINDOW_START + 60)).allowed

    assert hits_in_table(USER_KEY, WINDOW_START) == 6
    assert hits_in_table(USER_KEY, WINDOW_START + 60) == 1


@pytest.mark.parametrize("flush_seconds", [3600, 0])
def test_a_request_over_the_limit_through_the_service_gets_429_without_waiting_for_a_flush(client, personas, settings,
                                                                                        flush_seconds):
    """Batched (an interval far longer than the test) or written at once (an interval of 0)."""
    settings.LICENCE_RATE_LIMIT_PER_USERNAME = 3
    settings.LICENCE_RATE_FLUSH_SECONDS = flush_seconds
    account = make_account(personas.group)

    statuses = [validate(client, account.username, "phone-A").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429, 429]
    written = sum(ClientRateBucket.objects.filter(key=username_key(account.username, "127.0.0.1")).values_list("hits", flat=True))
    if on_postgresql() and flush_seconds:
        assert written < 5, "the hits of remembered accounts wait for the batch"
    else:
        assert written == 5, "an interval of 0, and SQLite, write every hit at once"


def test_a_process_flooded_with_distinct_keys_writes_the_hits_of_new_ones_at_once(limits, monkeypatch):
    monkeypatch.setattr(ratelimit, "MAX_KEYS_PER_WINDOW", 3)
    counter = BatchedCounter(Clock())
    moment = WINDOW_START + 10
    counter.count(request_at(moment))  # follows this username, address and failure budget: three keys

    for _ in range(6):
        decision = counter.count(RateCount.of(username="4000000999", address="10.0.0.1", now=moment))

    assert not decision.allowed, "exact: the sixth hit of a limit of 5"
    assert hits_in_table(username_key("4000000999", ADDRESS), WINDOW_START) == 6, "written at once, not followed in memory"
    assert hits_in_table(USER_KEY, WINDOW_START) == 0, "a followed key still waits for the batch"


@contextmanager
def counters_locked_elsewhere_past_a_statement_timeout():
    """Another session holds the counter table locked, and this connection's statements give up
    after 200 ms: a batch write then fails as it would against a stuck database."""
    import psycopg2

    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {ClientRateBucket._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 200")
        yield
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


@requires_postgresql
def test_a_batch_the_database_refuses_waits_for_a_later_write_and_the_request_is_answered(limits):
    clock = Clock()
    counter = BatchedCounter(clock)
    moment = WINDOW_START + 10
    assert counter.count(request_at(moment)).allowed

    clock.now += 1
    with counters_locked_elsewhere_past_a_statement_timeout():
        assert counter.count(request_at(moment)).allowed, "decided from the hits this process counted"
    assert hits_in_table(USER_KEY, WINDOW_START) == 0

    clock.now += 0.5
    assert counter.count(request_at(moment)).allowed
    assert hits_in_table(USER_KEY, WINDOW_START) == 0, "no new attempt before a flush interval"

    clock.now += 1
    decisions = [counter.count(request_at(moment)).allowed for _ in range(3)]
    assert hits_in_table(USER_KEY, WINDOW_START) == 4, "the refused hits were written with the next batch"
    assert decisions == [True, True, False]
