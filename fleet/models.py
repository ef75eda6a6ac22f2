"""Bulk actions: one batch per action an operator applies to a selection of accounts (F1, F2)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BulkBatchQuerySet(models.QuerySet):
    def visible_to(self, user) -> "BulkBatchQuerySet":
        """Administrators see every batch; other operators the batches they started."""
        if not user.is_authenticated:
            return self.none()
        if user.is_administrator:
            return self
        return self.filter(created_by=user)


class BulkBatch(models.Model):
    """One action applied to a selection of accounts: who, what, with which parameters, to which
    selection (kept as the query that made it: group, filters, search, or the ticked ids), and how
    far it got.

    The accounts are fixed when the batch starts, as one BulkItem each (the selection as the server
    saw it then, within the operator's scope); the batch then works through its pending items in
    account id order, a chunk per transaction that also records the chunk's outcomes, so a worker
    killed mid-way leaves every account either done (with its outcome) or pending, never half-done.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    action = models.CharField(max_length=32)
    parameters = models.JSONField(default=dict)
    selection = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=150)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = BulkBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "id"], name="bulkbatch_state")]

    def __str__(self) -> str:
        return f"bulk action #{self.pk}"

    @property
    def is_busy(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.processed / self.total)


class BulkItem(models.Model):
    """One account of a batch and what became of it: pending until its chunk runs, then done or
    skipped with the reason (e.g. "no international number"). Unique per batch and account, so
    an account is acted on at most once per batch."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    batch = models.ForeignKey(BulkBatch, on_delete=models.CASCADE, related_name="items")
    account_id = models.BigIntegerField()
    username = models.CharField(max_length=16)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["account_id"]
        constraints = [models.UniqueConstraint(fields=["batch", "account_id"], name="bulkitem_once_per_batch")]
        indexes = [models.Index(fields=["batch", "outcome", "account_id"], name="bulkitem_batch_outcome")]

    def __str__(self) -> str:
        return f"{self.username}: {self.outcome}"


class AccountStatusCount(models.Model):
    """Kept counts of accounts per group and lifecycle status, for the dashboard's funnel: reading
    them costs the same at 1,000 or 1,000,000 accounts, where a GROUP BY reads every account.

    On PostgreSQL, statement triggers on the accounts table (migration 0002) add one row per
    (group, status) a statement changed, with the change in `accounts` (+ for rows in, - for rows
    out); writers only ever insert here, so they never wait for each other. A group's count is
    the sum of its rows; the worker folds them into one row per (group, status) now and then
    (fleet.status_counts). Not used on SQLite, whose trial databases are small enough to count."""

    group_id = models.BigIntegerField()  # no foreign key: a deleted group's rows sum to 0 and are folded away
    status = models.CharField(max_length=24)
    accounts = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["group_id", "status"], name="statuscount_group_status")]

    def __str__(self) -> str:
        return f"group {self.group_id} {self.status}: {self.accounts:+}"
