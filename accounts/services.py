"""Writes to accounts. Each function is one transaction that also writes the audit record, the
status event and the search change-log row (DESIGN 3); views and forms never repeat this logic."""
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.access import AccessEntry
from accounts.digests import sip_digests
from accounts.models import AccessRule, Account, StatusEvent
from accounts.search.changelog import record_account_change, record_account_changes
from accounts.sipserver.control import drop_registrations_after_commit
from console.audit import Actor, audit_entry, audit_record, audit_record_many, changed_only, snapshot
from console.bulk import rows_update
from console.errors import NotAllowedError, ServiceError, StaleEditError
from groups.services import group_hold_for_new_accounts
from licensing.services import licence_create, licence_credentials_renewed, licence_update_terms

IMMUTABLE_FIELDS = frozenset({"username", "virtual_number", "secondary_number", "group", "group_id", "creation_method"})
USERNAME_DIGITS = 10


def generate_username() -> str:
    """A random unused username of ten digits (not starting with 0, so it reads as a number)."""
    for _ in range(20):
        candidate = str(secrets.randbelow(9 * 10 ** (USERNAME_DIGITS - 1)) + 10 ** (USERNAME_DIGITS - 1))
        if not Account.objects.filter(username=candidate).exists():
            return candidate
    raise ServiceError("Could not find an unused username; type one instead.")


def account_audit_snapshot(account: Account) -> dict[str, Any]:
    """The account's fields plus its access lists and licence terms, secrets excluded."""
    rules = list(account.access_rules.all())
    extra = {
        "allow": " ".join(rule.as_typed for rule in rules if rule.action == AccessRule.Action.ALLOW),
        "deny": " ".join(rule.as_typed for rule in rules if rule.action == AccessRule.Action.DENY),
    }
    licence = getattr(account, "licence", None)
    if licence is not None:
        extra["licence_edition"] = licence.edition
        extra["licence_valid_until"] = licence.valid_until.isoformat() if licence.valid_until else None
    return snapshot(account, extra)


def _replace_access_rules(account: Account, rules: Iterable[AccessEntry]) -> None:
    account.access_rules.all().delete()
    AccessRule.objects.bulk_create(
        AccessRule(
            account=account,
            action=rule.action,
            network=rule.canonical,
            prefix_length=rule.network.prefixlen,
            as_typed=rule.as_typed,
            position=position,
        )
        for position, rule in enumerate(rules)
    )


def _check_numbers_free(virtual_number: str, secondary_number: str | None) -> None:
    numbers = [number for number in (virtual_number, secondary_number) if number]
    if len(numbers) == 2 and numbers[0] == numbers[1]:
        raise ServiceError("The secondary number must differ from the virtual phone number.")
    clash = Account.objects.holding_numbers(numbers)
    taken = clash.values_list("virtual_number", "secondary_number").first()
    if taken:
        number = next(n for n in numbers if n in taken)
        raise ServiceError(f"The number {number} already belongs to another account.")


@transaction.atomic
def account_create(
    *,
    actor: Actor,
    group,
    fields: dict[str, Any],
    password: str | None,
    creation_method: str = Account.CreationMethod.PLAIN,
    access_rules: Iterable[AccessEntry] = (),
    licence_edition: str | None = None,
    licence_valid_until=None,
) -> Account:
    """Create an account in `group`.

    Plain accounts are enabled at once with the digests of `password`; wizard accounts start
    disabled with unusable digests until activation hands a fresh password to the client.
    """
    is_wizard = creation_method == Account.CreationMethod.WIZARD
    if not is_wizard and not password:
        raise ServiceError("A plain-way account needs a password.")
    group_hold_for_new_accounts(group.pk)
    username = fields.get("username") or generate_username()
    if Account.objects.filter(username=username).exists():
        raise ServiceError(f"The username {username} is taken.")
    _check_numbers_free(fields["virtual_number"], fields.get("secondary_number"))
    ha1, ha1_sha256 = sip_digests(username, password) if password else ("!", "!")
    now = timezone.now()
    account = Account(
        **{**fields, "username": username, "secondary_number": fields.get("secondary_number") or None},
        group=group,
        ha1=ha1,
        ha1_sha256=ha1_sha256,
        creation_method=creation_method,
        enabled=not is_wizard,
        status=Account.Status.CREATED,
        status_changed_at=now,
    )
    if not account.caller_id:
        account.caller_id = account.virtual_number
    _validate(account, exclude=["ha1", "ha1_sha256", "group", "profile"])
    _save_new(account)
    _replace_access_rules(account, access_rules)
    licence_create(account=account, edition=licence_edition, valid_until=licence_valid_until)
    StatusEvent.objects.create(account=account, status=Account.Status.CREATED, at=now, cause=f"created the {creation_method} way")
    audit_record(
        actor=actor, action="account.create", obj=account, account_id=account.pk, group_id=group.pk,
        after=account_audit_snapshot(account),
    )
    record_account_change(account.pk)
    return account


