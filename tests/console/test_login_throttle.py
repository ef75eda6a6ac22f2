"""Login throttling (O1): a guesser is slowed by growing delays per (username, address) and per
address; the real operator is never locked out from another address, and a colleague behind the
same address waits at most the address's delay. Refused attempts are not counted.

Time passing is simulated by moving the throttle rows' timestamps back, as a clock would."""
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from console.models import AuditEntry, LoginAttempt, LoginThrottle, Operator
from console.throttle import Policy, login_throttles_active
from tests.conftest import PASSWORD, make_operator, requires_postgresql

ATTACKER = "203.0.113.5"
ELSEWHERE = "198.51.100.20"


def _log_in(username: str, password: str = PASSWORD, address: str = ATTACKER, **extra):
    return Client().post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def _let_time_pass(seconds: float) -> None:
    for throttle in LoginThrottle.objects.all():
        throttle.last_failure_at -= timedelta(seconds=seconds)
        throttle.blocked_until -= timedelta(seconds=seconds)
        throttle.save()


def _outcomes() -> list[str]:
    return list(LoginAttempt.objects.order_by("id").values_list("outcome", flat=True))


@pytest.fixture
def policy(settings):
    """A slow first delay, so that a busy machine cannot let one pass in the middle of a test."""
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    settings.LOGIN_DELAY_BASE = 60
    settings.LOGIN_DELAY_MAX = 900
    settings.LOGIN_FAILURE_WINDOW = 86400
    return settings


@pytest.fixture
def admin(db):
    return make_operator("admin", Operator.Role.ADMINISTRATOR)


def test_fifty_wrong_passwords_for_admin_do_not_keep_the_administrator_out(admin, personas, policy):
    responses = [_log_in("admin", f"guess-{n}") for n in range(50)]
    assert [response.status_code for response in responses] == [200] * 5 + [429] * 45
    assert _outcomes() == ["bad_credentials"] * 5 + ["throttled"] * 45
    wait = int(responses[-1]["Retry-After"])
    assert 0 < wait <= 60
    assert f"Too many failed attempts. Wait {wait} seconds and try again." in responses[-1].content.decode()

    assert _log_in("admin", address=ELSEWHERE).status_code == 302, "another address is never slowed"
    assert _log_in("oscar", address=ATTACKER).status_code == 302, "a colleague behind the same address is not slowed"
    refused = _log_in("admin", address=ATTACKER)
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 60
    _let_time_pass(60)
    assert _log_in("admin", address=ATTACKER).status_code == 302


def test_refused_attempts_are_not_counted_and_do_not_push_the_wait_back(admin, policy):
    for n in range(5):
        _log_in("admin", f"guess-{n}")
    throttle = LoginThrottle.objects.get(scope="pair")
    for n in range(30):
        _log_in("admin", f"more-{n}")
    assert LoginThrottle.objects.get(scope="pair").failures == 5
    assert LoginThrottle.objects.get(scope="pair").blocked_until == throttle.blocked_until


def test_each_counted_failure_doubles_the_delay_up_to_the_cap(admin, policy):
    delays = []
    for n in range(12):
        assert _log_in("admin", f"guess-{n}").status_code == 200, n
        throttle = LoginThrottle.objects.get(scope="pair")
        delays.append(round((throttle.blocked_until - throttle.last_failure_at).total_seconds()))
        _let_time_pass(delays[-1])
    assert delays == [0, 0, 0, 0, 60, 120, 240, 480, 900, 900, 900, 900]


