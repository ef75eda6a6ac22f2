"""The search boxes (S1), malformed queries on the page (S3), and scope (O2): an operator never
sees another group's account in any result or count."""
import pytest
from django.urls import reverse


def page_usernames(response) -> list[str]:
    return sorted(account.username for account in response.context["page"])


def test_group_search_box_searches_that_group(shared_book, search_personas, client_for):
    client = client_for(search_personas.administrator)
    url = reverse("accounts:account_list", args=[shared_book.support.pk])
    response = client.get(url, {"q": "phone OR rossi"})
    assert response.status_code == 200
    assert page_usernames(response) == ["200003", "200006"]
    assert response.context["page"].paginator.count == 2


def test_group_list_without_query_lists_the_whole_group(shared_book, search_personas, client_for):
    response = client_for(search_personas.administrator).get(reverse("accounts:account_list", args=[shared_book.sales.pk]))
    assert page_usernames(response) == ["100001", "100002", "100005"]


def test_global_search_covers_every_group_the_administrator_sees(shared_book, search_personas, client_for):
    response = client_for(search_personas.administrator).get(reverse("accounts:account_search"), {"q": "phone OR rossi"})
    assert response.status_code == 200
    assert page_usernames(response) == ["100001", "100002", "100005", "200003", "200006"]
    assert b"5 accounts match" in response.content


def test_global_search_never_shows_or_counts_another_groups_accounts(shared_book, search_personas, client_for):
    response = client_for(search_personas.sales_operator).get(reverse("accounts:account_search"), {"q": "*:*"})
    assert page_usernames(response) == ["100001", "100002", "100005"]
    assert response.context["page"].paginator.count == 3
    response = client_for(search_personas.support_operator).get(reverse("accounts:account_search"), {"q": "rossi"})
    assert page_usernames(response) == []
    assert response.context["page"].paginator.count == 0
    assert b"100001" not in response.content


def test_group_search_of_a_group_outside_scope_is_404(shared_book, search_personas, client_for):
    url = reverse("accounts:account_list", args=[shared_book.sales.pk])
    assert client_for(search_personas.support_operator).get(url, {"q": "rossi"}).status_code == 404


@pytest.mark.parametrize("query", ["owner:(rossi", "foo:bar", '"unterminated', "rossi AND", "/ross"])
def test_malformed_query_shows_message_position_and_hint_not_an_error(shared_book, search_personas, client_for, query):
    client = client_for(search_personas.administrator)
    for url in (reverse("accounts:account_search"), reverse("accounts:account_list", args=[shared_book.sales.pk])):
        response = client.get(url, {"q": query})
        assert response.status_code == 200
        error = response.context["search_error"]
        assert error is not None
        content = response.content.decode()
        assert "search-error" in content
        assert f"(at position {error.position + 1})" in content
        assert page_usernames(response) == []


def test_search_requires_login(client):
    response = client.get(reverse("accounts:account_search"), {"q": "rossi"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_top_bar_holds_the_global_search_box(shared_book, search_personas, client_for):
    response = client_for(search_personas.sales_operator).get(reverse("accounts:account_list", args=[shared_book.sales.pk]))
    assert f'action="{reverse("accounts:account_search")}"'.encode() in response.content


def test_export_of_a_search_holds_only_accounts_in_scope(shared_book, search_personas, client_for):
    response = client_for(search_personas.support_operator).get(reverse("accounts:batch_export_search"), {"q": "*:*"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    for username in ("200003", "200004", "200006"):
        assert username in body
    for username in ("100001", "100002", "100005"):
        assert username not in body
