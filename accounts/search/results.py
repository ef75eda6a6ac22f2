"""Narrowing an account queryset to the matches of a search (used by list, search and export)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext

from accounts.models import Account
from accounts.search.engine.index import get_index
from accounts.search.engine.index_files import WITHIN_A_REQUEST, SearchIndexBusy
from accounts.search.engine.searching import Matches
from accounts.search.language.errors import SearchQueryError
from groups.models import Group


@dataclass(frozen=True)
class SearchOutcome:
    """The accounts to list, and the error to show when the query could not be answered."""

    accounts: QuerySet
    error: SearchQueryError | SearchIndexBusy | None = None

    @property
    def refusal(self) -> str:
        """Why the search gave no accounts, to end a sentence ("Nothing exported: ...")."""
        if isinstance(self.error, SearchIndexBusy):
            return gettext("the search index is being brought up to date; try again in a minute")
        return gettext("the search is not valid (%(error)s)") % {"error": self.error}



def _id_in(account_ids: list[int]) -> Q | RawSQL:
    """The condition "the account's id is one of `account_ids`", with the ids passed as one
    parameter however many there are (an IN list of a million placeholders breaks SQLite and
    slows PostgreSQL's parser).

    On PostgreSQL it is `id = ANY('{1,2,3}'::bigint[])`: one array literal, which the database
    reads quickly, where psycopg2 would turn a list into a million-element ARRAY[...]
    expression; and a scalar array test, which the planner costs well, where `IN (SELECT
    unnest(...))` is estimated at 200 rows and joined by a million index probes."""
    if connection.vendor == "postgresql":
        literal = "{" + ",".join(map(str, account_ids)) + "}"
        column = f"{connection.ops.quote_name(Account._meta.db_table)}.{connection.ops.quote_name('id')}"
        return RawSQL(f"{column} = ANY(%s::bigint[])", (literal,), output_field=BooleanField())
    return Q(pk__in=RawSQL("SELECT value FROM json_each(%s)", (json.dumps(account_ids),)))


def restricted_to(accounts: QuerySet, matches: Matches) -> QuerySet:
    """`accounts` narrowed to what a search matched (see searching.Matches); `accounts` must be the
    scope the index was asked about."""
    if matches.ids is not None:
        return accounts.filter(_id_in(matches.ids))
    return accounts.exclude(_id_in(matches.unmatched_ids)) if matches.unmatched_ids else accounts


def search_within(accounts: QuerySet, query_text: str, *, user, group_ids: list[int] | None = None) -> SearchOutcome:
    """The accounts of `accounts` (already scoped to `user`) that match `query_text`.

    The index is asked only about the groups `user` may see (or `group_ids`, one group's list),
    and the database then applies `accounts`' own scope again: a stale or foreign entry in the
    index can never show an account, nor count one, that the operator may not see. A query
    matching nearly everything comes back as its exceptions (searching.Matches), which `accounts`
    then leaves out; an account committed in the instant between the index's catching up and
    this query is then listed, as an account changed in that instant may be with the other form.
    """
    if group_ids is None and not user.is_administrator:
        group_ids = list(Group.objects.visible_to(user).values_list("pk", flat=True))
    try:
        matches = get_index().match(query_text, group_ids=group_ids, patience=WITHIN_A_REQUEST)
    except (SearchQueryError, SearchIndexBusy) as error:
        return SearchOutcome(accounts.none(), error)
    if group_ids is not None:
        # The groups the index was asked about: a group given to the operator since then must
        # not add its accounts to a result said as exceptions (nothing of it is excepted).
        accounts = accounts.filter(group_id__in=group_ids)
    return SearchOutcome(restricted_to(accounts, matches))


def search_context(query_text: str, error: SearchQueryError | SearchIndexBusy | None) -> dict:
    """Template context of a search box: the query, and the error with a caret under its place;
    `search_busy` when the index could not answer yet (the list must not say nothing matches)."""
    caret = " " * min(error.position, len(query_text)) + "^" if error and error.position is not None else ""
    return {"query": query_text, "search_error": error, "search_error_caret": caret,
            "search_busy": isinstance(error, SearchIndexBusy)}
