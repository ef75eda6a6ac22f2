"""manage.py import_accounts FILE.csv --group NAME."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account
from console.models import AuditEntry
from tests.batch.helpers import csv_bytes, plain_row
from tests.batch.state import database_state


def test_a_valid_file_is_imported_and_the_count_printed(personas, tmp_path, capsys):
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_bytes([plain_row(n) for n in range(3)]))
    call_command("import_accounts", str(path), "--group", "acme")
    assert capsys.readouterr().out.strip() == "3 accounts imported into Acme."
    assert Account.objects.filter(group=personas.group).count() == 3
    assert AuditEntry.objects.get(action="accounts.import").actor_label == "manage.py import_accounts"


def test_a_file_with_problems_prints_the_report_writes_nothing_and_exits_1(personas, tmp_path, capsys):
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_bytes([plain_row(1), plain_row(2, virtual_number="12ab"), plain_row(3, username="7700000001")]))
    before = database_state()
    with pytest.raises(CommandError) as raised:
        call_command("import_accounts", str(path), "--group", "Acme")
    assert raised.value.returncode == 1
    assert "2 of 3 rows cannot be imported" in str(raised.value)
    err = capsys.readouterr().err
    assert "row 3, column virtual_number: A phone number is digits" in err
    assert "row 4, column username: The username 7700000001 is also in row 2 of this file." in err
    assert database_state() == before


def test_an_unknown_group_or_file_is_an_error(personas, tmp_path):
    with pytest.raises(CommandError, match="no group named 'Nope'"):
        call_command("import_accounts", str(tmp_path / "x.csv"), "--group", "Nope")
    with pytest.raises(CommandError, match="no file"):
        call_command("import_accounts", str(tmp_path / "x.csv"), "--group", "Acme")