def test_the_delay_function_and_the_pace_it_allows():
    policy = Policy(free=5, base=2, cap=900)
    assert [policy.delay_after(k) for k in range(4, 16)] == [0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    # 5 free, then 2+4+...+512 = 1022 s for 9 more, then one every 900 s.
    assert policy.max_attempts(3600) == 5 + 9 + (3600 - 1022) // 900
    assert policy.max_attempts(10 * 3600) - policy.max_attempts(9 * 3600) == 4


def test_the_username_is_counted_in_any_case(admin, policy):
    for username in ("admin", "ADMIN", "Admin", "aDmin", "admiN"):
        _log_in(username, "wrong-password")
    assert _log_in("admin").status_code == 429


def test_many_usernames_from_one_address_slow_that_address_only(personas, policy):
    for n in range(20):
        assert _log_in(f"guess{n}", "wrong-password").status_code == 200
    refused = _log_in("oscar")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert _log_in("oscar", address=ELSEWHERE).status_code == 302
    _let_time_pass(60)
    assert _log_in("oscar").status_code == 302


def test_a_success_clears_the_pair_but_not_the_address(personas, policy):
    for _ in range(4):
        _log_in("oscar", "wrong-password")
    assert _log_in("oscar").status_code == 302
    assert not LoginThrottle.objects.filter(scope="pair", failures__gt=0).exists()
    assert LoginThrottle.objects.get(scope="address").failures == 4


def test_a_throttle_is_forgotten_a_window_after_its_last_failure(admin, policy):
    for n in range(8):
        _log_in("admin", f"guess-{n}")
        _let_time_pass(3600)
    _let_time_pass(policy.LOGIN_FAILURE_WINDOW - 3600 + 1)
    assert login_throttles_active().count() == 0
    assert _log_in("admin", "still-wrong").status_code == 200
    assert LoginThrottle.objects.get(scope="pair").failures == 1


def test_a_deactivated_operator_s_right_password_is_not_a_failure(personas, policy):
    Operator.objects.filter(pk=personas.operator.pk).update(is_active=False)
    for _ in range(10):
        assert _log_in("oscar").status_code == 200
    assert not LoginThrottle.objects.filter(failures__gt=0).exists()


def test_x_forwarded_for_is_ignored_unless_behind_a_proxy(admin, policy):
    for n in range(5):
        _log_in("admin", f"guess-{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert set(LoginAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert _log_in("admin", HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 429, "a forged header does not dodge the throttle"


def test_behind_a_proxy_the_address_the_proxy_saw_counts(admin, policy):
    policy.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxy = "10.0.0.2"
    for n in range(5):
        _log_in("admin", f"guess-{n}", address=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}")
    assert set(LoginAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    # Only the address the proxy appended (the last one) counts: a client cannot choose it.
    assert _log_in("admin", address=proxy, HTTP_X_FORWARDED_FOR=f"{ELSEWHERE}, {ATTACKER}").status_code == 429
    assert _log_in("admin", address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 302


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_parallel_guesses_gets_no_more_than_the_free_attempts(policy):
    make_operator("admin", Operator.Role.ADMINISTRATOR)
    statuses: list[int] = []
    start = threading.Barrier(12)

    def guess(n: int) -> None:
        try:
            start.wait()
            statuses.append(_log_in("admin", f"guess-{n}").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [429] * 7
    assert LoginAttempt.objects.filter(outcome="bad_credentials").count() == 5


def test_administrators_see_and_clear_throttles_and_the_clearing_is_audited(admin, personas, client_for, policy):
    for n in range(5):
        _log_in("admin", f"guess-{n}")
    page = client_for(personas.administrator).get(reverse("login_throttle_list")).content.decode()
    assert ATTACKER in page and "admin" in page and "waits until" in page
    pair = LoginThrottle.objects.get(scope="pair")
    response = client_for(personas.administrator).post(reverse("login_throttle_clear", args=[pair.pk]), follow=True)
    assert f"The throttle of admin from {ATTACKER} was cleared." in response.content.decode()
    assert not LoginThrottle.objects.filter(pk=pair.pk).exists()
    entry = AuditEntry.objects.get(action="login_throttle.clear")
    assert (entry.actor, entry.object_repr, entry.before["failures"]) == (personas.administrator, f"admin from {ATTACKER}", 5)
    assert _log_in("admin").status_code == 302


def test_the_worker_prunes_throttles_that_no_longer_count(admin, policy):
    from console.throttle import login_throttles_prune

    _log_in("admin", "wrong")
    assert login_throttles_prune() == 0
    _let_time_pass(policy.LOGIN_FAILURE_WINDOW + 1)
    assert login_throttles_prune() == 2
    assert not LoginThrottle.objects.exists()
