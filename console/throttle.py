"""Login throttling (O1): growing delays that slow a guesser without locking out the operator.

Two throttles apply to each attempt: the pair (username, address) and the address alone (any
username). After `free` counted failures, the next attempt waits `base` seconds, doubled with
each further failure, at most `cap`; an attempt refused for waiting is not counted, so nobody can
keep a throttle closed by knocking on it. A correct password from another address is never
refused because of failures elsewhere; a colleague behind the same address waits at most the
address's delay. A throttle is forgotten `LOGIN_FAILURE_WINDOW` seconds after its last failure.

An attempt runs inside one transaction that locks its throttle rows, so parallel guesses from
one address are checked one after the other, each seeing the failures before it.
"""
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from console.models import LoginThrottle

T = TypeVar("T")
MAX_DOUBLINGS = 30


class Verdict(enum.Enum):
    """What an attempt means for the throttles."""

    SUCCESS = "success"  # signed in: the pair's failures are forgotten
    FAILURE = "failure"  # a wrong password or code: counted for the pair and the address
    NEUTRAL = "neutral"  # a step that is neither (the password was right, a code is still due)


@dataclass(frozen=True)
class Policy:
    """When an attempt may follow `failures` counted failures."""

    free: int
    base: float
    cap: float

    def delay_after(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.base * 2 ** min(failures - self.free, MAX_DOUBLINGS), self.cap)

    def max_attempts(self, seconds: float) -> int:
        """The most attempts a guesser who never waits longer than needed makes in `seconds`
        from a fresh throttle (every attempt failing, each as soon as it is allowed)."""
        elapsed, attempts = 0.0, 0
        while elapsed <= seconds:
            attempts += 1
            elapsed += self.delay_after(attempts)
        return attempts


def pair_policy() -> Policy:
    return Policy(free=settings.LOGIN_FAILURE_LIMIT, base=settings.LOGIN_DELAY_BASE, cap=settings.LOGIN_DELAY_MAX)


def address_policy() -> Policy:
    return Policy(free=settings.LOGIN_ADDRESS_FAILURE_LIMIT, base=settings.LOGIN_DELAY_BASE, cap=settings.LOGIN_DELAY_MAX)


@dataclass(frozen=True)
class Refused:
    """The attempt was not made: wait `retry_after` seconds."""

    retry_after: int


@dataclass(frozen=True)
class Attempt(Generic[T]):
    verdict: Verdict
    result: T


def _keys(username: str, address: str | None) -> list[tuple[str, str, str, Policy]]:
    address = address or ""
    return [
        (LoginThrottle.Scope.ADDRESS, "", address, address_policy()),
        (LoginThrottle.Scope.PAIR, username.lower()[:150], address, pair_policy()),
    ]


def _lock(keys, now: datetime) -> list[LoginThrottle]:
    """The throttle rows of an attempt, created when missing and locked until the attempt ends:
    even the first guesses of a burst wait for each other. Always locked in one order (address,
    then pair), so two attempts never deadlock."""
    rows = []
    for scope, username, address, _ in keys:
        locked = None
        while locked is None:  # again if a concurrent success deleted the row between the two steps
            row, _ = LoginThrottle.objects.get_or_create(
                scope=scope, username=username, address=address, defaults={"last_failure_at": now, "blocked_until": now},
            )
            locked = LoginThrottle.objects.select_for_update().filter(pk=row.pk).first()
        rows.append(locked)
    return rows


def _count_failure(rows: list[LoginThrottle], policies: list[Policy], now: datetime) -> None:
    forgotten_before = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    for row, policy in zip(rows, policies):
        row.failures = 1 if row.last_failure_at < forgotten_before else row.failures + 1
        row.last_failure_at = now
        row.blocked_until = now + timedelta(seconds=policy.delay_after(row.failures))
        row.save(update_fields=["failures", "last_failure_at", "blocked_until"])


def attempt_throttled(*, username: str, address: str | None, attempt: Callable[[], Attempt[T]]) -> T | Refused:
    """Run `attempt` unless a throttle of (username, address) or of the address says wait, and
    count its verdict. One transaction: the attempt's own writes commit with the count."""
    keys = _keys(username, address)
    with transaction.atomic():
        rows = _lock(keys, timezone.now())
        now = timezone.now()
        forgotten_before = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
        wait = max(((row.blocked_until - now).total_seconds() for row in rows if row.last_failure_at >= forgotten_before), default=0)
        if wait > 0:
            return Refused(retry_after=math.ceil(wait))
        outcome = attempt()
        if outcome.verdict is Verdict.FAILURE:
            _count_failure(rows, [policy for *_, policy in keys], now)
        elif outcome.verdict is Verdict.SUCCESS:
            rows[1].delete()
        return outcome.result


def login_throttles_active():
    """The throttles that still count: failures within LOGIN_FAILURE_WINDOW, newest first."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    return LoginThrottle.objects.filter(failures__gt=0, last_failure_at__gte=since)


def login_throttles_prune() -> int:
    """Worker task: delete the throttles that no longer count (or never counted a failure)."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    deleted, _ = LoginThrottle.objects.filter(last_failure_at__lt=since).delete()
    return deleted

