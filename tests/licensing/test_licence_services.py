"""Licence services and worker tasks that no page drives directly."""
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from console.audit import Actor
from console.models import AuditEntry
from licensing import tasks
from licensing.models import ClientRateBucket, Licence
from licensing.ratelimit import rate_limit_hit
from licensing.services import licence_credentials_renewed, licence_revoke_keys
from tests.conftest import make_account
from tests.licensing.helpers import validate


def test_the_worker_marks_licences_past_their_validity_expired_once(personas):
    past, future, revoked = (make_account(personas.group) for _ in range(3))
    yesterday = timezone.localdate() - timedelta(days=1)
    Licence.objects.filter(account__in=[past, revoked]).update(valid_until=yesterday)
    Licence.objects.filter(account=future).update(valid_until=timezone.localdate() + timedelta(days=1))
    licence_revoke_keys(actor=Actor.system(), account_id=revoked.pk)

    assert tasks.licences_expire_due() == 1
    assert tasks.licences_expire_due() == 0
    states = dict(Licence.objects.values_list("account_id", "state"))
    assert states == {past.pk: "expired", future.pk: "not_validated", revoked.pk: "revoked"}
    entry = AuditEntry.objects.get(account_id=past.pk, action="licence.expire")
    assert entry.actor_kind == AuditEntry.ActorKind.WORKER


def test_moving_the_validity_into_the_past_makes_a_licence_expired_at_once(personas):
    account = make_account(personas.group)
    from licensing.services import licence_update_terms

    changes = licence_update_terms(account=account, edition=None, valid_until=timezone.localdate() - timedelta(days=5))

    assert Licence.objects.get(account=account).state == Licence.State.EXPIRED
    assert (changes.before["licence_state"], changes.after["licence_state"]) == (Licence.State.NOT_VALIDATED, Licence.State.EXPIRED)


def test_new_credentials_lift_a_revocation_and_the_binding(client, account):
    validate(client, account.username, "lost-phone")
    licence_revoke_keys(actor=Actor.system(), account_id=account.pk)

    licence_credentials_renewed(actor=Actor.customer(), account=account)

    licence = Licence.objects.get(account=account)
    assert (licence.state, licence.device_id, licence.keys_revoked) == (Licence.State.NOT_VALIDATED, "", False)
    assert validate(client, account.username, "new-phone").json()["status"] == "valid"


def test_new_credentials_on_a_fresh_licence_record_nothing(account):
    licence_credentials_renewed(actor=Actor.customer(), account=account)

    assert not AuditEntry.objects.filter(account_id=account.pk, action__startswith="licence.").exists()


def test_the_worker_drops_rate_counters_of_finished_windows(db):
    window = settings.LICENCE_RATE_WINDOW_SECONDS
    rate_limit_hit(username="1234567", address="10.0.0.1", now=time.time() - 5 * window)
    rate_limit_hit(username="1234567", address="10.0.0.1")

    keys_per_request = 3  # the username from the address, the address, the failure budget there
    assert tasks.rate_buckets_prune() == keys_per_request
    assert ClientRateBucket.objects.count() == keys_per_request


def test_a_new_window_forgives_earlier_requests(db, settings):
    settings.LICENCE_RATE_LIMIT_PER_USERNAME = 1
    start = 1_000_000 * settings.LICENCE_RATE_WINDOW_SECONDS

    assert rate_limit_hit(username="1234567", address=None, now=start).allowed
    assert not rate_limit_hit(username="1234567", address=None, now=start + 1).allowed
    assert rate_limit_hit(username="1234567", address=None, now=start + settings.LICENCE_RATE_WINDOW_SECONDS).allowed
