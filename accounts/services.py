"""Writes to accounts. Each function is one transaction that also writes the audit record, the
status event and the search change-log row (DESIGN 3); views and forms never repeat this logic."""
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.access_lists import AccessEntry
from accounts.digests import sip_digests
from accounts.models import AccessRule, Account, StatusEvent
from accounts.search.changelog import record_account_change, record_account_changes
from accounts.sipserver.control import drop_registrations_after_commit
from activation.models import OneTimeLink
from console.audit import (
    CHANGED,
    Actor,
    Secret,
    audit_entry,
    audit_record,
    audit_record_many,
    changed_only,
    snapshot,
)
from console.audit_text import AuditText, audit_text
from console.errors import NotAllowedError, ServiceError, require_unchanged_since
from console.models import AuditEntry
from console.row_batches import full_rows, insert, rows_update
from groups.services import group_hold_for_new_accounts
from licensing.services import (
    UNCHANGED,
    Unchanged,
    licence_create,
    licence_credentials_renewed,
    licence_terms,
    licence_update_terms,
)

IMMUTABLE_FIELDS = frozenset({"username", "virtual_number", "secondary_number", "group", "group_id", "creation_method"})
USERNAME_DIGITS = 10


def generate_username() -> str:
    """A random unused username of ten digits (not starting with 0, so it reads as a number)."""
    for _ in range(20):
        candidate = str(secrets.randbelow(9 * 10 ** (USERNAME_DIGITS - 1)) + 10 ** (USERNAME_DIGITS - 1))
        if not Account.objects.filter(username=candidate).exists():
            return candidate
    raise ServiceError(gettext("Could not find an unused username; type one instead."))


def _account_values(account: Account, rules: Sequence[AccessRule]) -> dict[str, Any]:
    """The account's own fields and access lists as the audit shows them; the password (its
    digests) only as a `Secret`."""
    values = snapshot(account, {
        "allow": ", ".join(rule.as_typed for rule in rules if rule.action == AccessRule.Action.ALLOW),
        "deny": ", ".join(rule.as_typed for rule in rules if rule.action == AccessRule.Action.DENY),
        "password": Secret.of(account.ha1 + account.ha1_sha256),
    })
    del values["ha1"], values["ha1_sha256"]
    return values


def account_audit_snapshot(account: Account) -> dict[str, Any]:
    """The account's fields plus its access lists and licence terms, secrets excluded."""
    values = _account_values(account, list(account.access_rules.all()))
    licence = getattr(account, "licence", None)
    return {**values, **(licence_terms(licence) if licence is not None else {})}


def account_creation_entry(
    *, actor: Actor, account: Account, rules: Sequence[AccessRule], licence, message: str | AuditText = ""
) -> AuditEntry:
    """The `account.create` audit entry of a new account, its access rules and licence (unsaved):
    the one row builder of `account_create` and of the batch import, so both record the same."""
    return audit_entry(
        actor=actor, action="account.create", obj=account, account_id=account.pk, group_id=account.group_id,
        after={**_account_values(account, rules), **licence_terms(licence)}, message=message,
    )


def _access_rule_rows(account: Account, rules: Iterable[AccessEntry]) -> list[AccessRule]:
    return [
        AccessRule(
            account=account, action=rule.action, network=rule.canonical, prefix_length=rule.network.prefixlen,
            as_typed=rule.as_typed, position=position,
        )
        for position, rule in enumerate(rules)
    ]


def _replace_access_rules(account: Account, rows: list[AccessRule]) -> None:
    account.access_rules.all().delete()
    AccessRule.objects.bulk_create(rows)


