"""Bulk batches (F2): start one for a selection, work through it a chunk per transaction, cancel it.

A batch's accounts are fixed when it starts (one BulkItem each, inserted by one INSERT ... SELECT
of the selection's query, so memory does not grow with the selection). Small batches run within
the request; larger ones in the worker (`run_bulk_batches`, in settings.WORKER_TASKS, in a few
threads). Each chunk is one transaction that locks its items (SKIP LOCKED: two threads or workers
never share an account, and each takes the next chunk), re-checks the chunk's accounts against the
operator's scope, applies the action through the apps' own services and records every account's
outcome. A worker killed mid-chunk rolls the whole chunk back, and the next round takes it again:
nothing is done twice (an SMS queued for an account of this batch is never queued again) and no
account is half-changed.
"""
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import Account
from activation.models import ProvisioningProfile
from console.audit import Actor, audit_record
from console.audit_text import Count, Label, audit_text
from console.errors import NotAllowedError, ServiceError
from console.row_batches import rows_update
from fleet.actions import ACTIONS, TYPED_COUNT_ABOVE
from fleet.models import BulkBatch, BulkItem
from fleet.selection import Selection, selection_accounts
from groups.models import Group
from groups.services import group_delete

State = BulkBatch.State
Outcome = BulkItem.Outcome
ROUND_SECONDS = 5.0
OUT_OF_SCOPE = "no longer in your groups"


def chunk_size() -> int:
    """Accounts per chunk: one transaction of the worker (or of the request, for a small batch)."""
    return max(1, getattr(settings, "BULK_CHUNK_SIZE", 500))


def sync_limit() -> int:
    """Batches of up to this many accounts run within the request; larger ones in the worker."""
    return getattr(settings, "BULK_SYNC_LIMIT", 200)


def bulk_parameters(*, operator, action: str, group_id: str = "", profile_id: str = "") -> dict:
    """The action's parameters from the confirmation form, checked: the target group must be one
    the operator may see, the profile must exist ("" keeps the group's profile)."""
    parameter = ACTIONS[action].parameter
    if parameter == "group":
        group = Group.objects.visible_to(operator).filter(pk=int(group_id) if group_id.isdigit() else 0).first()
        if group is None:
            raise ServiceError(gettext("Choose the group to move the accounts to."))
        return {"group_id": group.pk, "group_name": group.name}
    if parameter == "profile":
        if not profile_id:
            return {"profile_id": None, "profile_name": "the group's profile"}
        profile = ProvisioningProfile.objects.filter(pk=int(profile_id) if profile_id.isdigit() else 0).first()
        if profile is None:
            raise ServiceError(gettext("Choose the provisioning profile to give the accounts."))
        return {"profile_id": profile.pk, "profile_name": profile.name}
    return {}


def bulk_start(
    *, operator, action: str, selection: Selection, parameters: dict, typed_count: int | None = None,
    then_delete_group: int | None = None,
) -> BulkBatch:
    """Fix the accounts `selection` holds now for `operator` as a batch of `action`, and run it:
    at once when small, else by the worker. Refused, with nothing written, when no account
    matches or a count to type was typed wrong. `then_delete_group`: delete that group once the
    batch has emptied it."""
    bulk_action = ACTIONS.get(action)
    if bulk_action is None or bulk_action.run is None:
        raise ServiceError(gettext("Choose one of the listed actions."))
    if not operator.can_write:
        raise NotAllowedError(gettext("Your role can only read."))
    accounts = selection_accounts(selection, operator)  # before the transaction: the search index syncs outside one
    with transaction.atomic():
        batch = BulkBatch.objects.create(
            action=action, parameters={**parameters, "then_delete_group": then_delete_group}, selection=selection.as_json(),
            created_by=operator, actor_label=operator.get_username(),
        )
        batch.total = _insert_items(batch, accounts)
        if batch.total == 0:
            raise ServiceError(gettext("No account matches the selection now: nothing was done."))
        # Deleting a group with its accounts is confirmed by typing the group's name instead.
        if bulk_action.typed_count and batch.total > TYPED_COUNT_ABOVE and not then_delete_group and typed_count != batch.total:
            raise ServiceError(gettext(
                "The selection holds %(count)s accounts, and the number typed was not %(total)d: nothing was done."
            ) % {"count": f"{batch.total:,}", "total": batch.total})
        batch.save(update_fields=["total"])
        audit_record(
            actor=Actor.of(operator), action=f"bulk.{action}", obj=batch,
            after={"accounts": batch.total, **{k: v for k, v in parameters.items() if v is not None}, "selection": selection.as_json()},
            message=audit_text(gettext_noop("%(action)s (bulk action #%(batch)s), accounts: %(count)s."), action=bulk_action.title, batch=batch.pk, count=Count(batch.total)),
        )
    if batch.total <= sync_limit():
        while bulk_run_chunk(batch.pk):
            pass
        batch.refresh_from_db()
    return batch


