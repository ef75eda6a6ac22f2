"""The dashboard's kept counts per group and status (PostgreSQL statement triggers) stay exactly
what a GROUP BY over the accounts says, through every way accounts are written, and folding
them changes no sum."""
import io
from datetime import timedelta

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.batch.importer import ImportOptions, accounts_import
from accounts.demo_data import demo_data_generate
from accounts.models import Account
from accounts.services import (
    StatusChange,
    accounts_delete,
    accounts_move,
    accounts_set_enabled,
    accounts_set_status,
)
from console.audit import Actor
from fleet.models import AccountStatusCount
from fleet.services import group_delete_emptying
from fleet.status_counts import status_counts_fold
from groups.models import Group
from tests.batch.helpers import csv_bytes, plain_row
from tests.conftest import make_account, requires_postgresql

pytestmark = requires_postgresql
Status = Account.Status


def counted() -> dict:
    rows = Account.objects.order_by().values("group_id", "status").annotate(n=Count("pk"))
    return {(row["group_id"], row["status"]): row["n"] for row in rows}


def kept() -> dict:
    rows = AccountStatusCount.objects.order_by().values("group_id", "status").annotate(n=Sum("accounts"))
    return {(row["group_id"], row["status"]): row["n"] for row in rows if row["n"]}


def assert_exact():
    assert kept() == counted()


@pytest.fixture
def accounts(personas):
    made = [make_account(personas.group) for _ in range(5)] + [make_account(personas.other_group) for _ in range(3)]
    assert len(counted()) == 2
    assert_exact()
    return made


def test_created_and_imported_accounts_are_counted(personas, accounts):
    report = accounts_import(actor=Actor.system(), group=personas.other_group, stream=io.BytesIO(
        csv_bytes([plain_row(n) for n in range(1, 8)])), dry_run=False, options=ImportOptions(), source_name="counts.csv")
    assert report.committed and report.imported == 7
    assert counted()[(personas.other_group.pk, Status.CREATED)] == 10
    assert_exact()


def test_generated_demo_accounts_are_counted(personas, accounts):
    demo_data_generate(actor=Actor.system(), groups=2, accounts=300, seed=3)
    assert Account.objects.count() == 308
    assert_exact()


def test_status_changes_of_the_worker_and_bulk_updates_are_counted(personas, accounts):
    now = timezone.now()
    accounts_set_status(actor=Actor.worker(), changes=[
        StatusChange(accounts[0].pk, Status.INSTALLATION_SMS_SENT, now),
        StatusChange(accounts[1].pk, Status.ACTIVATION_SMS_SENT, now),
        StatusChange(accounts[1].pk, Status.ACTIVATED, now),  # one account twice in one statement
        StatusChange(accounts[6].pk, Status.CONNECTED, now),
    ])
    assert_exact()
    assert Account.objects.filter(group=personas.group).update(status=Status.INSTALLED, status_changed_at=now - timedelta(days=9)) == 5
    assert counted()[(personas.group.pk, Status.INSTALLED)] == 5
    assert_exact()
    accounts_set_enabled(actor=Actor.system(), account_ids=[a.pk for a in accounts], enabled=False)  # no status change
    Account.objects.filter(pk=accounts[2].pk).update(owner="Renamed")
    assert_exact()


def test_moves_deletes_and_group_deletes_are_counted(personas, accounts):
    accounts_move(actor=Actor.system(), account_ids=[a.pk for a in accounts[:3]], group=personas.other_group)
    assert counted() == {(personas.group.pk, Status.CREATED): 2, (personas.other_group.pk, Status.CREATED): 6}
    assert_exact()
    accounts_delete(actor=Actor.system(), account_ids=[accounts[3].pk])
    assert_exact()
    group_delete_emptying(operator=personas.administrator, group=personas.other_group, how="delete", typed_name="Globex")
    assert not Group.objects.filter(pk=personas.other_group.pk).exists()
    assert counted() == {(personas.group.pk, Status.CREATED): 1}
    assert_exact()


def test_folding_leaves_one_row_per_group_and_status_and_the_same_sums(personas, accounts):
    accounts_move(actor=Actor.system(), account_ids=[a.pk for a in accounts[:5]], group=personas.other_group)
    assert AccountStatusCount.objects.count() > len(counted())
    before = kept()
    assert status_counts_fold() > 0
    assert kept() == before == counted()
    assert AccountStatusCount.objects.count() == len(counted()) == 1  # the emptied group's rows summed to 0: gone
    assert status_counts_fold() == 0


def test_the_dashboard_reads_the_kept_counts(personas, accounts, client_for):
    AccountStatusCount.objects.create(group_id=personas.group.pk, status=Status.CONNECTED, accounts=7)  # only the kept counts say so
    response = client_for(personas.administrator).get("/", {"group": personas.group.pk})
    steps = {step.status: step.at_step for step in response.context["steps"]}
    assert response.status_code == 200 and steps[Status.CREATED] == 5 and steps[Status.CONNECTED] == 7


def test_a_groups_list_takes_its_size_from_the_kept_counts_unless_filtered_by_more_than_status(personas, accounts, client_for):
    """COUNT(*) over a group whose rows a bulk action has just rewritten visits every one of them
    until vacuum runs; the kept counts cost the same whatever was written."""
    client, url = client_for(personas.administrator), f"/accounts/group/{personas.group.pk}/"
    assert client.get(url).context["page"].paginator.count == 5
    AccountStatusCount.objects.create(group_id=personas.group.pk, status=Status.CONNECTED, accounts=60)  # only the kept counts say so
    page = client.get(url, {"page": 2}).context["page"]
    assert page.paginator.count == 65 and page.paginator.num_pages == 2
    assert client.get(url, {"status": Status.CONNECTED}).context["page"].paginator.count == 60
    assert client.get(url, {"status": Status.CREATED, "enabled": "yes"}).context["page"].paginator.count == 5  # counted rows
    assert client.get(url, {"q": "owner:("}).context["page"].paginator.count == 0  # a search counts its matches: none here


def test_two_writers_changing_the_same_groups_statuses_never_wait_for_each_other(transactional_db, personas):
    import psycopg2
    from django.db import connection

    first, second = make_account(personas.group), make_account(personas.group)
    settings = connection.settings_dict
    writers = [psycopg2.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"])
               for _ in range(2)]
    try:
        for writer, account in zip(writers, (first, second), strict=True):
            with writer.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")  # a wait would fail this writer instead of hanging
                cursor.execute("UPDATE accounts_account SET status = %s WHERE id = %s", [Status.INSTALLED, account.pk])
        for writer in writers:  # both changes were made while the other was still uncommitted
            writer.commit()
    finally:
        for writer in writers:
            writer.close()
    assert counted() == {(personas.group.pk, Status.INSTALLED): 2}
    assert_exact()
