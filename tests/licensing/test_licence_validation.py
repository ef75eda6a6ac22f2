"""POST /client/v1/licence (W4, L2): the licence state machine as a client app sees it."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import account_set_enabled, account_update
from console.audit import Actor
from console.models import AuditEntry
from licensing import clientapi
from licensing.models import Licence
from licensing.services import licence_clear, licence_revoke_keys
from tests.conftest import make_account, requires_postgresql
from tests.licensing.helpers import LICENCE_URL, basic, statements_recorded, validate, verify_answer


def licence_of(account) -> Licence:
    return Licence.objects.get(account=account)


def checks_on_timeline(account) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(account_id=account.pk, action="licence.check").order_by("id"))


def test_the_first_device_that_validates_binds_the_licence(client, account):
    response = validate(client, account.username, "phone-A")

    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "valid"
    assert answer["device_id"] == "phone-A"
    assert answer["username"] == account.username
    assert answer["edition"] == "professional"
    assert response["Cache-Control"] == "no-store"
    licence = licence_of(account)
    assert (licence.state, licence.device_id) == (Licence.State.VALID, "phone-A")
    assert licence.bound_at is not None and licence.last_checked_at is not None


def test_the_bound_device_stays_valid_on_later_checks(client, account):
    validate(client, account.username, "phone-A")

    assert validate(client, account.username, "phone-A").json()["status"] == "valid"
    assert licence_of(account).state == Licence.State.VALID


def test_another_device_gets_conflict_and_the_licence_stays_in_conflict_until_cleared(client, account, personas):
    validate(client, account.username, "phone-A")

    assert validate(client, account.username, "phone-B").json()["status"] == "conflict"
    licence = licence_of(account)
    assert (licence.state, licence.device_id, licence.conflict_device_id) == (Licence.State.CONFLICT, "phone-A", "phone-B")
    # Stuck: neither device gets a valid answer until an operator clears the licence.
    assert validate(client, account.username, "phone-A").json()["status"] == "conflict"
    assert validate(client, account.username, "phone-B").json()["status"] == "conflict"

    licence_clear(actor=Actor.of(personas.operator), account_id=account.pk)
    assert licence_of(account).state == Licence.State.NOT_VALIDATED

    assert validate(client, account.username, "phone-B").json()["status"] == "valid"
    licence = licence_of(account)
    assert (licence.state, licence.device_id, licence.conflict_device_id) == (Licence.State.VALID, "phone-B", "")
    assert validate(client, account.username, "phone-A").json()["status"] == "conflict"


def test_an_expired_licence_answers_expired_and_binds_nothing(client, personas):
    yesterday = timezone.localdate() - timedelta(days=1)
    account = make_account(personas.group)
    Licence.objects.filter(account=account).update(valid_until=yesterday)

    answer = validate(client, account.username, "phone-A").json()

    assert answer["status"] == "expired"
    assert answer["valid_until"] == yesterday.isoformat()
    licence = licence_of(account)
    assert (licence.state, licence.device_id) == (Licence.State.EXPIRED, "")


def test_a_licence_is_valid_through_its_last_day(client, personas):
    account = make_account(personas.group)
    Licence.objects.filter(account=account).update(valid_until=timezone.localdate())

    assert validate(client, account.username, "phone-A").json()["status"] == "valid"


def test_extending_an_expired_licence_makes_the_bound_device_valid_again(client, account, personas):
    validate(client, account.username, "phone-A")
    Licence.objects.filter(account=account).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert validate(client, account.username, "phone-A").json()["status"] == "expired"

    account.refresh_from_db()
    account_update(
        actor=Actor.of(personas.operator), account_id=account.pk, expected_version=account.version, fields={},
        licence_edition="enterprise", licence_valid_until=timezone.localdate() + timedelta(days=365),
    )
    assert licence_of(account).state == Licence.State.VALID

    answer = validate(client, account.username, "phone-A").json()
    assert (answer["status"], answer["edition"]) == ("valid", "enterprise")


def test_revoked_keys_answer_revoked_on_every_device_until_cleared(client, account, personas):
    validate(client, account.username, "phone-A")
    licence_revoke_keys(actor=Actor.of(personas.operator), account_id=account.pk)

    answer = validate(client, account.username, "phone-A").json()
    assert answer["status"] == "revoked"
    assert "provisioned again" in answer["message"]
    assert validate(client, account.username, "phone-B").json()["status"] == "revoked"
    assert licence_of(account).state == Licence.State.REVOKED

    licence_clear(actor=Actor.of(personas.operator), account_id=account.pk)
    assert validate(client, account.username, "phone-B").json()["status"] == "valid"


def test_a_disabled_account_answers_disabled_and_keeps_its_binding(client, account, personas):
    validate(client, account.username, "phone-A")
    account_set_enabled(actor=Actor.of(personas.operator), account_id=account.pk, enabled=False)

    assert validate(client, account.username, "phone-A").json()["status"] == "disabled"
    assert validate(client, account.username, "phone-B").json()["status"] == "disabled"
    licence = licence_of(account)
    assert (licence.state, licence.device_id) == (Licence.State.VALID, "phone-A")


def test_a_wrong_password_and_an_unknown_username_get_the_same_401(client, account):
    wrong_password = validate(client, account.username, "phone-A", password="wrong")
    unknown_user = validate(client, "4999999999", "phone-A")

    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic ")
    assert wrong_password.json() == unknown_user.json()
    assert licence_of(account).device_id == ""
    assert not checks_on_timeline(account)


def test_an_unknown_username_does_the_same_work_as_a_wrong_password(client, account, django_assert_num_queries, monkeypatch):
    """Timing cannot tell them apart: the same statements, then a digest comparison in both cases
    (an unknown username is compared against a dummy digest)."""
    validate(client, account.username, "phone-A", password="wrong")
    with CaptureQueriesContext(connection) as wrong_password:
        validate(client, account.username, "phone-A", password="wrong")
    with django_assert_num_queries(len(wrong_password.captured_queries)):
        validate(client, "4999999999", "phone-A")

    compared = []
    original = clientapi.digests_match
    monkeypatch.setattr(clientapi, "digests_match", lambda *args: compared.append(args[0]) or original(*args))
    validate(client, "4999999999", "phone-A")
    assert compared == ["4999999999"]


@pytest.mark.parametrize("header", ["", "Bearer abc", "Basic !!!", "Basic " + "bm9jb2xvbg==", "Basic Og=="])
def test_missing_or_malformed_credentials_get_401(client, account, header):
    response = client.post(LICENCE_URL, data='{"device_id": "x"}', content_type="application/json", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


@pytest.mark.parametrize("body", ["", "not json", "[]", '{"device_id": ""}', '{"device_id": 7}', '{"device_id": "has space"}', '{"device_id": "a", "nonce": 5}'])
def test_a_malformed_body_gets_400_and_changes_nothing(client, account, body):
    response = client.post(LICENCE_URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=basic(account.username))

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert licence_of(account).state == Licence.State.NOT_VALIDATED


def test_other_methods_are_refused(client):
    assert client.get(LICENCE_URL).status_code == 405


def test_too_many_requests_for_one_username_get_429_with_retry_after(client, account, settings):
    settings.LICENCE_RATE_LIMIT_PER_USERNAME = 3
    statuses = [validate(client, account.username, "phone-A").status_code for _ in range(3)]
    limited = validate(client, account.username, "phone-A")

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= settings.LICENCE_RATE_WINDOW_SECONDS
    assert validate(client, make_account(account.group).username, "phone-B").status_code == 200


def test_password_guesses_are_limited_too_even_for_unknown_usernames(client, db, settings):
    settings.LICENCE_RATE_LIMIT_PER_USERNAME = 2
    statuses = [validate(client, "4888888888", "phone-A", password=f"guess{n}").status_code for n in range(4)]

    assert statuses == [401, 401, 429, 429]


@pytest.mark.parametrize("username", ["bad\x00name", "12345678\n", "x" * 500, "ünïcode"])
def test_a_username_no_account_can_have_gets_401_and_counts_against_the_address(client, db, settings, username):
    settings.LICENCE_RATE_LIMIT_PER_ADDRESS = 2
    statuses = [validate(client, username, "phone-A").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_too_many_requests_from_one_address_get_429_whatever_the_username(client, personas, settings):
    settings.LICENCE_RATE_LIMIT_PER_ADDRESS = 3
    accounts = [make_account(personas.group) for _ in range(4)]
    statuses = [validate(client, account.username, "phone").status_code for account in accounts]

    assert statuses == [200, 200, 200, 429]


def test_every_answer_is_signed_with_the_published_key(client, account, personas):
    answers = [validate(client, account.username, "phone-A", nonce="n-1").json()]
    answers.append(validate(client, account.username, "phone-B").json())
    licence_revoke_keys(actor=Actor.of(personas.operator), account_id=account.pk)
    answers.append(validate(client, account.username, "phone-A").json())

    assert [answer["status"] for answer in answers] == ["valid", "conflict", "revoked"]
    assert answers[0]["nonce"] == "n-1"
    assert all(verify_answer(answer) for answer in answers)
    tampered = {**answers[1], "status": "valid"}
    assert not verify_answer(tampered)


def test_an_answer_may_be_cached_for_the_grace_period_but_not_past_the_validity(client, personas, settings):
    settings.LICENCE_OFFLINE_GRACE_DAYS = 7
    open_ended = make_account(personas.group)
    ending_tomorrow = make_account(personas.group)
    tomorrow = timezone.localdate() + timedelta(days=1)
    Licence.objects.filter(account=ending_tomorrow).update(valid_until=tomorrow)

    first = validate(client, open_ended.username, "p1").json()
    second = validate(client, ending_tomorrow.username, "p2").json()

    issued = timezone.datetime.fromisoformat(first["issued_at"])
    assert timezone.datetime.fromisoformat(first["cache_until"]) - issued == timedelta(days=7)
    assert timezone.datetime.fromisoformat(second["cache_until"]) < issued + timedelta(days=3)


def test_checks_go_on_the_timeline_but_identical_repeats_only_once_per_interval(client, account, settings):
    for _ in range(3):
        validate(client, account.username, "phone-A")
    validate(client, account.username, "phone-B")
    validate(client, account.username, "phone-B")

    entries = checks_on_timeline(account)
    assert [entry.message for entry in entries] == [
        "Licence check from device phone-A: valid",
        "Licence check from device phone-B: conflict",
    ]
    assert entries[0].actor_kind == AuditEntry.ActorKind.CLIENT
    assert entries[1].before == {"state": "valid", "conflict_device_id": ""}
    assert entries[1].after == {"state": "conflict", "conflict_device_id": "phone-B"}

    Licence.objects.filter(account=account).update(
        last_answer_recorded_at=timezone.now() - timedelta(seconds=settings.LICENCE_CHECK_AUDIT_INTERVAL_SECONDS + 1)
    )
    validate(client, account.username, "phone-B")
    assert len(checks_on_timeline(account)) == 3


def test_a_repeated_identical_check_writes_nothing_to_the_licence(client, account, django_assert_max_num_queries):
    validate(client, account.username, "phone-A")
    before = licence_of(account)

    # The rate-limit counter and the account read; no transaction, no licence write.
    with django_assert_max_num_queries(2):
        assert validate(client, account.username, "phone-A").json()["status"] == "valid"
    after = licence_of(account)
    assert after.last_checked_at == before.last_checked_at


@pytest.mark.django_db(transaction=True)
def test_a_check_a_minute_after_the_last_refreshes_last_checked_without_a_timeline_entry(client, account):
    validate(client, account.username, "phone-A")
    minutes_ago = timezone.now() - timedelta(minutes=5)
    Licence.objects.filter(account=account).update(last_checked_at=minutes_ago)

    assert validate(client, account.username, "phone-A").json()["status"] == "valid"
    assert licence_of(account).last_checked_at > minutes_ago
    assert len(checks_on_timeline(account)) == 1


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_repeated_identical_check_is_one_round_trip_on_a_reused_connection(client, account):
    validate(client, account.username, "phone-A")
    with statements_recorded(connection) as sent:
        # What a new request does first (the test client skips it): health checks come due again.
        connection.close_if_unusable_or_obsolete()
        assert validate(client, account.username, "phone-A").json()["status"] == "valid"

    assert len(sent) == 1 and sent[0].startswith("EXECUTE")


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_check_on_a_connection_the_database_dropped_reconnects_and_answers(client, account):
    import psycopg2

    validate(client, account.username, "phone-A")
    dropped = connection.connection.info.backend_pid
    with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [dropped])

    connection.close_if_unusable_or_obsolete()
    assert validate(client, account.username, "phone-A").json()["status"] == "valid"
    assert connection.connection.info.backend_pid != dropped


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_devices_validating_at_the_same_moment_bind_exactly_one(personas):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.test import Client

    account = make_account(personas.group)

    def first_check(device_id: str) -> str:
        try:
            return validate(Client(), account.username, device_id).json()["status"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = sorted(pool.map(first_check, ["phone-1", "phone-2", "phone-3", "phone-4"]))

    licence = licence_of(account)
    assert answers == ["conflict", "conflict", "conflict", "valid"]
    assert licence.state == Licence.State.CONFLICT and licence.device_id in {"phone-1", "phone-2", "phone-3", "phone-4"}
