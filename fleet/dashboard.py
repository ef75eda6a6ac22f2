"""What the home page shows (F4), in the operator's scope: the activation funnel with the accounts
stuck at each step, licences needing attention, failed SMS and clients registered now.

Counts are exact and read with plain SELECTs, which never wait for a writer nor block one. The
funnel reads the counts kept per group and status (fleet.status_counts) rather than every
account; the accounts stuck at a step are those at it less those that reached it within the
chosen days, which an index on the status date finds without reading the others. Both come from
one statement, so they agree with each other."""
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, IntegerField, QuerySet, Value
from django.utils import timezone

from accounts.models import Account
from accounts.sipserver.registrations import registrations_of, sip_server_database
from activation.models import SmsMessage
from fleet.status_counts import status_counts
from licensing.queries import attention_counts_in_groups

Status = Account.Status
DEFAULT_STUCK_DAYS = 3
FAILED_SMS_WINDOW = timedelta(hours=24)
# The SMS that moves an account on from each step: re-sent to the accounts stuck there.
NEXT_SMS = {
    Status.CREATED: SmsMessage.Purpose.INSTALLATION,
    Status.INSTALLATION_SMS_SENT: SmsMessage.Purpose.INSTALLATION,
    Status.INSTALLATION_CLICKED: SmsMessage.Purpose.INSTALLATION,
    Status.INSTALLED: SmsMessage.Purpose.ACTIVATION,
    Status.ACTIVATION_SMS_SENT: SmsMessage.Purpose.ACTIVATION,
}


@dataclass(frozen=True)
class FunnelStep:
    """One lifecycle step: the accounts at it now, those at it or further on (`reached`), the
    share of those that moved on past it, and those at it for more than the chosen days."""

    status: str
    label: str
    at_step: int
    reached: int
    moved_on_percent: int | None
    stuck: int
    total: int

    @property
    def here_width(self) -> float:
        """The bar's part for the accounts at this step, as a share of all accounts (percent)."""
        return round(100 * self.at_step / (self.total or 1), 1)

    @property
    def further_width(self) -> float:
        """The bar's part for the accounts further on."""
        return round(100 * (self.reached - self.at_step) / (self.total or 1), 1)

    @property
    def sms_purpose(self) -> str | None:
        return NEXT_SMS.get(self.status)

    @property
    def sms_action(self) -> str | None:
        """The bulk action that re-sends this step's SMS."""
        return f"send_{self.sms_purpose}_sms" if self.sms_purpose else None


def _at_and_recent(accounts: QuerySet, group_ids, cutoff) -> dict[str, tuple[int, int]]:
    """By status: the accounts at it, and those that reached it at `cutoff` or later; one statement."""
    zero = Value(0, output_field=IntegerField())
    at = status_counts(accounts, group_ids).annotate(recent=zero)
    recent = (accounts.filter(status_changed_at__gte=cutoff).order_by().values("status")
              .annotate(accounts=zero, recent=Count("*")))
    by_status = {}
    for row in at.union(recent, all=True):
        at_step, moved_recently = by_status.get(row["status"], (0, 0))
        by_status[row["status"]] = (at_step + int(row["accounts"]), moved_recently + row["recent"])
    return by_status


def funnel(accounts: QuerySet, *, group_ids, stuck_days: int) -> list[FunnelStep]:
    """The activation funnel (A9's order) of `accounts`, which are those of the groups `group_ids`
    (None: every group)."""
    by_status = _at_and_recent(accounts, group_ids, timezone.now() - timedelta(days=stuck_days))
    at = [by_status.get(status, (0, 0))[0] for status in Status.values]
    reached = [sum(at[index:]) for index in range(len(at))]
    steps = []
    for index, (status, label) in enumerate(Status.choices):
        further = reached[index + 1] if index + 1 < len(at) else None
        moved_on = round(100 * further / reached[index]) if further is not None and reached[index] else None
        stuck = at[index] - by_status.get(status, (0, 0))[1] if status != Status.CONNECTED else 0
        steps.append(FunnelStep(status, label, at[index], reached[index], moved_on, stuck, reached[0]))
    return steps


@dataclass(frozen=True)
class Attention:
    """The other figures of the dashboard."""

    licences_expiring: int
    licences_conflict: int
    failed_sms: int
    registered_now: int | None  # None: no SIP server shares this database (the embedded SQLite)


def attention(accounts: QuerySet, group_ids, sms: QuerySet) -> Attention:
    """Licences expiring within 30 days and in conflict (of the groups `group_ids`, None: every
    group), SMS failed in the last 24 hours (`sms`, already in scope) and accounts of `accounts`
    with a live registration."""
    licences = attention_counts_in_groups(group_ids, ("expiring", "conflict"))
    failed = sms.filter(state=SmsMessage.State.FAILED, finished_at__gte=timezone.now() - FAILED_SMS_WINDOW).count()
    registered = registrations_of(accounts).count() if sip_server_database() else None
    return Attention(licences["expiring"], licences["conflict"], failed, registered)
