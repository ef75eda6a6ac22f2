"""The worker's SIP-server task (settings.WORKER_TASKS): notice new registrations."""
import logging

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.services import account_set_status
from accounts.sipserver.registrations import (
    contact_source,
    from_kamailio_local,
    kamailio_time_zone,
    sip_server_database,
    to_kamailio_local,
)
from console.audit import Actor
from console.audit_text import AuditText, audit_text

logger = logging.getLogger(__name__)

BATCH_SIZE = 200

# Enabled accounts that are not Connected and hold a live contact registered (or refreshed) since
# their last status change; `last_modified` has whole seconds, so the status date is truncated.
_NEWLY_REGISTERED_SQL = """
    SELECT a.id, min(l.last_modified), min(l.received), min(l.contact), min(l.user_agent)
      FROM location l JOIN accounts_account a ON a.username = l.username
     WHERE a.status <> %s AND a.enabled AND l.expires > %s
       AND l.last_modified >= date_trunc('second', a.status_changed_at AT TIME ZONE %s)
     GROUP BY a.id
     ORDER BY a.id
     LIMIT %s
"""


def _registered_from(source: str, user_agent: str) -> AuditText:
    """Why an account became Connected: where it registered from, and with which client when known."""
    if user_agent:
        return audit_text(gettext_noop("registered from %(source)s (%(user_agent)s)"), source=source, user_agent=user_agent[:150])
    return audit_text(gettext_noop("registered from %(source)s"), source=source)


def accounts_connect_registered() -> int:
    """Move every account with a new registration to Connected, dated by the registration.

    Returns how many accounts moved. Several workers may run at once: each account is claimed
    with a row lock and moves only if it is still not Connected.
    """
    if not sip_server_database():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _NEWLY_REGISTERED_SQL,
            [Account.Status.CONNECTED, to_kamailio_local(timezone.now()), kamailio_time_zone().key, BATCH_SIZE],
        )
        rows = cursor.fetchall()
    moved = 0
    for account_id, registered_local, received, contact, user_agent in rows:
        with transaction.atomic():
            account = (
                Account.objects.select_for_update(skip_locked=True)
                .filter(pk=account_id, enabled=True)
                .exclude(status=Account.Status.CONNECTED)
                .first()
            )
            if account is None:
                continue
            registered_at = max(from_kamailio_local(registered_local), account.status_changed_at)
            cause = _registered_from(contact_source(received, contact), user_agent)
            account_set_status(
                actor=Actor.sip_server(), account_id=account.pk, status=Account.Status.CONNECTED, cause=cause, at=registered_at,
            )
        moved += 1
        logger.info("Account %s is Connected (%s).", account.username, cause)
    return moved
