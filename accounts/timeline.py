"""The account's activity timeline (A4): one list of everything that happened to it."""
from console.models import AuditEntry

TIMELINE_LENGTH = 200


def account_timeline(account) -> list[AuditEntry]:
    """The newest events of `account`, newest first: operator changes with before/after, lifecycle
    steps, SMS, customer and client actions, licence checks and registrations, all of which are
    recorded in the audit log with the account's id."""
    return list(AuditEntry.objects.filter(account_id=account.pk).select_related("actor")[:TIMELINE_LENGTH])