def _check_numbers_free(virtual_number: str, secondary_number: str | None) -> None:
    numbers = {"virtual_number": virtual_number, "secondary_number": secondary_number}
    if secondary_number and virtual_number == secondary_number:
        raise ServiceError(gettext("The secondary number must differ from the virtual phone number."), field="secondary_number")
    clash = Account.objects.holding_numbers([number for number in numbers.values() if number])
    taken = clash.values_list("virtual_number", "secondary_number").first()
    if taken:
        field, number = next((field, number) for field, number in numbers.items() if number and number in taken)
        raise ServiceError(gettext("The number %(number)s already belongs to another account.") % {"number": number}, field=field)


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
        raise ServiceError(gettext("A plain-way account needs a password."))
    group_hold_for_new_accounts(group.pk)
    username = fields.get("username") or generate_username()
    if Account.objects.filter(username=username).exists():
        raise ServiceError(gettext("The username %(username)s is taken.") % {"username": username}, field="username")
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
    rules = _access_rule_rows(account, access_rules)
    _replace_access_rules(account, rules)
    licence = licence_create(account=account, edition=licence_edition, valid_until=licence_valid_until)
    StatusEvent.objects.create(account=account, status=Account.Status.CREATED, at=now, cause=f"created the {creation_method} way")
    audit_record_many([account_creation_entry(actor=actor, account=account, rules=rules, licence=licence)])
    record_account_change(account.pk)
    return account


def _save_new(account: Account) -> None:
    """Insert the account; a username or number taken by a concurrent request since the checks
    above is refused like any other clash, not as a server error."""
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ServiceError(gettext(
            "The username or a number was taken by another account a moment ago. Nothing was saved: check the values and try again."
        )) from None


def _validate(account: Account, exclude: list[str]) -> None:
    """Model validation, refused as a ServiceError whose message names every problem."""
    try:
        account.full_clean(exclude=exclude)
    except ValidationError as error:
        raise ServiceError(" ".join(error.messages)) from None


def _lock_current(account_id: int, expected_version: int | None) -> Account:
    account = Account.objects.select_for_update().select_related("group").get(pk=account_id)
    require_unchanged_since(account, expected_version, gettext("Account %(username)s") % {"username": account.username})
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
    licence_valid_until: date | None | Unchanged = UNCHANGED,
) -> Account:
    """Change an account's editable fields if nobody saved it since `expected_version`.

    Username, virtual numbers and group are immutable; naming one of them is refused. `None`
    access rules, edition or validity (UNCHANGED) keep what is stored. A save that changes
    nothing writes nothing: the account keeps its version and no audit entry is recorded.
    """
    forbidden = IMMUTABLE_FIELDS.intersection(fields)
    if forbidden:
        raise ServiceError(gettext("These fields cannot change after creation: %(fields)s.")
                           % {"fields": ", ".join(sorted(forbidden))})
    account = _lock_current(account_id, expected_version)
    rules = list(account.access_rules.all())
    before = _account_values(account, rules)
    for field, value in fields.items():
        setattr(account, field, value)
    if password:
        account.ha1, account.ha1_sha256 = sip_digests(account.username, password)
    if access_rules is not None:
        rules = _access_rule_rows(account, access_rules)
    changes = changed_only(before, _account_values(account, rules))
    if changes.fields:
        _validate(account, exclude=["ha1", "ha1_sha256", "group", "profile", "username", "virtual_number", "secondary_number"])
    changes = changes.merged(licence_update_terms(account=account, edition=licence_edition, valid_until=licence_valid_until))
    if not changes.fields:
        return account
    account.version += 1
    account.save()
    if {"allow", "deny"} & set(changes.fields):
        _replace_access_rules(account, rules)
    audit_record(
        actor=actor, action="account.update", obj=account, account_id=account.pk, group_id=account.group_id,
        before=changes.before, after=changes.after,
    )
    record_account_change(account.pk)
    return account


@transaction.atomic
def account_set_password(*, actor: Actor, account_id: int, password: str, reason: str | AuditText) -> Account:
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
        after={"password": CHANGED}, message=reason,
    )
    licence_credentials_renewed(actor=actor, account=account)
    return account


