"""Import jobs: an uploaded file between its preview and its commit, and the commit's progress."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from groups.models import Group


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ImportJobQuerySet":
        """Jobs of the groups the operator may see (all for Administrators)."""
        return self.filter(group__in=Group.objects.visible_to(user))


class ImportJob(models.Model):
    """One uploaded CSV file for one group (B1).

    The file itself stays on the server (under VAR_DIR, named by `stored_name`, checked against
    `sha256`): the commit imports what was previewed, never anything the browser sends again.
    `report` is the preview's report, replaced by the commit's. Large files are committed by the
    worker, and so is their preview (check_queued -> checking -> previewed; queued -> running ->
    done/refused/failed); while it runs, its progress is in a
    small file beside the upload (the import's transaction would hide it in this row).
    """

    class State(models.TextChoices):
        CHECK_QUEUED = "check_queued", _("Waiting for the worker to check the file")
        CHECKING = "checking", _("Checking the file")
        PREVIEWED = "previewed", _("Checked")
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Refused: nothing was written")
        FAILED = "failed", _("Failed: nothing was written")

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=64, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    send_installation_sms = models.BooleanField(default=False)
    send_activation_sms = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CHECK_QUEUED)
    row_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="importjob_state")]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.file_name} into {self.group_id}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.REFUSED, self.State.FAILED)

    @property
    def is_busy(self) -> bool:
        """Waiting for or being worked on by the worker: the page shows progress."""
        return self.state in (self.State.CHECK_QUEUED, self.State.CHECKING, self.State.QUEUED, self.State.RUNNING)
