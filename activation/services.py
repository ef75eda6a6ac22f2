"""Writes of the activation app: provisioning profiles, wizard accounts, queueing SMS and recording
what became of them. Each function is one transaction with its audit record (DESIGN 3).
The customer's side (links opened, install report, Activate) is in activation/customer.py."""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from accounts.models import Account
from accounts.services import StatusChange, account_create, accounts_set_status
from activation.models import OneTimeLink, ProvisioningProfile, SmsMessage
from activation.sms.config import SmsConfig, sms_config
from activation.sms.gateways import Outcome, SendResult
from activation.sms.texts import TEST_TEXT, masked_sms_text
from activation.tokens import token_hash
from console.audit import (
    Actor,
    audit_entry,
    audit_record,
    audit_record_many,
    changed_only,
    snapshot,
)
from console.audit_text import audit_text
from console.errors import NotAllowedError, ServiceError, require_unchanged_since
from console.models import AuditEntry
from console.row_batches import full_rows, insert, rows_update

SENT_STATUS = {
    SmsMessage.Purpose.INSTALLATION: Account.Status.INSTALLATION_SMS_SENT,
    SmsMessage.Purpose.ACTIVATION: Account.Status.ACTIVATION_SMS_SENT,
}
LINK_LIFETIME_SETTINGS = {
    OneTimeLink.Purpose.INSTALLATION: "INSTALLATION_LINK_LIFETIME",
    OneTimeLink.Purpose.ACTIVATION: "ACTIVATION_LINK_LIFETIME",
}
MAX_BACKOFF_SECONDS = 15 * 60
ATTEMPT_FIELDS = ["state", "attempts", "last_error", "next_attempt_at", "backend", "gateway_id", "sent_at", "finished_at"]


def default_profile() -> ProvisioningProfile | None:
    return ProvisioningProfile.objects.system_default()


def profile_for(account: Account) -> ProvisioningProfile | None:
    """The profile a client receives: the account's own, else its group's, else the system default."""
    return account.effective_profile or default_profile()


def sms_language_of(account: Account, default: ProvisioningProfile | None) -> str:
    """The language of the account's SMS: its profile's (own, group's, else `default`, the system default)."""
    profile = account.effective_profile or default
    return profile.sms_language if profile else settings.LANGUAGE_CODE


def _ensure_profile_name_free(name: str, exclude_pk: int | None = None) -> None:
    clash = ProvisioningProfile.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ServiceError(gettext("A profile named “%(name)s” already exists.") % {"name": name})


def _take_default_from_others(profile: ProvisioningProfile) -> None:
    ProvisioningProfile.objects.filter(is_default=True).exclude(pk=profile.pk).update(is_default=False)


@transaction.atomic
def profile_create(*, actor: Actor, fields: dict[str, Any]) -> ProvisioningProfile:
    """Create a provisioning profile; `is_default` makes it the system default instead of the old one."""
    _ensure_profile_name_free(fields["name"])
    profile = ProvisioningProfile(**fields)
    if profile.is_default:
        ProvisioningProfile.objects.filter(is_default=True).update(is_default=False)
    profile.save()
    audit_record(actor=actor, action="profile.create", obj=profile, after=snapshot(profile))
    return profile


@transaction.atomic
def profile_update(*, actor: Actor, profile_id: int, expected_version: int, fields: dict[str, Any]) -> ProvisioningProfile:
    """Change a profile if nobody saved it since `expected_version` (a save that changes nothing
    writes nothing); the default cannot be unset here (make another profile the default instead)."""
    profile = ProvisioningProfile.objects.select_for_update().get(pk=profile_id)
    require_unchanged_since(profile, expected_version, gettext("Profile “%(name)s”") % {"name": profile.name})
    if profile.is_default and fields.get("is_default") is False:
        raise NotAllowedError(gettext("There must be a system default profile: make another profile the default instead."))
    before = snapshot(profile)
    for field, value in fields.items():
        setattr(profile, field, value)
    change = changed_only(before, snapshot(profile))
    if not change.fields:
        return profile
    _ensure_profile_name_free(profile.name, exclude_pk=profile.pk)
    if profile.is_default:
        _take_default_from_others(profile)
    profile.version += 1
    profile.save()
    audit_record(actor=actor, action="profile.update", obj=profile, before=change.before, after=change.after)
    return profile


