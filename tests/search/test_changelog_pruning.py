"""Pruning the search change log (changelog.search_changes_prune): old rows go, rows an index may
still need stay, and an index left behind the pruned rows rebuilds itself instead of missing them."""
from datetime import timedelta

from django.utils import timezone

from tests.conftest import requires_postgresql
from tests.search.conftest import create_account, slow_writer, usernames_matching


def _logged_account_ids() -> set[int]:
    from accounts.models import SearchChange

    return set(SearchChange.objects.values_list("account_id", flat=True))


def _prune_later(settings, after_seconds: float) -> int:
    from accounts.search.changelog import search_changes_prune

    later = timezone.now() + timedelta(seconds=after_seconds)
    return search_changes_prune(now=later)


def test_pruning_deletes_the_rows_older_than_the_retention_and_keeps_the_newer(book, settings):
    from accounts.search.changelog import search_changes_prune

    settings.SEARCH_CHANGE_LOG_RETENTION = 3600
    book_ids = {account.pk for account in book.accounts.values()}
    assert search_changes_prune() == 0  # takes the first checkpoint; nothing is old yet
    assert search_changes_prune() == 0
    newer = create_account(book.sales, "700001", "+39700001", owner="Newer Change")
    assert _logged_account_ids() == book_ids | {newer.pk}

    assert _prune_later(settings, 3601) > 0
    assert _logged_account_ids() == {newer.pk}


def test_an_index_applied_after_the_pruned_checkpoint_is_not_rebuilt(book, search_index, settings):
    from accounts.search.changelog import search_changes_prune

    settings.SEARCH_CHANGE_LOG_RETENTION = 3600
    search_changes_prune()
    search_index.sync()
    generation = search_index.files.read_state()["generation"]
    _prune_later(settings, 3601)
    assert usernames_matching("rossi") == ["100001", "100002", "100005"]
    assert search_index.files.read_state()["generation"] == generation


def test_an_index_behind_the_pruned_rows_rebuilds_and_matches_the_database(book, search_index, settings, tmp_path):
    from accounts.search.changelog import search_changes_prune
    from accounts.search.engine.index import SearchIndex
    from accounts.services import account_delete, account_update
    from console.audit import Actor

    settings.SEARCH_CHANGE_LOG_RETENTION = 3600
    behind = SearchIndex(tmp_path / "idle-node")
    behind.sync()
    assert sorted(behind.search("rossi")) == sorted(book.accounts[u].pk for u in ("100001", "100002", "100005"))
    generation = behind.files.read_state()["generation"]

    verdi = book.accounts["200003"]
    account_update(actor=Actor.system(), account_id=verdi.pk, expected_version=verdi.version,
                   fields={"owner": "Marco Pruned"})
    account_delete(actor=Actor.system(), account_id=book.accounts["100005"].pk)
    added = create_account(book.support, "700002", "+39700002", owner="Added While Idle")
    search_changes_prune()
    assert _prune_later(settings, 3601) > 0
    assert added.pk not in _logged_account_ids() and verdi.pk not in _logged_account_ids()

    assert sorted(behind.search("pruned OR idle OR rossini")) == sorted([verdi.pk, added.pk])
    assert behind.files.read_state()["generation"] != generation
    assert behind.check().difference_count == 0


@requires_postgresql
def test_rows_of_a_transaction_running_at_the_checkpoint_outlive_the_pruning(book, search_index, settings):
    """The slow writer's row has a lower id than rows the checkpoint saw, but its transaction was
    still running: deleting it would lose the change for every index that listed it as running."""
    from accounts.models import Account
    from accounts.search.changelog import search_changes_prune

    settings.SEARCH_CHANGE_LOG_RETENTION = 3600
    search_index.sync()
    with slow_writer(book.sales, "710001", "+39710001", owner="Slow Writer"):
        fast = create_account(book.sales, "710002", "+39710002", owner="Fast Writer")
        assert usernames_matching("writer") == ["710002"]
        search_changes_prune()  # the checkpoint: sees the fast writer's row, not the slow one's
    slow = Account.objects.get(username="710001")

    _prune_later(settings, 3601)
    assert slow.pk in _logged_account_ids()
    assert fast.pk not in _logged_account_ids()
    assert usernames_matching("writer") == ["710001", "710002"]
    assert search_index.check().difference_count == 0


def test_the_worker_prunes_the_change_log(settings):
    from console.worker import load_tasks

    assert "accounts.search.changelog.search_changes_prune" in settings.WORKER_TASKS
    assert load_tasks(["accounts.search.changelog.search_changes_prune"])
