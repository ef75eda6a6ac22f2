"""The search cheat-sheet (S2): next to every search box, listing every field the search knows,
and every example in it is a query that works as shown."""
import html
import re

from django.urls import reverse


def help_examples(page: str) -> list[str]:
    return [html.unescape(example) for example in re.findall(r'<code class="search-example">(.*?)</code>', page)]


def test_every_search_box_has_the_help_next_to_it(shared_book, search_personas, client_for):
    client = client_for(search_personas.administrator)
    for url, boxes in ((reverse("groups:group_list"), 1),
                       (reverse("accounts:account_list", args=[shared_book.sales.pk]), 2),
                       (reverse("accounts:account_search") + "?q=rossi", 2)):
        page = client.get(url).content.decode()
        assert page.count('role="search"') == boxes
        assert page.count("search-help-button") == boxes
        assert page.count('id="search-help"') == 1


def test_the_help_lists_every_field_the_search_knows(shared_book, search_personas, client_for):
    client = client_for(search_personas.administrator)
    answer = client.get(reverse("accounts:account_search"), {"q": "nosuchfield:x"})
    valid = re.search(r"Valid fields: (.*)", answer.context["search_error"].message).group(1)
    known = set(re.findall(r"[a-z]+", valid))
    page = answer.content.decode()
    listed = set(re.findall(r'<th scope="row" translate="no">([a-z]+)</th>', page))
    assert listed == known


def test_every_example_of_the_help_is_a_valid_query_and_the_number_prefix_finds_the_number(
    shared_book, search_personas, client_for,
):
    client = client_for(search_personas.administrator)
    examples = help_examples(client.get(reverse("groups:group_list")).content.decode())
    assert len(examples) >= 20
    for example in examples:
        response = client.get(reverse("accounts:account_search"), {"q": example})
        assert response.context["search_error"] is None, (example, response.context["search_error"])
    found = client.get(reverse("accounts:account_search"), {"q": "number:39027*"})
    assert sorted(account.username for account in found.context["page"]) == ["100002"]