def _insert_items(batch: BulkBatch, accounts) -> int:
    """One pending item per account of `accounts`, written by the database from the query itself."""
    sql, params = accounts.order_by().values_list("pk", "username").query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(BulkItem._meta.db_table)} (batch_id, account_id, username, outcome, reason) "
            f"SELECT %s, selected.pk, selected.username, %s, '' FROM ({sql}) AS selected",
            [batch.pk, Outcome.PENDING, *params],
        )
        return cursor.rowcount


def bulk_run_chunk(batch_id: int) -> bool:
    """Apply batch `batch_id` to its next chunk of pending accounts, or finish it; False when the
    batch is finished, or when its pending accounts all lie in chunks other workers hold."""
    with transaction.atomic():
        batch = BulkBatch.objects.select_related("created_by").filter(pk=batch_id, state__in=[State.QUEUED, State.RUNNING]).first()
        if batch is None:
            return False
        if batch.cancel_requested:
            return _finish(batch.pk, State.CANCELLED)
        # The chunk's items stay locked until it commits: another worker's chunk takes the next ones.
        pending = batch.items.filter(outcome=Outcome.PENDING).order_by("account_id").select_for_update(skip_locked=True)
        items = dict(pending.values_list("account_id", "pk")[:chunk_size()])
        if not items:
            return _finish(batch.pk, State.DONE)
        skipped = _apply(batch, list(items))
        _record_outcomes(batch, items, skipped)
    return True


def _apply(batch: BulkBatch, ids: list[int]) -> dict[int, str]:
    """Run the batch's action on the chunk's accounts that are still in its operator's scope."""
    operator = batch.created_by
    in_scope = set(Account.objects.visible_to(operator).filter(pk__in=ids).values_list("pk", flat=True)) if operator else set()
    skipped = {}
    if len(in_scope) < len(ids):
        outside = set(Account.objects.filter(pk__in=ids).exclude(pk__in=in_scope).values_list("pk", flat=True))
        skipped = {pk: OUT_OF_SCOPE if pk in outside else "deleted meanwhile" for pk in ids if pk not in in_scope}
    if in_scope:
        actor = Actor.of(operator)
        skipped |= ACTIONS[batch.action].run(actor, sorted(in_scope), batch.parameters, audit_text(gettext_noop("Bulk action #%(batch)s."), batch=batch.pk))
    return skipped


def _record_outcomes(batch: BulkBatch, items: dict[int, int], skipped: dict[int, str]) -> None:
    """Each account's outcome on its item (`items`: item id by account id): the skipped ones with
    their reasons, each its own (most name the account), in one UPDATE; the others done in another.
    The batch's counters grow by the chunk's, in one UPDATE that holds the batch row only until
    the chunk commits."""
    rows_update([BulkItem(pk=items[pk], outcome=Outcome.SKIPPED, reason=reason[:300]) for pk, reason in skipped.items()],
                ["outcome", "reason"])
    done = [item for account_id, item in items.items() if account_id not in skipped]
    BulkItem.objects.filter(pk__in=done).update(outcome=Outcome.DONE)
    BulkBatch.objects.filter(pk=batch.pk).update(
        state=State.RUNNING, started_at=Coalesce("started_at", Value(timezone.now())),
        processed=F("processed") + len(items), done=F("done") + len(done), skipped=F("skipped") + len(items) - len(done),
    )


