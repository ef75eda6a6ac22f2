"""Large bulk batches in the worker (F2): chunks with progress, cancel, and a chunk that fails
half-way leaves nothing done twice and no account half-changed."""
import threading

import pytest

from accounts.models import Account
from activation.models import SmsMessage
from fleet import services
from fleet.models import BulkBatch, BulkItem
from fleet.selection import Selection
from fleet.services import bulk_cancel, bulk_start, run_bulk_batches
from tests.conftest import make_account, requires_postgresql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_chunks(settings):
    settings.BULK_SYNC_LIMIT = 3
    settings.BULK_CHUNK_SIZE = 2


def test_a_batch_larger_than_the_request_limit_waits_for_the_worker_which_works_through_it(personas, fleet, small_chunks, client_for):
    batch = bulk_start(operator=personas.operator, action="send_activation_sms", selection=Selection(group_id=personas.group.pk), parameters={})
    assert batch.state == BulkBatch.State.QUEUED and batch.total == 7 and not SmsMessage.objects.exists()
    page = client_for(personas.operator).get(f"/accounts/bulk/{batch.pk}/").content.decode()
    assert "data-bulk-progress" in page and "Cancel" in page

    assert run_bulk_batches(seconds=0.0) == 0  # no time left in this round: nothing done
    assert services.bulk_run_chunk(batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.processed, batch.percent) == (BulkBatch.State.RUNNING, 2, 29)
    assert client_for(personas.operator).get(f"/accounts/bulk/{batch.pk}/progress/").json()["processed"] == 2

    run_bulk_batches()

    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.skipped) == (BulkBatch.State.DONE, 7, 0)
    assert SmsMessage.objects.filter(purpose="activation").count() == 7


def test_cancel_leaves_the_accounts_done_as_they_are_and_skips_the_rest(personas, fleet, small_chunks):
    batch = bulk_start(operator=personas.operator, action="disable", selection=Selection(group_id=personas.group.pk), parameters={})
    services.bulk_run_chunk(batch.pk)

    batch = bulk_cancel(batch=batch)

    assert (batch.state, batch.done, batch.skipped) == (BulkBatch.State.CANCELLED, 2, 5)
    assert Account.objects.filter(group=personas.group, enabled=False).count() == 2
    assert batch.items.filter(reason="cancelled before its turn").count() == 5
    assert run_bulk_batches() == 0


def test_a_chunk_that_fails_half_way_is_rolled_back_and_done_once_by_the_next_round(personas, fleet, small_chunks, monkeypatch, settings):
    batch = bulk_start(operator=personas.operator, action="send_installation_sms", selection=Selection(group_id=personas.group.pk), parameters={})
    services.bulk_run_chunk(batch.pk)

    def die_after_the_action(*args):
        raise RuntimeError("worker died")  # a stand-in for a crash between the action and the commit

    monkeypatch.setattr(services, "_record_outcomes", die_after_the_action)
    with pytest.raises(RuntimeError):
        services.bulk_run_chunk(batch.pk)  # the second chunk's SMS were queued, then the chunk died
    monkeypatch.undo()
    settings.BULK_CHUNK_SIZE = 500
    assert SmsMessage.objects.count() == 2 and BulkItem.objects.filter(outcome="pending").count() == 5

    run_bulk_batches()

    batch.refresh_from_db()
    assert (batch.state, batch.done) == (BulkBatch.State.DONE, 7)
    per_account = SmsMessage.objects.values_list("account_id", flat=True)
    assert sorted(per_account) == sorted(Account.objects.filter(group=personas.group).values_list("pk", flat=True))


@requires_postgresql  # SQLite cannot lock rows apart: the worker keeps one thread there
def test_threads_working_on_one_batch_never_share_an_account_and_the_counts_add_up(personas, fleet, settings, monkeypatch):
    for n in range(60):
        make_account(personas.group, owner=f"Verdi {n}", number=f"+39024440{n:04d}")
    settings.BULK_SYNC_LIMIT, settings.BULK_CHUNK_SIZE, settings.BULK_WORKER_THREADS = 3, 4, 4
    batch = bulk_start(operator=personas.operator, action="send_activation_sms", selection=Selection(group_id=personas.group.pk), parameters={})
    threads = set()
    apply = services._apply

    def apply_noting_the_thread(*args):
        threads.add(threading.current_thread().name)
        return apply(*args)

    monkeypatch.setattr(services, "_apply", apply_noting_the_thread)
    while run_bulk_batches():
        pass

    batch.refresh_from_db()
    assert (batch.state, batch.total, batch.processed, batch.done, batch.skipped) == (BulkBatch.State.DONE, 67, 67, 67, 0)
    assert len(threads) > 1  # the chunks were shared out between threads
    per_account = list(SmsMessage.objects.filter(purpose="activation").values_list("account_id", flat=True))
    assert sorted(per_account) == sorted(Account.objects.filter(group=personas.group).values_list("pk", flat=True))
    assert batch.items.filter(outcome="done").count() == 67
