"""IdsFirstPaginator (the account list's paging): the same pages as Django's Paginator, page numbers
included, whichever end a page is read from."""
import pytest
from django.core.paginator import Paginator
from django.test import RequestFactory

from accounts.demo_data import demo_data_generate
from accounts.models import Account
from accounts.views import ACCOUNT_COLUMNS
from console.audit import Actor
from console.listing import IdsFirstPaginator, apply_sort

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return demo_data_generate(actor=Actor.system(), groups=2, accounts=46, largest_group=23).groups[0]


def sorted_accounts(group, sort: str):
    request = RequestFactory().get("/", {"sort": sort})
    accounts, _ = apply_sort(request, Account.objects.filter(group=group).for_list(), ACCOUNT_COLUMNS, "username")
    return accounts


@pytest.mark.parametrize("sort", [column.key for column in ACCOUNT_COLUMNS] + [f"-{column.key}" for column in ACCOUNT_COLUMNS])
def test_every_page_of_every_sort_holds_the_rows_djangos_paginator_gives(group, sort):
    accounts = sorted_accounts(group, sort)
    expected, paged = Paginator(accounts, 5), IdsFirstPaginator(accounts, 5)

    assert paged.num_pages == expected.num_pages == 5
    for number in expected.page_range:
        assert [account.pk for account in paged.page(number)] == [account.pk for account in expected.page(number)]


def test_the_rows_carry_the_list_columns_group_licence_and_registration_state(group):
    page = IdsFirstPaginator(sorted_accounts(group, "-owner"), 5).page(4)

    assert len(page) == 5
    for account in page:
        assert account.group.pk == group.pk
        assert account.licence.account_id == account.pk
        assert account.registered_now is False


def test_orphans_and_out_of_range_pages_behave_like_djangos(group):
    accounts = sorted_accounts(group, "status")
    expected, paged = Paginator(accounts, 5, orphans=3), IdsFirstPaginator(accounts, 5, orphans=3)

    assert [len(expected.page(n)) for n in expected.page_range] == [len(paged.page(n)) for n in paged.page_range] == [5, 5, 5, 8]
    assert [a.pk for a in paged.get_page(99)] == [a.pk for a in expected.get_page(99)]
    assert [a.pk for a in paged.get_page("x")] == [a.pk for a in expected.get_page("x")]


def test_an_empty_list_has_one_empty_page():
    page = IdsFirstPaginator(Account.objects.none().order_by("username"), 5).get_page(1)

    assert list(page) == []
    assert page.paginator.num_pages == 1
