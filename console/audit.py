"""Writing the audit log. Every service that changes data calls `audit_record` inside its transaction."""
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from console.audit_text import AuditText, render_audit_text
from console.models import AuditEntry, Operator
from console.row_batches import full_rows, insert

CHANGED = "[changed]"
SECRET_FIELDS = frozenset({"ha1", "ha1_sha256", "password", "password1", "password2", "sms_password", "token", "token_hash"})
BOOKKEEPING_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "status_changed_at"})

# What each recorded action is called on the pages (the account's timeline, the audit log).
ACTION_LABELS = {
    "account.create": _("Account created"),
    "account.update": _("Settings changed"),
    "account.password": _("Password changed"),
    "account.enable": _("Account enabled"),
    "account.disable": _("Account disabled"),
    "account.status": _("Status changed"),
    "account.move": _("Moved to another group"),
    "account.delete": _("Account deleted"),
    "accounts.import": _("Accounts imported"),
    "sms.queue": _("SMS queued"),
    "sms.sent": _("SMS sent"),
    "sms.delivered": _("SMS delivered"),
    "sms.failed": _("SMS failed"),
    "sms.unknown": _("SMS outcome unknown"),
    "link.open": _("Customer opened the link"),
    "licence.check": _("Licence checked by the app"),
    "licence.clear": _("Licence cleared"),
    "licence.expire": _("Licence expired"),
    "licence.revoke_keys": _("Licence keys revoked"),
    "group.create": _("Group created"),
    "group.update": _("Group changed"),
    "group.delete": _("Group deleted"),
    "profile.create": _("Profile created"),
    "profile.update": _("Profile changed"),
    "profile.delete": _("Profile deleted"),
    "operator.create": _("Operator created"),
    "operator.update": _("Operator changed"),
    "operator.reset_password": _("Operator's password reset"),
    "operator.enrol_two_factor": _("Two-factor sign-in set up"),
    "operator.reset_two_factor": _("Two-factor sign-in reset"),
    "services.update": _("Services settings changed"),
    "login_throttle.clear": _("Sign-in lock cleared"),
    "apitoken.create": _("API token created"),
    "apitoken.revoke": _("API token revoked"),
    "bulk.enable": _("Bulk action: enable"),
    "bulk.disable": _("Bulk action: disable"),
    "bulk.send_installation_sms": _("Bulk action: send installation SMS"),
    "bulk.send_activation_sms": _("Bulk action: send activation SMS"),
    "bulk.clear_licence": _("Bulk action: clear licence status"),
    "bulk.change_profile": _("Bulk action: change provisioning profile"),
    "bulk.move": _("Bulk action: move to another group"),
    "bulk.delete": _("Bulk action: delete"),
    "bulk.finish": _("Bulk action finished"),
    "demo_data.generate": _("Demo data generated"),
}


def in_console_language(text) -> str:
    """`text` (a lazily translated label, or an object whose name holds one) in the console's
    default language: stored texts, such as an audit entry's message, are written once for every
    reader, whoever's language is active."""
    if isinstance(text, str):
        return text
    return _in_console_language(lambda: str(text))


def _in_console_language(render: Callable[[], str]) -> str:
    # Switching languages costs tens of microseconds: skip it when the console's language is
    # already active (the worker's bulk changes, a request in that language).
    if translation.get_language() == settings.LANGUAGE_CODE:
        return render()
    with translation.override(settings.LANGUAGE_CODE):
        return render()


