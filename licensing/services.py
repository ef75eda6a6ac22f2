"""Writes to licences. Account services call `licence_create` and `licence_update_terms` inside
their own transaction; the others are transactions of their own that write the audit record."""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from console.audit import (
    Actor,
    Changes,
    audit_record,
    changed_only,
)
from console.audit_text import AuditText, Label, audit_text
from console.errors import NotAllowedError
from licensing.clientcache import client_cache
from licensing.lookup import ClientAccount
from licensing.models import Licence

Answer = Licence.Answer
State = Licence.State

# A client that checks again within this time does not turn each request into a row write.
LAST_CHECKED_RESOLUTION = timedelta(seconds=60)

ANSWER_MESSAGES = {
    Answer.VALID: _("The licence is valid on this device."),
    Answer.EXPIRED: _("The licence has expired. Ask your service operator to renew it."),
    Answer.REVOKED: _("The keys of this account were revoked. The app must be provisioned again: "
                      "ask your service operator for a new activation SMS."),
    Answer.DISABLED: _("The account is disabled. Ask your service operator."),
    Answer.CONFLICT: _("The licence is in use on another device. Ask your service operator to clear the licence status."),
}


def _is_expired(licence: Licence, today: date) -> bool:
    """A licence is valid through its `valid_until` date, in the console's time zone."""
    return licence.valid_until is not None and licence.valid_until < today


def _state_without_device(licence: Licence, today: date) -> str:
    if licence.keys_revoked:
        return State.REVOKED
    if _is_expired(licence, today):
        return State.EXPIRED
    return State.VALID if licence.device_id else State.NOT_VALIDATED


def licence_create(*, account, edition: str | None, valid_until: date | None) -> Licence:
    """Give a new account its licence, not yet validated by any device."""
    licence = Licence(account=account, edition=edition or Licence.Edition.PROFESSIONAL, valid_until=valid_until)
    licence.state = _state_without_device(licence, timezone.localdate())
    licence.save()
    return licence


def licences_create_bulk(*, terms: Iterable[tuple[Any, str | None, date | None]], batch_size: int = 2000) -> list[Licence]:
    """`licence_create` for many new accounts at once (batch import): (account, edition, valid_until) each."""
    today = timezone.localdate()
    licences = []
    for account, edition, valid_until in terms:
        licence = Licence(account=account, edition=edition or Licence.Edition.PROFESSIONAL, valid_until=valid_until)
        licence.state = _state_without_device(licence, today)
        licences.append(licence)
    Licence.objects.bulk_create(licences, batch_size=batch_size)
    return licences


class Unchanged(Enum):
    """A licence term left as it is (`licence_update_terms`); None is a value: no end date."""

    TERM = "unchanged"


UNCHANGED = Unchanged.TERM


def licence_terms(licence: Licence) -> dict[str, Any]:
    """The licence's terms and state as the account's audit entries show them."""
    return {
        "licence_edition": licence.edition,
        "licence_valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "licence_state": licence.state,
    }


