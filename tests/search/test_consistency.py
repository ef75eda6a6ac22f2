"""The index is a derived copy that never drifts (S4, DESIGN 7): rolled-back changes leave nothing,
committed changes are always found, whatever process committed them and in whatever order."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from tests.conftest import requires_postgresql
from tests.search.conftest import create_account, slow_writer, usernames_matching

ROOT = Path(__file__).resolve().parents[2]


def test_rolled_back_creation_and_update_leave_nothing_in_the_index(book, search_index):
    from accounts.services import account_update

    account = book.accounts["100001"]
    with pytest.raises(RuntimeError), transaction.atomic():
        create_account(book.sales, "777777", "+39777777", owner="Rollback Person")
        account_update(actor=_actor(), account_id=account.pk, expected_version=account.version,
                       fields={"owner": "Renamed Person"})
        # A search inside the open transaction must not copy its rows into the index.
        assert usernames_matching("rollback") == []
        raise RuntimeError("roll back")
    assert usernames_matching("rollback") == []
    assert usernames_matching("renamed") == []
    assert usernames_matching("owner:jose") == ["100001"]
    assert search_index.check().difference_count == 0


def test_committed_change_is_found_by_the_next_search(book):
    from accounts.services import account_delete, account_update

    assert usernames_matching("verdi") == ["200003"]
    account = book.accounts["200003"]
    account_update(actor=_actor(), account_id=account.pk, expected_version=account.version,
                   fields={"owner": "Marco Bianco"})
    assert usernames_matching("verdi") == []
    assert usernames_matching("bianco") == ["200003"]
    account_delete(actor=_actor(), account_id=account.pk)
    assert usernames_matching("bianco") == []


def test_check_reports_a_change_that_bypassed_the_change_log(book, search_index):
    from accounts.models import Account

    search_index.sync()
    Account.objects.filter(pk=book.accounts["100002"].pk).update(owner="Changed Behind Its Back")
    report = search_index.check()
    assert report.stale == [book.accounts["100002"].pk]
    assert report.difference_count == 1
    search_index.rebuild()
    assert search_index.check().difference_count == 0
    assert usernames_matching("behind") == ["100002"]


@requires_postgresql
def test_change_committed_by_a_killed_process_is_found_by_the_next_search(book, tmp_path):
    assert usernames_matching("killed") == []
    result = run_child(tmp_path / "child-index", "create", "555555", "Killed Before Indexing", "--die")
    assert result.returncode == -9
    assert usernames_matching("killed") == ["555555"]


@requires_postgresql
def test_two_processes_with_their_own_index_find_what_the_other_wrote(book, tmp_path, search_index):
    other_index = tmp_path / "other-node-index"
    assert run_child(other_index, "search", "verdi").stdout.strip() == "200003"
    create_account(book.sales, "610001", "+39610001", owner="Written By Parent")
    assert run_child(other_index, "search", "parent").stdout.strip() == "610001"
    run_child(other_index, "create", "610002", "Written By Child")
    assert usernames_matching("child") == ["610002"]
    assert search_index.check().difference_count == 0


@requires_postgresql
def test_change_committing_after_a_later_one_is_not_skipped(book, search_index):
    """Ids are taken at insert but transactions commit in any order: the slow transaction's
    change (lower id) commits after the fast one was already applied, and must still be found."""
    with slow_writer(book.sales, "620001", "+39620001", owner="Slow Writer"):
        create_account(book.sales, "620002", "+39620002", owner="Fast Writer")
        assert usernames_matching("writer") == ["620002"]
    assert usernames_matching("writer") == ["620001", "620002"]
    assert search_index.check().difference_count == 0


@requires_postgresql
def test_change_of_a_younger_transaction_with_an_older_id_is_not_skipped(book, search_index):
    """The writer that got its transaction id last but its change id first commits last: its
    transaction id is above every finished one, so PostgreSQL does not list it as in progress."""
    from groups.models import Group

    younger_inserted = threading.Event()
    may_commit = threading.Event()
    older_started = threading.Event()
    failures: list[BaseException] = []

    def younger_writer():
        try:
            assert older_started.wait(30)
            with transaction.atomic():
                create_account(book.sales, "630001", "+39630001", owner="Younger Writer")
                younger_inserted.set()
                assert may_commit.wait(30)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=younger_writer)
    thread.start()
    with transaction.atomic():
        Group.objects.filter(pk=book.sales.pk).update(description="takes a transaction id first")
        older_started.set()
        assert younger_inserted.wait(30)
        create_account(book.sales, "630002", "+39630002", owner="Older Writer")
    assert usernames_matching("writer") == ["630002"]
    may_commit.set()
    thread.join(30)
    assert not failures
    assert usernames_matching("writer") == ["630001", "630002"]
    assert search_index.check().difference_count == 0


def _actor():
    from console.audit import Actor

    return Actor.system()


def database_url() -> str:
    """The URL of the test database, for child processes."""
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or "5432"
    user = settings.get("USER") or "root"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def run_child(index_dir: Path, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": database_url(), "SEARCH_INDEX_DIR": str(index_dir)}
    return subprocess.run([sys.executable, "-m", "tests.search.child_process", *arguments], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=timeout, check=False)


def test_rebuilt_segments_survive_merging_with_later_changes(book, search_index):
    """Incremental commits merge small segments, including the ones a rebuild wrote."""
    from accounts.services import account_update

    search_index.rebuild()
    for round_number in range(12):
        account = book.accounts["200006"].__class__.objects.get(username="200006")
        account_update(actor=_actor(), account_id=account.pk, expected_version=account.version,
                       fields={"owner": f"Owner Round{round_number}"})
        assert usernames_matching(f"round{round_number}") == ["200006"]
    assert usernames_matching("rossi") == ["100001", "100002", "100005"]
    assert search_index.check().difference_count == 0


@requires_postgresql
def test_rebuild_in_several_processes_gives_the_same_index(book, search_index, monkeypatch):
    from accounts.search.engine import sync as syncing

    monkeypatch.setattr(syncing, "DOCS_PER_SEGMENT", 2)
    assert search_index.rebuild() == 6
    reader = syncing.whoosh_index.open_dir(str(search_index.directory / search_index.files.read_state()["generation"])).reader()
    assert len(reader.leaf_readers()) >= 3
    assert usernames_matching("rossi") == ["100001", "100002", "100005"]
    assert usernames_matching("*ssi") == ["100001", "100002", "100005"]
    assert search_index.check().difference_count == 0


def test_check_command_passes_after_rebuild_and_fails_on_drift(book, capsys):
    from accounts.models import Account

    call_command("rebuild_search_index")
    assert "Indexed 6 accounts" in capsys.readouterr().out
    call_command("check_search_index")
    assert "matches the database (6 accounts)" in capsys.readouterr().out
    # A row deleted behind the change log's back: the index still holds it.
    Account.objects.filter(username="200006").delete()
    with pytest.raises(CommandError, match="differs from the database in 1 accounts"):
        call_command("check_search_index")
    assert "1 accounts in the index but deleted from the database" in capsys.readouterr().out