def _save_new(account: Account) -> None:
    """Insert the account; a username or number taken by a concurrent request since the checks
    above is refused like any other clash, not as a server error."""
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ServiceError(
            "The username or a number was taken by another account a moment ago. Nothing was saved: check the values and try again."
        ) from None


def _validate(account: Account, exclude: list[str]) -> None:
    """Model validation, refused as a ServiceError whose message names every problem."""
    try:
        account.full_clean(exclude=exclude)
    except ValidationError as error:
        raise ServiceError(" ".join(error.messages)) from None


def _lock_current(account_id: int, expected_version: int | None) -> Account:
    account = Account.objects.select_for_update().select_related("group").get(pk=account_id)
    if expected_version is not None and account.version != expected_version:
        raise StaleEditError(
            f"Account {account.username} was changed by someone else while you were editing it. "
            "Nothing was saved: reload the page to see the current values, then make your change again."
        )
    return account


@transaction.atomic
def account_update(
    *,
    actor: Actor,
    account_id: int,
    expected_version: int,
    fields: dict[str, Any],
    password: str | None = None,
    access_rules: Iterable[AccessEntry] | None = None,
    licence_edition: str | None = None,
    licence_valid_until=None,
) -> Account:
    """Change an account's editable fields if nobody saved it since `expected_version`.

    Username, virtual numbers and group are immutable; naming one of them is refused.
    """
    forbidden = IMMUTABLE_FIELDS.intersection(fields)
    if forbidden:
        raise ServiceError(f"These fields cannot change after creation: {', '.join(sorted(forbidden))}.")
    account = _lock_current(account_id, expected_version)
    before = account_audit_snapshot(account)
    for field, value in fields.items():
        setattr(account, field, value)
    if password:
        account.ha1, account.ha1_sha256 = sip_digests(account.username, password)
    _validate(account, exclude=["ha1", "ha1_sha256", "group", "profile", "username", "virtual_number", "secondary_number"])
    account.version += 1
    account.save()
    if access_rules is not None:
        _replace_access_rules(account, access_rules)
    licence_update_terms(account=account, edition=licence_edition, valid_until=licence_valid_until)
    old, new = changed_only(before, account_audit_snapshot(account))
    if password:
        new["password"] = "[changed]"
    audit_record(
        actor=actor, action="account.update", obj=account, account_id=account.pk, group_id=account.group_id,
        before=old, after=new,
    )
    record_account_change(account.pk)
    return account


@transaction.atomic
def account_set_password(*, actor: Actor, account_id: int, password: str, reason: str) -> Account:
    """Give an account new SIP credentials (its digests change now; the password is not kept).

    Whoever held the old password can no longer register; the licence binding is lifted so the
    client that receives the new password binds at its next validation.
    """
    account = _lock_current(account_id, None)
    account.ha1, account.ha1_sha256 = sip_digests(account.username, password)
    account.version += 1
    account.save(update_fields=["ha1", "ha1_sha256", "version", "updated_at"])
    audit_record(
        actor=actor, action="account.password", obj=account, account_id=account.pk, group_id=account.group_id,
        after={"password": "[changed]"}, message=reason,
    )
    licence_credentials_renewed(actor=actor, account=account)
    return account