def licence_update_terms(*, account, edition: str | None, valid_until: date | None | Unchanged = UNCHANGED) -> Changes:
    """Change the edition and validity (None or UNCHANGED: keep them); the binding to a device
    is kept. Call inside the transaction of the account's update; returns what changed (the
    state included), and writes nothing when nothing did.

    Moving `valid_until` into the past makes the licence Expired at once; moving it back into the
    future turns an Expired licence Valid again (or Not validated when no device is bound).
    """
    licence, _ = Licence.objects.select_for_update().get_or_create(account=account)
    before = licence_terms(licence)
    if edition:
        licence.edition = edition
    # The state follows a new validity only: an untouched save leaves expiring to the worker.
    if valid_until is not UNCHANGED and valid_until != licence.valid_until:
        licence.valid_until = valid_until
        if licence.state in (State.VALID, State.NOT_VALIDATED, State.EXPIRED):
            licence.state = _state_without_device(licence, timezone.localdate())
    changes = changed_only(before, licence_terms(licence))
    if changes.fields:
        licence.save(update_fields=["edition", "valid_until", "state"])
    return changes


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one licence check: the answer for the client, the licence after it and when
    the check was made."""

    answer: str
    licence: Licence
    checked_at: datetime


def _decide(licence: Licence, account, device_id: str, today: date) -> tuple[str, dict]:
    """The answer for `device_id` and the licence fields that change with it (not yet saved)."""
    if licence.keys_revoked:
        return Answer.REVOKED, {"state": State.REVOKED}
    if not account.enabled:
        return Answer.DISABLED, {}
    if _is_expired(licence, today):
        return Answer.EXPIRED, {"state": State.EXPIRED}
    if licence.state == State.CONFLICT:
        # Stuck until an operator clears it, whichever device asks: the licence looks shared.
        if device_id != licence.device_id:
            return Answer.CONFLICT, {"conflict_device_id": device_id}
        return Answer.CONFLICT, {}
    if not licence.device_id:
        return Answer.VALID, {"state": State.VALID, "device_id": device_id, "conflict_device_id": ""}
    if licence.device_id == device_id:
        return Answer.VALID, {"state": State.VALID}
    return Answer.CONFLICT, {"state": State.CONFLICT, "conflict_device_id": device_id}


def _pending_changes(licence: Licence, changes: dict) -> dict:
    return {field: value for field, value in changes.items() if getattr(licence, field) != value}


def _needs_timeline_entry(licence: Licence, answer: str, device_id: str, now: datetime) -> bool:
    """A check goes on the activity timeline when its answer or device differs from the last one
    recorded, and otherwise at most once per LICENCE_CHECK_AUDIT_INTERVAL_SECONDS."""
    if licence.last_answer != answer or licence.last_answer_device_id != device_id:
        return True
    interval = timedelta(seconds=settings.LICENCE_CHECK_AUDIT_INTERVAL_SECONDS)
    return licence.last_answer_recorded_at is None or now - licence.last_answer_recorded_at >= interval


def _is_stale(licence: Licence, now: datetime) -> bool:
    return licence.last_checked_at is None or now - licence.last_checked_at >= LAST_CHECKED_RESOLUTION


def licence_check(*, account: ClientAccount, device_id: str) -> CheckResult:
    """Answer a client's licence validation for `device_id` (W4, L2); the caller has verified
    the account's SIP credentials.

    The first device binds; another device puts the licence in Conflict until an operator clears
    it; expired, revoked and disabled get their answer. A repeated identical check only refreshes
    `last_checked_at` (at most once a minute), in one statement without a lock.
    """
    now = timezone.now()
    # The console's time zone (no request activates another), without get_current_timezone(),
    # which looks up a context-local variable on every call.
    today = timezone.localdate(now, timezone.get_default_timezone())
    licence = account.licence
    if licence is None:
        licence, _ = Licence.objects.get_or_create(account_id=account.pk)
    answer, changes = _decide(licence, account, device_id, today)
    if _pending_changes(licence, changes) or _needs_timeline_entry(licence, answer, device_id, now):
        return _licence_check_locked(account=account, device_id=device_id, now=now)
    if _is_stale(licence, now):
        _record_checked_at(licence, now)
    return CheckResult(answer, licence, now)


def _record_checked_at(licence: Licence, now: datetime) -> None:
    """Set `last_checked_at` in one statement without a lock. Bookkeeping at a minute's resolution:
    on PostgreSQL, outside a caller's transaction, it commits without waiting for its WAL to reach
    the disk (a crash may forget the last moments of it, never leave the row half-written), so a
    client's request does not wait for a disk flush."""
    table, column, key = (
        connection.ops.quote_name(name) for name in (Licence._meta.db_table, "last_checked_at", Licence._meta.pk.column)
    )
    sql = f"UPDATE {table} SET {column} = %s WHERE {key} = %s"
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        sql = f"SET LOCAL synchronous_commit TO OFF; {sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), licence.pk])
    licence.last_checked_at = now


@transaction.atomic
def _licence_check_locked(*, account: ClientAccount, device_id: str, now: datetime) -> CheckResult:
    # This process's cached copy is outdated once this commits: drop it then, not when the
    # database's notification arrives, so the client's next check reads what was written.
    transaction.on_commit(lambda: client_cache.forget(account.username))
    licence = Licence.objects.select_for_update().get(account_id=account.pk)
    answer, changes = _decide(licence, account, device_id, timezone.localdate(now, timezone.get_default_timezone()))
    changed = _pending_changes(licence, changes)
    before = {field: getattr(licence, field) for field in changed}
    for field, value in changed.items():
        setattr(licence, field, value)
    if changed.get("device_id"):
        licence.bound_at = now
    update_fields = [*changed, "bound_at"] if "device_id" in changed else list(changed)
    if _needs_timeline_entry(licence, answer, device_id, now) or changed:
        audit_record(
            actor=Actor.client(), action="licence.check", obj=licence, account_id=account.pk,
            group_id=account.group_id, before=before or None, after=changed or None,
            message=audit_text(gettext_noop("Licence check from device %(device)s: %(answer)s"),
                               device=device_id, answer=Label(Answer(answer).label, lowercase=True)),
        )
        licence.last_answer, licence.last_answer_device_id, licence.last_answer_recorded_at = answer, device_id, now
        update_fields += ["last_answer", "last_answer_device_id", "last_answer_recorded_at"]
    licence.last_checked_at = now
    licence.save(update_fields=[*update_fields, "last_checked_at"])
    return CheckResult(answer, licence, now)


def _lock_licence(account_id: int) -> Licence:
    return Licence.objects.select_for_update().select_related("account").get(account_id=account_id)


def _state_fields(licence: Licence) -> dict:
    return {
        "state": licence.state,
        "device_id": licence.device_id,
        "conflict_device_id": licence.conflict_device_id,
        "keys_revoked": licence.keys_revoked,
    }


def _cleared(reason: str | AuditText = "") -> AuditText:
    return audit_text(gettext_noop("Licence status cleared: the next device that validates is bound. %(reason)s"), reason=reason)


def _has_binding(licence: Licence) -> bool:
    return bool(licence.device_id or licence.conflict_device_id or licence.keys_revoked or licence.state == State.CONFLICT)