def _finish(batch_id: int, state: str) -> bool:
    """End the batch, unless another worker ended it or (`state` DONE) still holds some of its
    accounts in a chunk; True when it ended here. On cancel its pending accounts are skipped, once
    the chunks other workers hold have committed. When it emptied a group that was to be deleted
    with it, the group goes too. One audit entry sums the outcome."""
    items = BulkItem.objects.filter(batch_id=batch_id, outcome=Outcome.PENDING)
    # Items before the batch row, as a chunk takes them: a cancel waits for the chunks in flight.
    left = items.update(outcome=Outcome.SKIPPED, reason="cancelled before its turn") if state == State.CANCELLED else 0
    batch = BulkBatch.objects.select_for_update(of=("self",)).select_related("created_by").filter(
        pk=batch_id, state__in=[State.QUEUED, State.RUNNING]).first()
    if batch is None or (state == State.DONE and items.exists()):
        return False
    batch.processed += left
    batch.skipped += left
    actor = Actor.of(batch.created_by) if batch.created_by else Actor.worker()
    group_id = batch.parameters.get("then_delete_group")
    if state == State.DONE and group_id:
        batch.note = _delete_emptied_group(actor, group_id)
    batch.state, batch.finished_at = state, timezone.now()
    batch.save(update_fields=["state", "finished_at", "processed", "skipped", "note"])
    action = ACTIONS[batch.action]
    audit_record(
        actor=actor, action="bulk.finish", obj=batch,
        after={"state": state, "done": batch.done, "skipped": batch.skipped},
        message=audit_text(gettext_noop("Bulk action #%(batch)s %(state)s: %(action)s %(done)s of %(total)s accounts, %(skipped)s skipped. %(note)s"), batch=batch.pk, state=Label(State(batch.state).label, lowercase=True), action=action.past, done=Count(batch.done), total=Count(batch.total), skipped=Count(batch.skipped), note=batch.note),
    )
    return True


def _delete_emptied_group(actor: Actor, group_id: int) -> str:
    try:
        with transaction.atomic():
            name = group_delete(actor=actor, group_id=group_id)
    except Group.DoesNotExist:
        return "The group was already deleted."
    except ServiceError as error:
        return f"The group was not deleted: {error.message}"
    return f"Group “{name}” was deleted."


def group_delete_emptying(*, operator, group: Group, how: str, target_group_id: str = "", typed_name: str = "") -> BulkBatch:
    """Delete a group that holds accounts (F3): first move them to another group (`how` "move"),
    or delete them with it ("delete", confirmed by typing the group's exact name). The accounts go
    as a bulk batch; the group is deleted when the batch has emptied it."""
    if not operator.is_administrator:
        raise NotAllowedError(gettext("Only Administrators may delete groups."))
    if how == "delete" and typed_name.strip() != group.name:
        raise ServiceError(gettext("Type the group's name, %(name)s, exactly: nothing was deleted.") % {"name": group.name})
    if how not in ("move", "delete"):
        raise ServiceError(gettext("Choose whether to move the accounts or to delete them with the group."))
    if how == "move" and target_group_id == str(group.pk):
        raise ServiceError(gettext("Choose another group to move the accounts to."))
    parameters = bulk_parameters(operator=operator, action=how, group_id=target_group_id) if how == "move" else {}
    return bulk_start(operator=operator, action=how, selection=Selection(group_id=group.pk), parameters=parameters,
                      then_delete_group=group.pk)


def bulk_cancel(*, batch: BulkBatch) -> BulkBatch:
    """Stop a batch before its next chunk: accounts already done stay done, the rest are skipped."""
    if not BulkBatch.objects.filter(pk=batch.pk, state__in=[State.QUEUED, State.RUNNING]).update(cancel_requested=True):
        raise NotAllowedError(gettext("Bulk action #%(number)d has already ended.") % {"number": batch.pk})

    bulk_run_chunk(batch.pk)  # ends it now unless a worker is inside a chunk (it ends it after that chunk)
    batch.refresh_from_db()
    return batch


def run_bulk_batches(seconds: float = ROUND_SECONDS) -> int:
    """Worker task: work on the waiting and running batches, oldest first, for up to `seconds`
    (then the worker's other tasks, such as sending the SMS just queued, get their turn), in
    BULK_WORKER_THREADS threads on PostgreSQL: while one thread's chunk is in the database,
    another builds its own. Returns the chunks handled."""
    deadline = time.monotonic() + seconds
    threads = worker_threads()
    if threads == 1:
        return _work_on_batches(deadline)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bulk") as pool:
        return sum(pool.map(_work_on_batches_in_thread, [deadline] * threads))


def worker_threads() -> int:
    """Threads working on bulk batches at once: one where the database cannot lock rows apart
    (SQLite), or inside a transaction (a test's), whose rows other connections cannot see."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, getattr(settings, "BULK_WORKER_THREADS", 1))


def _work_on_batches(deadline: float) -> int:
    handled = 0
    for batch_id in BulkBatch.objects.filter(state__in=[State.QUEUED, State.RUNNING]).order_by("pk").values_list("pk", flat=True)[:20]:
        while time.monotonic() < deadline and bulk_run_chunk(batch_id):
            handled += 1
    return handled


def _work_on_batches_in_thread(deadline: float) -> int:
    try:
        return _work_on_batches(deadline)
    finally:
        connection.close()  # this thread's own connection
