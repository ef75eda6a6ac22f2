"""Faults (F2): a real worker (`manage.py run_worker`, its own process) is killed with SIGKILL at
random moments of a bulk activation SMS to 20,000 accounts, and restarted each time. Afterwards
every account has exactly one activation SMS and the batch's report adds up."""
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from accounts.demo_data import demo_data_generate
from accounts.models import Account
from accounts.search.engine.index import get_index
from activation.models import SmsMessage
from console.audit import Actor
from fleet.models import BulkBatch, BulkItem
from fleet.selection import Selection
from fleet.services import bulk_start
from groups.models import Group
from tests.conftest import requires_postgresql

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgresql]
ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 20_000
KILLS = 6


def start_worker(settings, tmp_path) -> subprocess.Popen:
    from django.db import connection

    database = connection.settings_dict
    env = {
        "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "console.settings", "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY, "VAR_DIR": str(tmp_path), "SEARCH_INDEX_DIR": str(settings.SEARCH_INDEX_DIR),
        "LOG_LEVEL": "WARNING", "BULK_CHUNK_SIZE": "500", "WORKER_IDLE_SECONDS": "0.1",
    }
    return subprocess.Popen([sys.executable, "manage.py", "run_worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_a_worker_killed_at_random_points_of_a_bulk_sms_queues_exactly_one_sms_per_account(personas, profile, sms_ready, settings, tmp_path):
    group = _sms_ready_group_of(personas.operator)
    settings.BULK_SYNC_LIMIT = 0
    batch = bulk_start(operator=personas.operator, action="send_activation_sms", selection=Selection(group_id=group.pk), parameters={})
    assert batch.state == BulkBatch.State.QUEUED and batch.total == ACCOUNTS

    rng = random.Random(20261206)
    progress_at_kills = []
    for _ in range(KILLS):
        worker = start_worker(settings, tmp_path)
        # Once this worker has got to the batch (its start-up takes a moment), kill it a random
        # moment later: inside a chunk, between chunks, or while it sends the SMS queued so far.
        started_from = batch.processed
        _wait_until(lambda start=started_from: batch.processed > start, batch, 60)
        time.sleep(rng.uniform(0.0, 1.5))
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        batch.refresh_from_db()
        progress_at_kills.append(batch.processed)
        if not batch.is_busy:
            break
    worker = start_worker(settings, tmp_path)
    try:
        _wait_until(lambda: not batch.is_busy, batch, 180)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    assert batch.state == BulkBatch.State.DONE, f"progress at each kill: {progress_at_kills}"
    assert sum(0 < processed < ACCOUNTS for processed in progress_at_kills) >= 3, f"too few kills mid-batch: {progress_at_kills}"
    items = Counter(batch.items.values_list("outcome", flat=True))
    assert items == {BulkItem.Outcome.DONE: ACCOUNTS}
    assert (batch.processed, batch.done, batch.skipped, batch.total) == (ACCOUNTS, ACCOUNTS, 0, ACCOUNTS)
    sms_per_account = Counter(SmsMessage.objects.filter(purpose=SmsMessage.Purpose.ACTIVATION).values_list("account_id", flat=True))
    assert set(sms_per_account) == set(Account.objects.filter(group=group).values_list("pk", flat=True))
    assert set(sms_per_account.values()) == {1}


def _sms_ready_group_of(operator):
    """A new group of ACCOUNTS accounts written in bulk, each able to receive the activation SMS
    (no SNOM desk phones), that `operator` works on."""
    demo_data_generate(actor=Actor.system(), groups=1, accounts=ACCOUNTS, largest_group=None, password="demo-pass", seed=7)
    group = Group.objects.latest("pk")
    Account.objects.filter(group=group, account_type=Account.AccountType.SNOM).update(account_type=Account.AccountType.PGSM)
    operator.account_groups.add(group)
    get_index().rebuild()  # as `generate_demo_data` is followed by `rebuild_search_index`
    return group


def _wait_until(condition, batch: BulkBatch, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
        batch.refresh_from_db()
