"""The kept counts of accounts per group and status (fleet.models.AccountStatusCount): reading
them in an operator's scope, and folding their delta rows (a worker task). PostgreSQL only; on
SQLite the counts come from one GROUP BY over the accounts."""
from django.db import connection
from django.db.models import Count, QuerySet, Sum

from fleet.models import AccountStatusCount


def kept_counts_available() -> bool:
    """Whether the database keeps the counts (its triggers exist on PostgreSQL only)."""
    return connection.vendor == "postgresql"


def status_counts(accounts: QuerySet, group_ids) -> QuerySet:
    """Accounts per status as rows of (status, accounts): from the kept counts of the groups
    `group_ids` (None: every group) when the database keeps them, else counted in `accounts`."""
    if not kept_counts_available():
        return accounts.order_by().values("status").annotate(accounts=Count("pk"))
    counts = AccountStatusCount.objects.all() if group_ids is None else AccountStatusCount.objects.filter(group_id__in=group_ids)
    return counts.order_by().values("status").annotate(accounts=Sum("accounts"))


def kept_account_count(group_id: int, status: str | None = None) -> int | None:
    """How many accounts the group holds (of `status`, when given), from the kept counts; None
    where the database keeps none. Unlike COUNT(*) over the group's rows, its cost does not grow
    when a bulk action has just rewritten them (an index-only count then visits every rewritten
    row until vacuum has run)."""
    if not kept_counts_available():
        return None
    counts = AccountStatusCount.objects.filter(group_id=group_id, **({"status": status} if status else {}))
    return counts.aggregate(total=Sum("accounts"))["total"] or 0


def status_counts_fold() -> int:
    """Worker task: fold the delta rows into one row per (group, status), dropping those that sum
    to 0, in one statement (writers keep inserting meanwhile; a reader sees the sums before or
    after, never between). Returns the rows folded away."""
    if not kept_counts_available():
        return 0
    table = connection.ops.quote_name(AccountStatusCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) - count(DISTINCT (group_id, status)) FROM {table}")
        surplus = cursor.fetchone()[0]
        if surplus:
            cursor.execute(
                f"WITH folded AS (DELETE FROM {table} RETURNING group_id, status, accounts) "
                f"INSERT INTO {table} (group_id, status, accounts) SELECT group_id, status, sum(accounts) FROM folded "
                f"GROUP BY group_id, status HAVING sum(accounts) <> 0"
            )
    return surplus