def action_label(action: str) -> str:
    """An action in words ("account.update": "Settings changed"); an action without a label of its
    own reads as its name in words ("bulk.export": "Bulk export")."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    return action.replace(".", " ").replace("_", " ").capitalize()


@dataclass(frozen=True)
class Actor:
    """Who or what makes a change: an operator, or a named non-person (worker, command, customer...)."""

    kind: str
    label: str
    operator: Operator | None = None

    @classmethod
    def of(cls, operator: Operator) -> "Actor":
        return cls(AuditEntry.ActorKind.OPERATOR, operator.get_username(), operator)

    @classmethod
    def worker(cls) -> "Actor":
        return cls(AuditEntry.ActorKind.WORKER, "worker")

    @classmethod
    def command(cls, name: str) -> "Actor":
        return cls(AuditEntry.ActorKind.COMMAND, f"manage.py {name}")

    @classmethod
    def customer(cls) -> "Actor":
        return cls(AuditEntry.ActorKind.CUSTOMER, "customer")

    @classmethod
    def client(cls) -> "Actor":
        return cls(AuditEntry.ActorKind.CLIENT, "client app")

    @classmethod
    def sip_server(cls) -> "Actor":
        return cls(AuditEntry.ActorKind.SIP_SERVER, "SIP server")

    @classmethod
    def system(cls) -> "Actor":
        return cls(AuditEntry.ActorKind.SYSTEM, "system")


@dataclass(frozen=True)
class Secret:
    """A secret's place in a snapshot: equal when the secret is, its value never kept or shown.

    `changed_only` reports a changed secret as "[changed]"; a whole snapshot (a creation, a
    deletion) leaves secrets out."""

    fingerprint: str

    @classmethod
    def of(cls, value: str) -> "Secret | None":
        return cls(hashlib.sha256(value.encode()).hexdigest()) if value else None


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, Secret)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def snapshot(instance: models.Model, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The concrete fields of `instance` as JSON-ready values: a related object by its name, a
    secret as a `Secret`. `extra` adds values that live elsewhere (lists, related rows)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in BOOKKEEPING_FIELDS:
            continue
        if field.name in SECRET_FIELDS:
            data[field.name] = Secret.of(getattr(instance, field.attname))
        elif field.is_relation:
            related = getattr(instance, field.name)
            data[field.name] = None if related is None else str(related)
        else:
            data[field.name] = _plain(getattr(instance, field.attname))
    for key, value in (extra or {}).items():
        data[key] = _plain(value)
    return data


class Changes(NamedTuple):
    """What a save changes: the old and the new value of each changed key."""

    before: dict[str, Any]
    after: dict[str, Any]  # every changed key; `before` lacks the secrets'

    @property
    def fields(self) -> list[str]:
        return list(self.after)

    def merged(self, other: "Changes") -> "Changes":
        return Changes({**self.before, **other.before}, {**self.after, **other.after})


def changed_only(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """The one place that compares two snapshots: the keys whose values differ, so an update
    records what changed and nothing else, and a save whose `Changes` are empty writes nothing.
    A changed secret is recorded only as after "[changed]" (None when it was removed), with no
    before: neither value is anybody's business."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    keys += [key for key in before if key not in after]
    secret = {key for key in keys if isinstance(before.get(key), Secret) or isinstance(after.get(key), Secret)}
    return Changes(
        {key: before.get(key) for key in keys if key not in secret},
        {key: CHANGED if key in secret and after.get(key) is not None else after.get(key) for key in keys},
    )


def _without_secrets(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: value for key, value in values.items() if not isinstance(value, Secret)}


def audit_entry(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: int | None = None,
    object_repr: str = "",
    account_id: int | None = None,
    group_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str | AuditText = "",
) -> AuditEntry:
    """One change as an unsaved entry: `audit_record` saves it, `audit_record_many` saves a batch.
    A `message` given as an `AuditText` is kept translatable as well as rendered in the console's
    language; a plain string (text an operator typed) is kept as it is."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id if object_id is not None else obj.pk
        object_repr = object_repr or in_console_language(obj)
    # A sentence is turned into its stored form once, then rendered from that form.
    message_text = message.as_json() if isinstance(message, AuditText) else None
    if message_text is not None:
        message = _in_console_language(lambda: render_audit_text(message_text))
    return AuditEntry(
        actor_kind=actor.kind,
        actor=actor.operator,
        actor_label=actor.label[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        account_id=account_id,
        group_id=group_id,
        before=_without_secrets(before),
        after=_without_secrets(after),
        message=message[:500],
        message_text=message_text,
    )


def audit_record(**fields: Any) -> AuditEntry:
    """Record one change (the keyword arguments of `audit_entry`). Call it inside the transaction
    that makes the change."""
    entry = audit_entry(**fields)
    entry.save(force_insert=True)
    return entry


def audit_record_many(entries: list[AuditEntry]) -> None:
    """Record many changes in one statement (entries from `audit_entry`), inside the transaction
    that makes them: a batch of changes costs the database one round trip, not one per change.
    The rows are those `audit_record` would write; the entries do not learn their ids."""
    fields = [field for field in AuditEntry._meta.concrete_fields if not field.primary_key and not getattr(field, "auto_now_add", False)]
    insert(AuditEntry, list(full_rows(AuditEntry, (
        {field.attname: getattr(entry, field.attname) for field in fields} for entry in entries), with_pk=False)))