@transaction.atomic
def account_set_enabled(*, actor: Actor, account_id: int, enabled: bool, reason: str = "") -> Account:
    """Enable or disable an account; disabling also drops its live registrations at the SIP server.
    A wizard account awaiting activation is refused: only the customer's activation enables it."""
    account = _lock_current(account_id, None)
    if account.enabled == enabled:
        return account
    if enabled and account.awaits_activation:
        raise NotAllowedError(
            f"Account {account.username} was created the wizard way: it is enabled when the customer activates it. "
            "Send the activation SMS instead."
        )
    account.enabled = enabled
    account.version += 1
    account.save(update_fields=["enabled", "version", "updated_at"])
    audit_record(
        actor=actor, action="account.enable" if enabled else "account.disable", obj=account,
        account_id=account.pk, group_id=account.group_id,
        before={"enabled": not enabled}, after={"enabled": enabled}, message=reason,
    )
    record_account_change(account.pk)
    if not enabled:
        from activation.services import links_retire  # activation builds on accounts, not the reverse

        links_retire(account_ids=[account.pk])
        drop_registrations_after_commit(account.username)
    return account


@transaction.atomic
def account_delete(*, actor: Actor, account_id: int) -> tuple[str, int]:
    """Delete an account; returns (username, group id). Its registrations are dropped at the SIP server."""
    account = _lock_current(account_id, None)
    username, group_id = account.username, account.group_id
    audit_record(
        actor=actor, action="account.delete", obj=account, account_id=account.pk, group_id=group_id,
        before=account_audit_snapshot(account),
    )
    record_account_change(account.pk)
    account.delete()
    drop_registrations_after_commit(username)
    return username, group_id


def account_set_status(
    *, actor: Actor, account_id: int, status: str, cause: str = "", at: datetime | None = None, enable: bool = False
) -> Account:
    """Move an account to lifecycle `status` (A9), recording the event and its date.

    `enable` also enables the account in the same transaction (wizard accounts at Activated).
    """
    change = StatusChange(account_id, status, at or timezone.now(), cause, enable)
    return accounts_set_status(actor=actor, changes=[change])[account_id]


@dataclass(frozen=True)
class StatusChange:
    """One step for `accounts_set_status`: account `account_id` moved to `status` at `at` because of `cause`."""

    account_id: int
    status: str
    at: datetime
    cause: str = ""
    enable: bool = False  # also enable the account (wizard accounts at Activated)


@transaction.atomic
def accounts_set_status(*, actor: Actor, changes: Sequence[StatusChange]) -> dict[int, Account]:
    """Move accounts along their lifecycle (A9): for each step the status and its date, a status
    event, an audit entry and a search change, in a few statements however many steps (the SMS
    worker records a whole batch of sends this way). Steps apply in order, so an account named
    twice ends at its last step with both events. Accounts are locked in id order, so two callers
    never deadlock on each other's accounts. Returns the accounts by id; raises
    Account.DoesNotExist when one is gone."""
    wanted = {change.account_id for change in changes}
    accounts = {account.pk: account for account in
                Account.objects.select_for_update().select_related("group").filter(pk__in=wanted).order_by("pk")}
    if len(accounts) != len(wanted):
        raise Account.DoesNotExist(f"Account {min(wanted - accounts.keys())} does not exist.")
    now = timezone.now()
    events, entries = [], []
    for change in changes:
        account = accounts[change.account_id]
        before = {"status": account.status, "enabled": account.enabled}
        account.status, account.status_changed_at, account.updated_at = change.status, change.at, now
        account.enabled = account.enabled or change.enable
        account.version += 1
        events.append(StatusEvent(account=account, status=change.status, at=change.at, cause=change.cause))
        old, new = changed_only(before, {"status": change.status, "enabled": account.enabled})
        entries.append(audit_entry(
            actor=actor, action="account.status", obj=account, account_id=account.pk, group_id=account.group_id,
            before=old, after=new, message=change.cause or account.get_status_display(),
        ))
    rows_update(list(accounts.values()), ["status", "status_changed_at", "enabled", "version", "updated_at"])
    StatusEvent.objects.bulk_create(events)
    audit_record_many(entries)
    record_account_changes(change.account_id for change in changes)
    return accounts