@transaction.atomic
def licence_clear(*, actor: Actor, account_id: int) -> Licence:
    """Free the licence's device binding, conflict and key revocation (L3), so the next
    validation binds whichever device calls. Refused when there is nothing to clear."""
    licence = _lock_licence(account_id)
    if not _has_binding(licence):
        raise NotAllowedError(gettext("The licence of account %(username)s is not bound to a device: nothing to clear.")
                              % {"username": licence.account.username})
    return _unbind(licence, actor=actor, message=_cleared())


@transaction.atomic
def licences_clear(*, actor: Actor, account_ids: Iterable[int], reason: str | AuditText = "") -> dict[int, str]:
    """`licence_clear` for many accounts, in account id order; returns those left as they were,
    each with the reason (nothing to clear, no licence)."""
    wanted = list(account_ids)
    licences = {
        licence.account_id: licence for licence in
        Licence.objects.select_for_update(of=("self",)).select_related("account").filter(account_id__in=wanted).order_by("account_id")
    }
    skipped = {}
    for account_id in wanted:
        licence = licences.get(account_id)
        if licence is None:
            skipped[account_id] = "no licence (deleted meanwhile)"
        elif not _has_binding(licence):
            skipped[account_id] = "licence not bound to a device: nothing to clear"
        else:
            _unbind(licence, actor=actor, message=_cleared(reason))
    return skipped


@transaction.atomic
def licence_revoke_keys(*, actor: Actor, account_id: int) -> Licence:
    """Revoke the account's client keys: every licence answer says so until the account is
    provisioned again (`licence_credentials_renewed`) or an operator clears the licence."""
    licence = _lock_licence(account_id)
    if licence.keys_revoked:
        raise NotAllowedError(gettext("The keys of account %(username)s are already revoked.")
                              % {"username": licence.account.username})
    before = _state_fields(licence)
    licence.keys_revoked = True
    licence.revoked_at = timezone.now()
    licence.state = State.REVOKED
    licence.save(update_fields=["keys_revoked", "revoked_at", "state"])
    before, after = changed_only(before, _state_fields(licence))
    audit_record(
        actor=actor, action="licence.revoke_keys", obj=licence, account_id=licence.account_id,
        group_id=licence.account.group_id, before=before, after=after,
        message=audit_text(gettext_noop("Keys revoked: the client must be provisioned again.")),
    )
    return licence


def licence_credentials_renewed(*, actor: Actor, account) -> Licence | None:
    """Call inside the transaction that gives the account new SIP credentials (activation hands
    a fresh password to a client). Only the newly provisioned client holds them, so the device
    binding, a conflict and a key revocation are lifted; the next validation binds that client.
    Records an audit entry only when something was lifted."""
    licence = Licence.objects.select_for_update().filter(account_id=account.pk).first()
    if licence is None or not _has_binding(licence):
        return licence
    return _unbind(licence, actor=actor, message=audit_text(
        gettext_noop("New credentials issued: the licence binds the newly provisioned device.")))


def _unbind(licence: Licence, *, actor: Actor, message: AuditText) -> Licence:
    """Free the device binding, a conflict and a key revocation, with one audit entry."""
    before = _state_fields(licence)
    licence.device_id = licence.conflict_device_id = ""
    licence.bound_at = licence.revoked_at = None
    licence.keys_revoked = False
    licence.state = _state_without_device(licence, timezone.localdate())
    licence.last_answer = licence.last_answer_device_id = ""
    licence.save()
    before, after = changed_only(before, _state_fields(licence))
    audit_record(
        actor=actor, action="licence.clear", obj=licence, account_id=licence.account_id,
        group_id=licence.account.group_id, before=before, after=after, message=message,
    )
    return licence


def licences_mark_expired(*, actor: Actor, today: date, limit: int = 500) -> int:
    """Move licences whose `valid_until` has passed to Expired, one audit entry each; returns how
    many. Revoked licences stay Revoked."""
    due = list(
        Licence.objects.filter(valid_until__lt=today, state__in=[State.NOT_VALIDATED, State.VALID, State.CONFLICT])
        .values_list("pk", flat=True)[:limit]
    )
    for licence_id in due:
        _licence_mark_expired(actor=actor, licence_id=licence_id, today=today)
    return len(due)


@transaction.atomic
def _licence_mark_expired(*, actor: Actor, licence_id: int, today: date) -> None:
    licence = Licence.objects.select_for_update().select_related("account").get(pk=licence_id)
    if not _is_expired(licence, today) or licence.state in (State.EXPIRED, State.REVOKED):
        return
    before = licence.state
    licence.state = State.EXPIRED
    licence.save(update_fields=["state"])
    audit_record(
        actor=actor, action="licence.expire", obj=licence, account_id=licence.account_id,
        group_id=licence.account.group_id, before={"state": before}, after={"state": State.EXPIRED},
        message=audit_text(gettext_noop("Licence expired (valid until %(valid_until)s)."), valid_until=f"{licence.valid_until:%Y-%m-%d}"),
    )
