"""A large change-log backlog (a batch import) is applied with the bulk segment writer: the index
must answer exactly as if it had been applied one account at a time, and rolled-back changes
must not reach it either way."""
import pytest
from django.db import transaction

from tests.search.conftest import create_account

QUERIES = (
    "rossi", "*ssi", "bulk", "owner:bulk*", "number:\\+4930*", "enabled:false", "type:snom",
    'description:"imported account"', "NOT bulk", "rolled", "owner:renamed", "username:7700000001",
)


def _import_rows(group, count: int, first: int = 1) -> None:
    """`count` accounts through the batch import, which writes its change-log rows in bulk."""
    import io

    from accounts.batch.importer import accounts_import
    from console.audit import Actor
    from tests.batch.helpers import csv_bytes, plain_row

    rows = [plain_row(n, owner=f"Bulk Owner {n}", description=f"imported account {n}")
            for n in range(first, first + count)]
    report = accounts_import(actor=Actor.system(), group=group, stream=io.BytesIO(csv_bytes(rows)), dry_run=False)
    assert report.committed, report.summary()


def _change_existing_accounts(book) -> None:
    from accounts.models import Account
    from accounts.services import account_delete, account_set_enabled, account_update
    from console.audit import Actor

    for n in (2, 3):
        account = Account.objects.get(username=f"77{n:08d}")
        account_update(actor=Actor.system(), account_id=account.pk, expected_version=account.version,
                       fields={"owner": f"Renamed Owner {n}"})
    account_delete(actor=Actor.system(), account_id=Account.objects.get(username="7700000004").pk)
    account_set_enabled(actor=Actor.system(), account_id=book.accounts["100002"].pk, enabled=False)


def _roll_back_an_import_and_a_creation(book) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _import_rows(book.support, 30, first=500)
        create_account(book.sales, "777001", "+39777001", owner="Rolled Back")
        raise RuntimeError("roll back")


def test_a_large_backlog_applied_in_bulk_answers_like_one_by_one(book, tmp_path, monkeypatch):
    from accounts.search.engine import sync as syncing
    from accounts.search.engine.index import SearchIndex

    one_by_one, in_bulk = SearchIndex(tmp_path / "one-by-one"), SearchIndex(tmp_path / "in-bulk")
    one_by_one.sync()
    in_bulk.sync()
    monkeypatch.setattr(syncing, "BULK_APPLY_DOCS_PER_PROCESS", 15)  # several pieces (processes on PostgreSQL)

    for round_number, change in enumerate((
        lambda: _import_rows(book.sales, 40),
        lambda: _change_existing_accounts(book),
        lambda: _roll_back_an_import_and_a_creation(book),
        lambda: _import_rows(book.support, 25, first=100),
    )):
        change()
        monkeypatch.setattr(syncing, "BULK_APPLY_MIN_ACCOUNTS", 10 ** 9)
        applied_one_by_one = one_by_one.sync()
        monkeypatch.setattr(syncing, "BULK_APPLY_MIN_ACCOUNTS", 1)
        assert in_bulk.sync() == applied_one_by_one, round_number
        for query in QUERIES:
            assert sorted(in_bulk.search(query)) == sorted(one_by_one.search(query)), (round_number, query)

    assert in_bulk.search("rolled") == [] and in_bulk.search("username:7700000500") == []
    assert len(in_bulk.search("bulk")) == 40 - 3 + 25  # two imported accounts renamed, one deleted
    for search_index in (one_by_one, in_bulk):
        assert search_index.check().difference_count == 0


def test_bulk_apply_folds_segments_left_mostly_deleted(book, tmp_path, monkeypatch):
    """Re-indexing most accounts of a segment drops the segment and writes its other accounts
    again, so deleted documents do not pile up in the index."""
    from accounts.models import Account
    from accounts.search.changelog import record_account_changes
    from accounts.search.engine import sync as syncing
    from accounts.search.engine.index import SearchIndex

    monkeypatch.setattr(syncing, "BULK_APPLY_MIN_ACCOUNTS", 1)
    _import_rows(book.sales, 40)
    search_index = SearchIndex(tmp_path / "index")
    search_index.sync()
    imported = list(Account.objects.filter(username__startswith="77").order_by("id").values_list("id", flat=True))
    with transaction.atomic():
        record_account_changes(imported[:30])
    assert search_index.sync() == 30

    whoosh = search_index.files.open(search_index.files.read_state()["generation"])
    segments = whoosh._segments()
    assert sum(segment.doc_count() for segment in segments) == Account.objects.count()
    assert [segment.deleted_count() for segment in segments] == [0]
    assert search_index.check().difference_count == 0
