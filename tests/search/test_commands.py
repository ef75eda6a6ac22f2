"""manage.py search_accounts (S5), rebuild_search_index and check_search_index."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_search_accounts_prints_matching_usernames_one_per_line(shared_book, db, capsys):
    call_command("search_accounts", "rossi")
    assert capsys.readouterr().out.splitlines() == ["100001", "100002", "100005"]


def test_search_accounts_limits_to_a_group_by_name(shared_book, db, capsys):
    call_command("search_accounts", "phone OR rossi", "--group", "support")
    assert capsys.readouterr().out.splitlines() == ["200003", "200006"]


def test_search_accounts_exits_2_with_the_error_on_a_malformed_query(shared_book, db, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("search_accounts", "owner:(rossi")
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Missing closing parenthesis ')' (at position 13)" in captured.err


def test_search_accounts_answers_a_file_of_queries_one_line_each(shared_book, db, capsys, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("verdi OR jose\nfoo:bar\nnobody\n", encoding="utf-8")
    call_command("search_accounts", "--file", str(queries))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "verdi OR jose\t100001,200003"
    query, marker, message = lines[1].split("\t")
    assert (query, marker) == ("foo:bar", "ERROR")
    assert message.startswith("Unknown field 'foo'. Valid fields: owner, username")
    assert lines[2] == "nobody\t"
    assert len(lines) == 3


def test_search_accounts_refuses_an_unknown_group(shared_book, db):
    with pytest.raises(CommandError, match="No group named 'nowhere'"):
        call_command("search_accounts", "rossi", "--group", "nowhere")
