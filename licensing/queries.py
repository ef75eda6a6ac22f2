"""Reads of licences: which ones need an operator's attention (L4)."""
from datetime import date, timedelta

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from licensing.models import Licence

EXPIRING_WITHIN_DAYS = 30

ATTENTION_REASONS = {
    "conflict": _("Conflict"),
    "expired": _("Expired"),
    "expiring": format_lazy(_("Expires within {days} days"), days=EXPIRING_WITHIN_DAYS),
    "never_validated": _("Activated, never validated"),
}


def attention_conditions(today: date) -> dict[str, Q]:
    """Each reason for attention as a condition on Licence, in order of urgency."""
    return {
        "conflict": Q(state=Licence.State.CONFLICT),
        "expired": Q(valid_until__lt=today) | Q(state=Licence.State.EXPIRED),
        "expiring": Q(valid_until__gte=today, valid_until__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS)),
        # Typically the client web service is not reachable from the internet (Services page).
        "never_validated": Q(
            state=Licence.State.NOT_VALIDATED,
            account__creation_method=Account.CreationMethod.WIZARD,
            account__status__in=[Account.Status.ACTIVATED, Account.Status.CONNECTED],
        ),
    }


def licences_needing_attention(accounts: QuerySet, *, reason: str | None = None) -> QuerySet:
    """The licences of `accounts` that need attention, annotated with `attention` (the most urgent
    reason's key) and `attention_order`; only those of `reason` when it names one."""
    conditions = attention_conditions(timezone.localdate())
    wanted = [conditions[reason]] if reason in conditions else list(conditions.values())
    matching = Q()
    for condition in wanted:
        matching |= condition
    return (
        Licence.objects.filter(matching, account__in=accounts.values("pk"))
        .select_related("account", "account__group")
        .annotate(
            attention=Case(*(When(condition, then=Value(key)) for key, condition in conditions.items())),
            attention_order=Case(
                *(When(condition, then=Value(order)) for order, condition in enumerate(conditions.values())),
                output_field=IntegerField(),
            ),
        )
    )


def attention_counts(accounts: QuerySet) -> dict[str, int]:
    """How many licences of `accounts` each reason covers, in one query."""
    conditions = attention_conditions(timezone.localdate())
    return Licence.objects.filter(account__in=accounts.values("pk")).aggregate(
        **{key: Count("pk", filter=condition) for key, condition in conditions.items()}
    )


def attention_counts_in_groups(group_ids, reasons: tuple[str, ...]) -> dict[str, int]:
    """How many licences of the groups `group_ids` (None: every group) each of `reasons` covers.
    Each reason's licences come from the index holding its column and the account, never from
    every licence; within groups, one join of them all to the groups' accounts counts every reason."""
    conditions = attention_conditions(timezone.localdate())
    if group_ids is None:
        return {reason: Licence.objects.filter(conditions[reason]).count() for reason in reasons}
    selects, params = [], []
    for reason in reasons:
        sql, reason_params = Licence.objects.filter(conditions[reason]).values_list("account_id").query.sql_with_params()
        selects.append(f"SELECT part.account_id, %s AS reason FROM ({sql}) AS part")
        params += [reason, *reason_params]
    in_groups, group_params = Account.objects.filter(group_id__in=group_ids).values("pk").query.sql_with_params()
    counts = ", ".join("count(*) FILTER (WHERE matching.reason = %s)" for _ in reasons)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {counts} FROM ({' UNION ALL '.join(selects)}) AS matching WHERE matching.account_id IN ({in_groups})",
            [*reasons, *params, *group_params],
        )
        return dict(zip(reasons, cursor.fetchone(), strict=True))