@transaction.atomic
def profile_delete(*, actor: Actor, profile_id: int) -> str:
    """Delete a profile nobody uses; returns its name. The system default and profiles in use stay."""
    profile = ProvisioningProfile.objects.select_for_update().get(pk=profile_id)
    if profile.is_default:
        raise NotAllowedError(gettext("Profile “%(name)s” is the system default: make another profile the default first.")
                              % {"name": profile.name})
    groups, accounts = profile.groups.count(), profile.accounts.count()
    if groups or accounts:
        raise NotAllowedError(gettext(
            "Profile “%(name)s” is in use by %(groups)s and %(accounts)s: choose another profile for them first."
        ) % {
            "name": profile.name,
            "groups": ngettext("%(count)d group", "%(count)d groups", groups) % {"count": groups},
            "accounts": ngettext("%(count)d account", "%(count)d accounts", accounts) % {"count": accounts},
        })
    name = profile.name
    audit_record(actor=actor, action="profile.delete", obj=profile, before=snapshot(profile))
    profile.delete()
    return name


def _require_international(number: str) -> None:
    if not number.startswith("+") or not number[1:].isdigit():
        raise ServiceError(gettext(
            "The number %(number)s is not in international format (+ and digits, e.g. +390212345678): "
            "SMS go only to international numbers."
        ) % {"number": number})


@transaction.atomic
def account_create_wizard(*, actor: Actor, group, fields: dict[str, Any]) -> Account:
    """Create a PGSM account the wizard way (A3): username and password generated, disabled until
    the customer activates it. It needs an international number and a profile: its own, the
    group's, or the system default."""
    _require_international(fields["virtual_number"])
    if not (fields.get("profile") or ProvisioningProfile.objects.for_group(group)):
        raise ServiceError(gettext("Neither group “%(group)s” nor the system has a provisioning profile: choose one for "
                                   "the account.") % {"group": group.name})
    fields = {**fields, "account_type": Account.AccountType.PGSM}
    return account_create(actor=actor, group=group, fields=fields, password=None, creation_method=Account.CreationMethod.WIZARD)


def sms_service_refusal(config: SmsConfig) -> str | None:
    """Why no SMS can be sent with these settings (no gateway, no public base URL), or None."""
    if config.needs_gateway_url and not config.gateway_url:
        return gettext("No SMS gateway is configured: set the gateway address on the Services page.")
    if not config.public_base_url:
        return gettext("No public base URL of the client web service is configured (the SMS links need it): "
                       "set it on the Services page.")
    return None


def sms_number_refusal(account: Account) -> str | None:
    """Why this account cannot receive SMS (a SNOM desk phone, a number not international), or None."""
    if account.account_type == Account.AccountType.SNOM:
        return gettext("Account %(username)s is a SNOM desk phone: SNOM accounts never receive SMS.") % {
            "username": account.username}
    try:
        _require_international(account.virtual_number)
    except ServiceError as exc:
        return exc.message
    return None


def sms_refusal(account: Account, purpose: str, config: SmsConfig | None = None) -> str | None:
    """Why the console refuses to send this SMS to this account (P5), or None when it can.
    `config`: the SMS settings in force, when the caller has already read them."""
    refusal = sms_service_refusal(config or sms_config()) or sms_number_refusal(account)
    if refusal:
        return refusal
    if purpose == SmsMessage.Purpose.ACTIVATION and profile_for(account) is None:
        return gettext("Account %(username)s has no provisioning profile (own, group's or system default).") % {
            "username": account.username}
    return None


