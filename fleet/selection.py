"""Which accounts a bulk action is for: the query that picks them, evaluated by the server.

"All N matching" is kept as the list's query (group, search, filters) and evaluated when the action
runs, always through `Account.objects.visible_to`; ticked rows are ids, checked against the same
scope. Nothing the browser sends can reach an account outside the operator's groups.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext

from accounts.filters import LIST_FILTERS, filter_accounts
from accounts.models import Account
from accounts.search.results import search_within
from console.errors import ServiceError

FILTER_NAMES = (*LIST_FILTERS, "stuck")
MAX_TICKED = 1000


@dataclass(frozen=True)
class Selection:
    """A group's list (`group_id`) or every group the operator sees (None), narrowed by the list's
    search `q` and `filters`; then either all matching (`account_ids` None) or the ticked ids."""

    group_id: int | None = None
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    account_ids: tuple[int, ...] | None = None

    @classmethod
    def from_params(cls, params: Mapping) -> "Selection":
        """From a list page's form: `group`, `q`, the filters, `scope` ("all" or "selected") and `ids`."""
        group = str(params.get("group", ""))
        ids = None
        if params.get("scope") != "all":
            values = params.getlist("ids") if hasattr(params, "getlist") else params.get("ids", [])
            ids = tuple(sorted({int(value) for value in values if str(value).isdigit()}))[:MAX_TICKED]
        return cls(
            group_id=int(group) if group.isdigit() else None,
            q=str(params.get("q", "")).replace("\x00", "").strip(),
            filters={name: str(params[name]) for name in FILTER_NAMES if params.get(name)},
            account_ids=ids,
        )

    @classmethod
    def from_json(cls, data: dict) -> "Selection":
        ids = data.get("account_ids")
        return cls(data.get("group_id"), data.get("q", ""), dict(data.get("filters", {})), tuple(ids) if ids is not None else None)

    def as_json(self) -> dict:
        return {"group_id": self.group_id, "q": self.q, "filters": self.filters,
                "account_ids": list(self.account_ids) if self.account_ids is not None else None}

    def as_params(self) -> dict[str, str | list[str]]:
        """The form fields that carry this selection to the next request."""
        params: dict[str, str | list[str]] = {**self.filters, "scope": "all" if self.account_ids is None else "selected"}
        if self.group_id is not None:
            params["group"] = str(self.group_id)
        if self.q:
            params["q"] = self.q
        if self.account_ids is not None:
            params["ids"] = [str(pk) for pk in self.account_ids]
        return params

    @property
    def all_matching(self) -> bool:
        return self.account_ids is None


def selection_accounts(selection: Selection, user) -> QuerySet:
    """The accounts of `selection` that `user` may see, as the server finds them now. A search that
    cannot be answered (malformed, index busy) is refused with a ServiceError saying why."""
    accounts = Account.objects.visible_to(user)
    if selection.group_id is not None:
        accounts = accounts.filter(group_id=selection.group_id)
    if selection.q:
        group_ids = [selection.group_id] if selection.group_id is not None else None
        outcome = search_within(accounts, selection.q, user=user, group_ids=group_ids)
        if outcome.error:
            raise ServiceError(gettext("Nothing was done: %(refusal)s.") % {"refusal": outcome.refusal})
        accounts = outcome.accounts
    accounts, _ = filter_accounts(selection.filters, accounts)
    if selection.account_ids is not None:
        accounts = accounts.filter(pk__in=selection.account_ids)
    return accounts