def account_set_enabled(*, actor: Actor, account_id: int, enabled: bool, reason: str = "") -> Account:
    """Enable or disable an account; disabling also drops its live registrations at the SIP server.
    A wizard account awaiting activation is refused: only the customer's activation enables it."""
    skipped = accounts_set_enabled(actor=actor, account_ids=[account_id], enabled=enabled, reason=reason)
    account = Account.objects.get(pk=account_id)
    if skipped.get(account_id) == AWAITS_ACTIVATION:
        raise NotAllowedError(gettext(
            "Account %(username)s was created the wizard way: it is enabled when the customer activates it. "
            "Send the activation SMS instead."
        ) % {"username": account.username})

    return account


# What a service for many accounts returns: the accounts it left as they were, each with the
# reason in words for the operator ("already disabled", "deleted meanwhile"); the others changed.
Skipped = dict[int, str]
GONE = "deleted meanwhile"
AWAITS_ACTIVATION = "created the wizard way: enabled when the customer activates it"


def _lock_many(account_ids: Iterable[int], *related: str, prefetch: tuple[str, ...] = ()) -> tuple[dict[int, Account], Skipped]:
    """The accounts of `account_ids` that still exist, locked in id order (two callers never
    deadlock on each other's accounts), by id, with the `related` objects; and those that no
    longer exist, as skipped."""
    wanted = list(account_ids)
    locked = (Account.objects.select_for_update(of=("self",)).select_related(*related)
              .prefetch_related(*prefetch).filter(pk__in=wanted).order_by("pk"))
    accounts = {account.pk: account for account in locked}
    return accounts, {pk: GONE for pk in wanted if pk not in accounts}


def _registered_usernames(accounts: Iterable[Account]) -> list[str]:
    """The usernames among `accounts` that the SIP server holds a live contact for."""
    ids = [account.pk for account in accounts]
    return list(Account.objects.filter(pk__in=ids).with_registration_state().filter(registered_now=True)
                .values_list("username", flat=True))


def _save_changed(accounts: list[Account], values: dict[str, Any], entries: list) -> None:
    """Give the changed accounts `values` (the same for all) and a new version in one UPDATE, save
    their audit entries and log them for the search index: a few statements however many accounts."""
    if not accounts:
        return
    now = timezone.now()
    for account in accounts:
        account.version += 1
        account.updated_at = now
    Account.objects.filter(pk__in=[account.pk for account in accounts]).update(
        **values, version=F("version") + 1, updated_at=now)
    audit_record_many(entries)
    record_account_changes(account.pk for account in accounts)


@transaction.atomic
def accounts_set_enabled(*, actor: Actor, account_ids: Iterable[int], enabled: bool, reason: str = "") -> Skipped:
    """Enable or disable accounts (A8), in id order, one audit entry each. Disabling ends their
    unused SMS links and drops their live registrations at the SIP server once this commits."""
    accounts, skipped = _lock_many(account_ids)
    changing, entries = [], []
    for account in accounts.values():
        if account.enabled == enabled:
            skipped[account.pk] = "already enabled" if enabled else "already disabled"
            continue
        if enabled and account.awaits_activation:
            skipped[account.pk] = AWAITS_ACTIVATION
            continue
        account.enabled = enabled
        changing.append(account)
        entries.append(audit_entry(
            actor=actor, action="account.enable" if enabled else "account.disable", obj=account,
            account_id=account.pk, group_id=account.group_id,
            before={"enabled": not enabled}, after={"enabled": enabled}, message=reason,
        ))
    _save_changed(changing, {"enabled": enabled}, entries)
    if not enabled and changing:
        OneTimeLink.objects.retire_unused(account_ids=[account.pk for account in changing])
        drop_registrations_after_commit(_registered_usernames(changing))
    return skipped


