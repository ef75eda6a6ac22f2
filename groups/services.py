"""Writes to groups. Each function is one transaction with its audit record."""
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils.translation import gettext, ngettext

from console.audit import Actor, audit_record, changed_only, snapshot
from console.errors import NotAllowedError, ServiceError, require_unchanged_since
from groups.models import Group


def _ensure_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    # The database lower-cases both sides, exactly as the unique constraint does: Python's
    # str.lower() differs from SQLite's (ASCII only) and PostgreSQL's for some letters, and a
    # clash the check missed would reach the constraint as a server error.
    clash = Group.objects.annotate(lower_name=Lower("name")).filter(lower_name=Lower(Value(name)))
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ServiceError(gettext("A group named “%(name)s” already exists.") % {"name": name})


def group_hold_for_new_accounts(group_id: int) -> None:
    """Keep group `group_id` from being deleted until the caller's transaction ends, or refuse
    when it is already gone. Call inside the transaction that adds accounts to the group.

    The foreign key alone would notice a concurrent deletion only at COMMIT (Django's keys are
    deferred), as a server error; this lock (the one the key check takes, FOR KEY SHARE, which
    blocks only deletion) makes the clash a clear refusal before anything is written.
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Group._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [group_id])
            exists = cursor.fetchone() is not None
    else:
        # SQLite runs one writer at a time: a group present now stays until this transaction ends.
        exists = Group.objects.filter(pk=group_id).exists()
    if not exists:
        raise ServiceError(gettext("This group was deleted a moment ago. Nothing was saved."))


@transaction.atomic
def group_create(*, actor: Actor, name: str, admin_email: str = "", description: str = "", profile=None) -> Group:
    """Create a group; the name must be unique regardless of case."""
    _ensure_name_free(name)
    group = Group.objects.create(name=name, admin_email=admin_email, description=description, profile=profile)
    audit_record(actor=actor, action="group.create", obj=group, group_id=group.pk, after=snapshot(group))
    return group


@transaction.atomic
def group_update(*, actor: Actor, group_id: int, expected_version: int, **changes) -> Group:
    """Apply `changes` to the group if nobody saved it since `expected_version`; when they change
    nothing, nothing is written (the version stays)."""
    group = Group.objects.select_for_update().get(pk=group_id)
    require_unchanged_since(group, expected_version, gettext("Group “%(name)s”") % {"name": group.name})
    before = snapshot(group)
    for field, value in changes.items():
        setattr(group, field, value)
    change = changed_only(before, snapshot(group))
    if not change.fields:
        return group
    if "name" in change.fields:
        _ensure_name_free(group.name, exclude_pk=group.pk)
    group.version += 1
    group.save()
    audit_record(actor=actor, action="group.update", obj=group, group_id=group.pk, before=change.before, after=change.after)
    return group


@transaction.atomic
def group_delete(*, actor: Actor, group_id: int) -> str:
    """Delete an empty group and return its name; a group that still holds accounts is refused."""
    group = Group.objects.select_for_update().get(pk=group_id)
    remaining = group.accounts.count()
    if remaining:
        raise NotAllowedError(
            ngettext("Group “%(name)s” still holds %(count)d account: delete or move them first.",
                     "Group “%(name)s” still holds %(count)d accounts: delete or move them first.",
                     remaining) % {"name": group.name, "count": remaining}
        )
    before = snapshot(group)
    name = group.name
    audit_record(actor=actor, action="group.delete", obj=group, group_id=group.pk, before=before)
    group.delete()
    return name
