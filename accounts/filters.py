"""The filters of an account list (status, type, enabled, stuck for N days), read from a query string.

A group's list, the search results and a bulk action's "all N matching" apply the same filters,
so what the operator saw listed is what the action touches."""
from collections.abc import Mapping
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account

LIST_FILTERS = {
    "status": ("status", dict(Account.Status.choices)),
    "type": ("account_type", dict(Account.AccountType.choices)),
    "enabled": ("enabled", {"yes": True, "no": False}),
}
MAX_STUCK_DAYS = 3650


def stuck_days(params: Mapping) -> int | None:
    """`?stuck=N`: accounts whose last status is older than N days (1 to 3650); None when absent or malformed."""
    value = str(params.get("stuck", "")).strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_STUCK_DAYS:
        return None
    return int(value)


def filter_accounts(params: Mapping, accounts: QuerySet) -> tuple[QuerySet, dict[str, str]]:
    """Apply the list's filters named in `params` (a query string); unknown values are ignored.
    Returns the narrowed queryset and the filters in force, as strings."""
    active = {}
    for parameter, (field, allowed) in LIST_FILTERS.items():
        value = params.get(parameter, "")
        if value in allowed:
            accounts = accounts.filter(**{field: allowed[value] if parameter == "enabled" else value})
            active[parameter] = value
    days = stuck_days(params)
    if days is not None:
        accounts = accounts.filter(status_changed_at__lt=timezone.now() - timedelta(days=days))
        active["stuck"] = str(days)
    return accounts, active
