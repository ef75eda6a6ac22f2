"""Narrowing an account queryset to the matches of a search (used by list, search and export)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from accounts.search.index import search_account_ids
from accounts.search.query import SearchQueryError
from groups.models import Group


@dataclass(frozen=True)
class SearchOutcome:
    """The accounts to list, and the error to show when the query could not be answered."""

    accounts: QuerySet
    error: SearchQueryError | None = None


def with_ids(accounts: QuerySet, account_ids: list[int]) -> QuerySet:
    """`accounts` restricted to `account_ids`, passed as one parameter however many there are
    (an IN list of a million placeholders breaks SQLite and slows PostgreSQL's parser)."""
    if connection.vendor == "postgresql":
        subquery = RawSQL("SELECT unnest(%s::bigint[])", (account_ids,))
    else:
        subquery = RawSQL("SELECT value FROM json_each(%s)", (json.dumps(account_ids),))
    return accounts.filter(pk__in=subquery)


def search_within(accounts: QuerySet, query_text: str, *, user, group_ids: list[int] | None = None) -> SearchOutcome:
    """The accounts of `accounts` (already scoped to `user`) that match `query_text`.

    The index is asked only about the groups `user` may see (or `group_ids`, one group's list),
    and the database then applies `accounts`' own scope again: a stale or foreign entry in the
    index can never show an account, nor count one, that the operator may not see.
    """
    if group_ids is None and not user.is_administrator:
        group_ids = list(Group.objects.visible_to(user).values_list("pk", flat=True))
    try:
        account_ids = search_account_ids(query_text, group_ids=group_ids)
    except SearchQueryError as error:
        return SearchOutcome(accounts.none(), error)
    return SearchOutcome(with_ids(accounts, account_ids))


def search_context(query_text: str, error: SearchQueryError | None) -> dict:
    """Template context of a search box: the query, and the error with a caret under its place."""
    caret = " " * min(error.position, len(query_text)) + "^" if error else ""
    return {"query": query_text, "search_error": error, "search_error_caret": caret}
