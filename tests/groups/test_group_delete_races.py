"""Creating an account in a group while another request deletes that group: one of the two is
refused with a clear message, never a server error, and no account is left without its group.

Two real PostgreSQL sessions (threads with their own connections); on SQLite writers are
serialized, so the race cannot happen there."""
import threading

import pytest
from django.db import connection, transaction

from accounts import services as account_services
from accounts.models import Account
from console.audit import Actor
from console.errors import NotAllowedError, ServiceError
from groups.models import Group
from groups.services import group_create, group_delete
from tests.conftest import requires_postgresql

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]

USERNAME = "7712345678"


def _create_account(group: Group) -> Account:
    return account_services.account_create(
        actor=Actor.system(), group=group, password="s3cret-pass",
        fields={"username": USERNAME, "virtual_number": "+390212345678"},
    )


class _Session(threading.Thread):
    """Runs `work` in a transaction of its own connection, holds it open until `release` is set,
    then commits; keeps what `work` returned or raised."""

    def __init__(self, work, release: threading.Event | None = None):
        super().__init__(daemon=True)
        self.work, self.release = work, release
        self.done_work = threading.Event()
        self.result = self.error = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                self.result = self.work()
                self.done_work.set()
                if self.release is not None:
                    self.release.wait(10)
        except Exception as error:  # the test inspects it
            self.error = error
        finally:
            self.done_work.set()
            connection.close()


def _blocked_on_a_lock(timeout: float = 10.0) -> bool:
    """Whether some other session of this database waits for a lock (within `timeout`)."""
    with connection.cursor() as cursor:
        for _ in range(int(timeout * 20)):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            threading.Event().wait(0.05)
    return False


def _race(first, second) -> tuple[_Session, _Session]:
    """Run `first` in a transaction held open, then `second`, which must wait for it; then let
    `first` commit and `second` finish."""
    release = threading.Event()
    holder = _Session(first, release)
    holder.start()
    assert holder.done_work.wait(10) and holder.error is None
    waiter = _Session(second)
    waiter.start()
    assert _blocked_on_a_lock(), "the second session should wait for the first to end"
    release.set()
    holder.join(10)
    waiter.join(10)
    return holder, waiter


def test_an_account_created_while_its_group_is_being_deleted_is_refused_cleanly():
    group = group_create(actor=Actor.system(), name="Doomed")
    deleting, creating = _race(lambda: group_delete(actor=Actor.system(), group_id=group.pk), lambda: _create_account(group))

    assert deleting.error is None
    assert isinstance(creating.error, ServiceError)
    assert "deleted a moment ago" in str(creating.error)
    assert not Group.objects.filter(pk=group.pk).exists()
    assert not Account.objects.filter(username=USERNAME).exists()


def test_a_group_deleted_while_an_account_is_being_created_in_it_is_kept():
    group = group_create(actor=Actor.system(), name="Busy")
    creating, deleting = _race(lambda: _create_account(group), lambda: group_delete(actor=Actor.system(), group_id=group.pk))

    assert creating.error is None
    assert isinstance(deleting.error, NotAllowedError)
    assert Group.objects.filter(pk=group.pk).exists()
    assert Account.objects.filter(username=USERNAME, group=group).exists()
