"""An index that was never told about accounts (demo data and hand-made INSERTs write no change-log
row) is not believed: generate_demo_data rebuilds it, and any other index notices accounts newer
than it knows and is rebuilt, or says it is being brought up to date, never a wrong "0 accounts
match"."""
import re
from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from accounts.demo_data import demo_data_generate
from accounts.models import Account
from accounts.search.engine.index import keep_index_warm
from accounts.search.engine.index_files import Patience
from console.audit import Actor
from console.models import Operator
from tests.conftest import make_operator
from tests.search.conftest import usernames_matching


def phone_accounts() -> list[str]:
    """Usernames of the accounts whose description holds the word "phone"."""
    return sorted(username for username, description in Account.objects.values_list("username", "description")
                  if re.search(r"\bphone\b", description, re.IGNORECASE))


def test_generate_demo_data_leaves_the_search_index_up_to_date(transactional_db, search_index):
    usernames_matching("anything")  # an index, up to date with an empty database
    out = StringIO()
    call_command("generate_demo_data", groups=2, accounts=120, stdout=out)

    assert "Search index rebuilt (as rebuild_search_index does): 120 accounts" in out.getvalue()
    expected = phone_accounts()
    assert len(expected) > 5
    assert usernames_matching("description:phone") == expected
    assert search_index.check().difference_count == 0


def search_page(client, query: str) -> str:
    return client.get(reverse("accounts:account_search"), {"q": query}).content.decode()


def test_accounts_written_without_the_change_log_are_found_after_a_rebuild_the_search_does(
        transactional_db, search_index, client_for):
    client = client_for(make_operator("alice", Operator.Role.ADMINISTRATOR))
    search_page(client, "phone")
    demo_data_generate(actor=Actor.system(), groups=2, accounts=80)

    page = client.get(reverse("accounts:account_search"), {"q": "description:phone"})

    assert page.context["page"].paginator.count == len(phone_accounts()) > 0


def test_a_web_search_on_an_index_missing_many_accounts_says_so_until_the_worker_rebuilds_it(
        transactional_db, search_index, client_for, monkeypatch):
    monkeypatch.setattr("accounts.search.results.WITHIN_A_REQUEST", Patience(0.2, work_limit=50, may_fork=False))
    client = client_for(make_operator("alice", Operator.Role.ADMINISTRATOR))
    search_page(client, "phone")
    demo_data_generate(actor=Actor.system(), groups=2, accounts=80)

    page = search_page(client, "description:phone")

    assert "The search index is being brought up to date" in page
    assert "No accounts match" not in page and "No answer yet: the search index is being brought up to date." in page
    assert keep_index_warm() == 80
    assert client.get(reverse("accounts:account_search"), {"q": "description:phone"}).context[
        "page"].paginator.count == len(phone_accounts())
