"""Queries nested far deeper than anyone writes them (S3): the search pages, the exports and
`search_accounts` answer with the usual "what is wrong and where" for every role, never a
server error."""
import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given

from accounts.search.language.parser import MAX_GROUP_DEPTH
from console.models import Operator
from tests.conftest import make_operator
from tests.hostile_input import PROPERTY_SETTINGS, nested_queries


def deeper_than_allowed(query: str) -> bool:
    depth = deepest = 0
    for char in query:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    return deepest > MAX_GROUP_DEPTH


@pytest.fixture
def role_clients(shared_book, search_personas, client_for):
    """A client per role that may search the Sales group: administrator, operator, auditor."""
    auditor = make_operator("aude", Operator.Role.AUDITOR, [shared_book.sales])
    clients = [client_for(persona) for persona in (search_personas.administrator, search_personas.sales_operator, auditor)]
    for client in clients:
        client.raise_request_exception = False
    return clients


@PROPERTY_SETTINGS
@given(query=nested_queries())
def test_a_nested_query_on_the_search_pages_shows_what_is_wrong_and_where(shared_book, role_clients, query):
    for client in role_clients:
        for url in (reverse("accounts:account_search"), reverse("accounts:account_list", args=[shared_book.sales.pk])):
            response = client.get(url, {"q": query})
            assert response.status_code == 200
            error = response.context["search_error"]
            if deeper_than_allowed(query):
                assert error is not None
                assert f"(at position {error.position + 1})" in response.content.decode()


@PROPERTY_SETTINGS
@given(query=nested_queries())
def test_a_nested_query_in_an_export_is_refused_with_the_reason(shared_book, role_clients, query):
    for client in role_clients:
        for url in (reverse("accounts:batch_export_search"), reverse("accounts:batch_export", args=[shared_book.sales.pk])):
            response = client.get(url, {"q": query})
            if deeper_than_allowed(query):
                assert response.status_code == 302
                shown = client.get(response["Location"])
                assert "Nothing exported: the search is not valid" in shown.content.decode()
            else:
                assert response.status_code in (200, 302)


@PROPERTY_SETTINGS
@given(query=nested_queries().filter(lambda query: "\n" not in query and "\x00" not in query))
def test_search_accounts_exits_2_with_the_error_on_a_nested_query(shared_book, db, capsys, query):
    capsys.readouterr()
    try:
        call_command("search_accounts", "--", query)  # "--": a query may begin with "-"
    except SystemExit as exit_info:
        assert exit_info.code == 2
        assert capsys.readouterr().err.startswith("error: ")
    else:
        assert not deeper_than_allowed(query)


def test_search_accounts_answers_a_file_of_nested_queries_line_by_line(shared_book, db, capsys, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("(" * 470 + "rossi" + ")" * 470 + "\n" + "(" * 3 + "rossi" + ")" * 3 + "\n", encoding="utf-8")
    call_command("search_accounts", "--file", str(queries))
    deep, shallow = capsys.readouterr().out.splitlines()
    refusal = (f"Groups nested more than {MAX_GROUP_DEPTH} deep (at position {MAX_GROUP_DEPTH + 1}). "
               "Use fewer levels of parentheses, or escape a parenthesis as \\( to search for it.")
    assert deep.split("\t")[1:] == ["ERROR", refusal]
    assert shallow == "(((rossi)))\t100001,100002,100005"