@transaction.atomic
def activation_send_sms(*, actor: Actor, account_id: int, purpose: str) -> SmsMessage:
    """Queue the installation or activation SMS of an account (P2, P3). The outbox row is part of
    this transaction: if the caller's transaction rolls back, no SMS exists and none is sent."""
    account = Account.objects.select_related("group", "group__profile", "profile").get(pk=account_id)
    config = sms_config()
    refusal = sms_refusal(account, purpose, config)
    if refusal:
        raise NotAllowedError(refusal)
    return _sms_queue(actor=actor, accounts=[account], purpose=purpose, config=config)[0]


@transaction.atomic
def accounts_send_sms(*, actor: Actor, account_ids: Iterable[int], purpose: str, reason: str = "") -> dict[int, str]:
    """Queue the installation or activation SMS of many accounts, in id order, in a few statements.
    Returns the accounts left without one, each with the reason: those the console refuses (P5:
    SNOM, no international number, no gateway...) and those whose SMS of this kind is already
    waiting to be sent."""
    wanted = list(account_ids)
    accounts = list(
        Account.objects.select_for_update(of=("self",)).select_related("group", "group__profile", "profile")
        .filter(pk__in=wanted).order_by("pk")
    )
    waiting = set(SmsMessage.objects.filter(account_id__in=wanted, purpose=purpose, state=SmsMessage.State.QUEUED)
                  .values_list("account_id", flat=True))
    config = sms_config()
    skipped = {pk: "deleted meanwhile" for pk in set(wanted) - {account.pk for account in accounts}}
    sending = []
    for account in accounts:
        refusal = (gettext("an SMS of this kind is already waiting to be sent") if account.pk in waiting
                   else sms_refusal(account, purpose, config))
        if refusal:
            skipped[account.pk] = refusal
        else:
            sending.append(account)
    _sms_queue(actor=actor, accounts=sending, purpose=purpose, config=config, reason=reason)
    return skipped


def _sms_queue(*, actor: Actor, accounts: Sequence[Account], purpose: str, config: SmsConfig, reason: str = "") -> list[SmsMessage]:
    """The outbox rows of `accounts`' SMS of `purpose`, with an audit entry each (accounts checked by the caller)."""
    now = timezone.now()
    default = default_profile()
    languages = {account.pk: sms_language_of(account, default) for account in accounts}
    texts = {language: masked_sms_text(purpose, config.public_base_url, language) for language in set(languages.values())}
    messages = SmsMessage.objects.bulk_create([
        SmsMessage(
            account=account, group_id=account.group_id, account_username=account.username, purpose=purpose,
            recipient=account.virtual_number, text=texts[languages[account.pk]], language=languages[account.pk],
            requested_by=actor.label, created_at=now, next_attempt_at=now,
        )
        for account in accounts
    ])
    audit_record_many([
        audit_entry(
            actor=actor, action="sms.queue", obj=sms, account_id=sms.account_id, group_id=sms.group_id,
            after={"purpose": purpose, "recipient": sms.recipient},
            message=audit_text(gettext_noop("%(purpose)s #%(sms)s queued for %(recipient)s. %(reason)s"), purpose=SmsMessage.Purpose(sms.purpose).label, sms=sms.pk, recipient=sms.recipient, reason=reason),
        )
        for sms in messages
    ])
    return messages


@transaction.atomic
def sms_send_test(*, actor: Actor, recipient: str) -> SmsMessage:
    """Queue a test SMS through the configured gateway (Services page)."""
    config = sms_config()
    if config.needs_gateway_url and not config.gateway_url:
        raise NotAllowedError(gettext("No SMS gateway is configured: set the gateway address first."))
    _require_international(recipient)
    now = timezone.now()
    sms = SmsMessage.objects.create(
        purpose=SmsMessage.Purpose.TEST, recipient=recipient, text=TEST_TEXT, requested_by=actor.label,
        created_at=now, next_attempt_at=now,
    )
    audit_record(actor=actor, action="sms.queue", obj=sms, after={"purpose": "test", "recipient": recipient},
                 message=audit_text(gettext_noop("Test SMS #%(sms)s queued for %(recipient)s"), sms=sms.pk, recipient=recipient))
    return sms


