"""Writing the audit log. Every service that changes data calls `audit_record` inside its transaction."""
from dataclasses import dataclass
from typing import Any

from django.db import models

from console.models import AuditEntry, Operator

REDACTED = "[redacted]"
SECRET_FIELDS = frozenset({"ha1", "ha1_sha256", "password", "password1", "password2", "sms_password", "token", "token_hash"})
BOOKKEEPING_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "status_changed_at"})


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


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def snapshot(instance: models.Model, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The concrete fields of `instance` as JSON-ready values, secrets redacted."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in SECRET_FIELDS or field.name in BOOKKEEPING_FIELDS:
            continue
        value = getattr(instance, field.attname)
        data[field.name if not field.is_relation else field.attname] = _plain(value)
    for key, value in (extra or {}).items():
        data[key] = REDACTED if key in SECRET_FIELDS else _plain(value)
    return data


def changed_only(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys whose values differ, so an update's entry shows what changed and nothing else."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    keys += [key for key in before if key not in after]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}


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
    message: str = "",
) -> AuditEntry:
    """One change as an unsaved entry: `audit_record` saves it, `audit_record_many` saves a batch."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id if object_id is not None else obj.pk
        object_repr = object_repr or str(obj)
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
        before=before,
        after=after,
        message=message[:500],
    )


def audit_record(**fields: Any) -> AuditEntry:
    """Record one change (the keyword arguments of `audit_entry`). Call it inside the transaction
    that makes the change."""
    entry = audit_entry(**fields)
    entry.save(force_insert=True)
    return entry


def audit_record_many(entries: list[AuditEntry]) -> None:
    """Record many changes in one statement (entries from `audit_entry`), inside the transaction
    that makes them: a batch of changes costs the database one round trip, not one per change."""
    AuditEntry.objects.bulk_create(entries)