@transaction.atomic
def accounts_set_profile(*, actor: Actor, account_ids: Iterable[int], profile, reason: str = "") -> Skipped:
    """Give accounts their own provisioning profile (`profile`), or none (None: the group's applies)."""
    accounts, skipped = _lock_many(account_ids)
    new_id = profile.pk if profile is not None else None
    changing, entries = [], []
    for account in accounts.values():
        if account.profile_id == new_id:
            skipped[account.pk] = "already has this profile" if new_id else "already uses its group's profile"
            continue
        entries.append(audit_entry(
            actor=actor, action="account.update", obj=account, account_id=account.pk, group_id=account.group_id,
            before={"profile_id": account.profile_id}, after={"profile_id": new_id}, message=reason,
        ))
        account.profile_id = new_id
        changing.append(account)
    _save_changed(changing, {"profile_id": new_id}, entries)
    return skipped


@transaction.atomic
def accounts_move(*, actor: Actor, account_ids: Iterable[int], group, reason: str = "") -> Skipped:
    """Move accounts into `group` (F3). Their licence, own profile and history go with them; their
    numbers and credentials stay, so the SIP server sees no change."""
    group_hold_for_new_accounts(group.pk)
    accounts, skipped = _lock_many(account_ids, "group")
    changing, entries = [], []
    for account in accounts.values():
        if account.group_id == group.pk:
            skipped[account.pk] = f"already in {group.name}"
            continue
        entries.append(audit_entry(
            actor=actor, action="account.move", obj=account, account_id=account.pk, group_id=group.pk,
            before={"group": account.group.name}, after={"group": group.name},
            message=audit_text(gettext_noop("Moved from %(old_group)s to %(new_group)s. %(reason)s"), old_group=account.group.name, new_group=group.name, reason=reason),
        ))
        account.group_id = group.pk
        changing.append(account)
    _save_changed(changing, {"group_id": group.pk}, entries)
    return skipped


def account_delete(*, actor: Actor, account_id: int) -> tuple[str, int]:
    """Delete an account; returns (username, group id). Its registrations are dropped at the SIP server."""
    account = Account.objects.values("username", "group_id").get(pk=account_id)
    accounts_delete(actor=actor, account_ids=[account_id])
    return account["username"], account["group_id"]


@transaction.atomic
def accounts_delete(*, actor: Actor, account_ids: Iterable[int], reason: str = "") -> Skipped:
    """Delete accounts (A7), one audit entry each with what they were; their live registrations
    are dropped at the SIP server once this commits."""
    accounts, skipped = _lock_many(account_ids, "group", "licence", prefetch=("access_rules",))
    entries = []
    for account in accounts.values():
        entries.append(audit_entry(
            actor=actor, action="account.delete", obj=account, account_id=account.pk, group_id=account.group_id,
            before=account_audit_snapshot(account), message=reason,
        ))
    registered = _registered_usernames(accounts.values())
    audit_record_many(entries)
    record_account_changes(accounts)
    Account.objects.filter(pk__in=list(accounts)).delete()
    drop_registrations_after_commit(registered)
    return skipped


def account_set_status(
    *, actor: Actor, account_id: int, status: str, cause: str | AuditText = "", at: datetime | None = None, enable: bool = False
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
    cause: str | AuditText = ""
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
        old, new = changed_only(before, {"status": change.status, "enabled": account.enabled})
        entry = audit_entry(
            actor=actor, action="account.status", obj=account, account_id=account.pk, group_id=account.group_id,
            before=old, after=new, message=change.cause or audit_text(Account.Status(change.status).label),
        )
        entries.append(entry)
        # The entry's message is the cause in the console's language, rendered once for both.
        events.append({"account_id": account.pk, "status": change.status, "at": change.at, "cause": entry.message[:200] if change.cause else ""})
    rows_update(list(accounts.values()), ["status", "status_changed_at", "enabled", "version", "updated_at"])
    insert(StatusEvent, list(full_rows(StatusEvent, events, with_pk=False)))
    audit_record_many(entries)
    record_account_changes(change.account_id for change in changes)
    return accounts