@dataclass(frozen=True)
class SendAttempt:
    """One try at sending a claimed outbox row: the gateway's answer and when it came, the gateway's
    name, and the link token the text carried (None when it carried none; never stored in clear)."""

    sms: SmsMessage
    result: SendResult
    at: datetime
    backend: str
    token: str | None = None


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failed try: base, 2 x base, 4 x base ..."""
    seconds = settings.SMS_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


@transaction.atomic
def sms_record_attempts(*, attempts: Sequence[SendAttempt]) -> None:
    """Record what became of a batch of sends, each row on its own (the worker, inside the
    transaction that claimed the rows). A try the gateway certainly did not take is retried with
    backoff until SMS_MAX_ATTEMPTS; an accepted or unanswered message gets its link (older unused
    links of the same kind stop working); an accepted one moves its account's status; every
    outcome but a retry gets its audit entry. A few statements per batch, not per message."""
    for attempt in attempts:
        _apply_attempt(attempt)
    rows_update([attempt.sms for attempt in attempts], ATTEMPT_FIELDS)
    _links_create([attempt for attempt in attempts if attempt.token is not None and attempt.sms.state in _LINK_STATES])
    status_changes = [_sent_status_change(attempt.sms, attempt.at) for attempt in attempts if _moves_status(attempt.sms)]
    if status_changes:
        accounts_set_status(actor=Actor.worker(), changes=status_changes)
    audit_record_many([
        _attempt_audit_entry(attempt.sms) for attempt in attempts
        if attempt.sms.state != SmsMessage.State.QUEUED and not _moves_status(attempt.sms)
    ])


_LINK_STATES = (SmsMessage.State.SENT, SmsMessage.State.UNKNOWN)


def _moves_status(sms: SmsMessage) -> bool:
    """An accepted installation or activation SMS: its account's status change is its audit trail."""
    return sms.state == SmsMessage.State.SENT and sms.purpose in SENT_STATUS


def _apply_attempt(attempt: SendAttempt) -> None:
    sms, result = attempt.sms, attempt.result
    sms.attempts += 1
    sms.last_error = result.error[:300]
    sms.backend = attempt.backend
    sms.gateway_id = result.gateway_id
    if result.outcome is Outcome.RETRY and sms.attempts < settings.SMS_MAX_ATTEMPTS:
        sms.next_attempt_at = attempt.at + retry_delay(sms.attempts)
    elif result.outcome is Outcome.ACCEPTED:
        sms.state, sms.sent_at = SmsMessage.State.SENT, attempt.at
    elif result.outcome is Outcome.UNKNOWN:
        sms.state = SmsMessage.State.UNKNOWN
    else:
        sms.state, sms.finished_at = SmsMessage.State.FAILED, attempt.at


def _links_create(attempts: Sequence[SendAttempt]) -> None:
    """The links these SMS carry; older unused links of the same account and kind stop working, and
    of two SMS of one batch to the same account and kind only the later one's link works (as if
    they had been recorded one after the other)."""
    if not attempts:
        return
    for purpose in {attempt.sms.purpose for attempt in attempts}:
        OneTimeLink.objects.retire_unused(account_ids={attempt.sms.account_id for attempt in attempts if attempt.sms.purpose == purpose}, purpose=purpose)
    latest = {(attempt.sms.account_id, attempt.sms.purpose): attempt for attempt in attempts}
    links = (_link_row(attempt, superseded_by=latest[attempt.sms.account_id, attempt.sms.purpose]) for attempt in attempts)
    insert(OneTimeLink, list(full_rows(OneTimeLink, links, with_pk=False)))


def _link_row(attempt: SendAttempt, superseded_by: SendAttempt) -> dict[str, Any]:
    sms, at = attempt.sms, attempt.at
    lifetime = getattr(settings, LINK_LIFETIME_SETTINGS[sms.purpose])
    return {
        "account_id": sms.account_id, "purpose": sms.purpose, "token_hash": token_hash(attempt.token), "sms_id": sms.pk,
        "created_at": at, "expires_at": at + timedelta(seconds=lifetime),
        "used_at": None if superseded_by is attempt else superseded_by.at,
    }


def _sent_status_change(sms: SmsMessage, at: datetime) -> StatusChange:
    return StatusChange(
        account_id=sms.account_id, status=SENT_STATUS[sms.purpose], at=at,
        cause=audit_text(gettext_noop("%(purpose)s #%(sms)s to %(recipient)s accepted by the gateway"),
                         purpose=SmsMessage.Purpose(sms.purpose).label, sms=sms.pk, recipient=sms.recipient),
    )


def _attempt_audit_entry(sms: SmsMessage) -> AuditEntry:
    action = {SmsMessage.State.SENT: "sms.sent", SmsMessage.State.UNKNOWN: "sms.unknown"}.get(sms.state, "sms.failed")
    return audit_entry(
        actor=Actor.worker(), action=action, obj=sms, account_id=sms.account_id, group_id=sms.group_id,
        after={"state": sms.state, "attempts": sms.attempts},
        message=audit_text(gettext_noop("%(purpose)s #%(sms)s: %(state)s. %(error)s"), purpose=SmsMessage.Purpose(sms.purpose).label,
                           sms=sms.pk, state=SmsMessage.State(sms.state).label, error=sms.last_error),
    )


GATEWAY = Actor(Actor.system().kind, "SMS gateway")


@transaction.atomic
def sms_record_delivery(*, sms_id: int, delivered: bool | None, detail: str = "") -> SmsMessage | None:
    """Apply a delivery report: True delivered, False failed, None only "the gateway has it".

    Final states never change again (reports can arrive out of order), and reports on a row that
    is still queued are ignored. Returns None for an unknown id.
    """
    sms = SmsMessage.objects.select_for_update().filter(pk=sms_id).first()
    if sms is None or sms.is_final or sms.state == SmsMessage.State.QUEUED:
        # A queued row's report is about a send whose outcome was never recorded (the worker died
        # in the duplicate window): that SMS's link never became valid, and the row is sent again.
        return sms
    now = timezone.now()
    was_unknown = sms.state == SmsMessage.State.UNKNOWN
    if delivered is None:
        if not was_unknown:
            return sms
        sms.state, sms.sent_at = SmsMessage.State.SENT, sms.sent_at or now
    else:
        sms.state = SmsMessage.State.DELIVERED if delivered else SmsMessage.State.FAILED
        sms.finished_at = now
        if delivered and was_unknown:
            sms.sent_at = sms.sent_at or now
    sms.save(update_fields=["state", "sent_at", "finished_at"])
    if was_unknown and sms.state != SmsMessage.State.FAILED and sms.purpose in SENT_STATUS and sms.account_id:
        accounts_set_status(actor=GATEWAY, changes=[_sent_status_change(sms, now)])
        if sms.state == SmsMessage.State.SENT:
            return sms
    audit_record(
        actor=GATEWAY, action=f"sms.{sms.state}", obj=sms, account_id=sms.account_id, group_id=sms.group_id,
        after={"state": sms.state},
        message=audit_text(gettext_noop("%(purpose)s #%(sms)s: %(state)s (%(detail)s)") if detail else gettext_noop("%(purpose)s #%(sms)s: %(state)s"),
                           purpose=SmsMessage.Purpose(sms.purpose).label, sms=sms.pk, state=SmsMessage.State(sms.state).label, detail=detail),
    )
    return sms


