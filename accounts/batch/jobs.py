"""Import jobs: keep the upload on the server, check it (the preview), commit it; small files in
the request, large ones by the worker (`run_import_jobs`, in settings.WORKER_TASKS).

The upload lives under VAR_DIR/imports (the web nodes and the worker share VAR_DIR, as they share
the database), with its SHA-256 on the job row: a commit imports exactly the previewed bytes. It may
hold SIP passwords: the folder is the server user's alone (0700, each file 0600), and a file whose
import was abandoned (checked but never imported, or left by a process that died) is deleted by
the worker after a day.
While the worker works, the job's progress is written to a small file beside the upload: the
import's own transaction would hide progress written to the database until it ends.
"""
import hashlib
import json
import logging
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.batch.importer import ImportOptions, accounts_import
from accounts.batch.models import ImportJob
from accounts.batch.report import ImportReport
from console.audit import Actor
from console.errors import NotAllowedError, ServiceError

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_SYNC_BYTES = 256 * 1024
STALLED_AFTER = timedelta(minutes=10)
ABANDONED_AFTER = timedelta(days=1)
State = ImportJob.State


def import_dir() -> Path:
    directory = Path(settings.VAR_DIR) / "imports"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)  # also when an earlier version created it readable by others
    return directory


def max_bytes() -> int:
    return getattr(settings, "BATCH_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def sync_bytes() -> int:
    """Files up to this size are checked and imported within the request; larger ones by the worker."""
    return getattr(settings, "BATCH_IMPORT_SYNC_BYTES", DEFAULT_SYNC_BYTES)


def upload_path(job: ImportJob) -> Path:
    return import_dir() / job.stored_name


def _progress_path(job: ImportJob) -> Path:
    return import_dir() / f"{job.stored_name}.progress"


def job_create(*, operator, group, upload, options: ImportOptions) -> ImportJob:
    """Keep an uploaded file for `group` and check it: now when small, else by the worker."""
    stored_name = f"{secrets.token_hex(16)}.csv"
    path = import_dir() / stored_name
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as target:
            for piece in upload.chunks():
                size += len(piece)
                if size > max_bytes():
                    raise ServiceError(gettext("The file is larger than %(size)d MB: split it into several files.") % {
                        "size": max_bytes() // (1024 * 1024)})
                digest.update(piece)
                target.write(piece)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    job = ImportJob.objects.create(
        group=group, created_by=operator, file_name=(upload.name or "upload.csv")[:200], stored_name=stored_name,
        sha256=digest.hexdigest(), size=size, send_installation_sms=options.send_installation_sms,
        send_activation_sms=options.send_activation_sms,
    )
    if size <= sync_bytes() and _claim(job, State.CHECK_QUEUED, State.CHECKING):
        _run(job, dry_run=True)
    return job


def job_commit(*, job: ImportJob) -> ImportJob:
    """Import a checked file whose report was clean: now when small, else by the worker."""
    job.refresh_from_db()
    if job.state != State.PREVIEWED or not ImportReport.from_json(job.report).ok:
        raise NotAllowedError(gettext("This file cannot be imported: its check found problems, or it was already imported."))
    if not ImportJob.objects.filter(pk=job.pk, state=State.PREVIEWED).update(state=State.QUEUED):
        raise NotAllowedError(gettext("This file is already being imported."))
    job.state = State.QUEUED
    if job.size <= sync_bytes() and _claim(job, State.QUEUED, State.RUNNING):
        _run(job, dry_run=False)
    return job


def _claim(job: ImportJob, from_state: str, to_state: str) -> bool:
    """Move the job on if nobody else did (exactly one worker or request wins)."""
    won = ImportJob.objects.filter(pk=job.pk, state=from_state).update(state=to_state, started_at=timezone.now())
    if won:
        job.state = to_state
    return bool(won)


def run_import_jobs() -> int:
    """Worker task: check or import the next waiting file; returns how many jobs it handled."""
    _fail_stalled()
    _expire_old_previews()
    _delete_orphaned_files()
    for job in ImportJob.objects.filter(state__in=[State.CHECK_QUEUED, State.QUEUED]).order_by("created_at", "id")[:5]:
        dry_run = job.state == State.CHECK_QUEUED
        if _claim(job, job.state, State.CHECKING if dry_run else State.RUNNING):
            _run(job, dry_run=dry_run)
            return 1
    return 0


def _fail_stalled() -> None:
    """A job whose worker died: its transaction rolled back with it, so nothing was written."""
    cutoff = time.time() - STALLED_AFTER.total_seconds()
    for job in ImportJob.objects.filter(state__in=[State.CHECKING, State.RUNNING]):
        last = _progress_path(job).stat().st_mtime if _progress_path(job).exists() else job.started_at.timestamp()
        if last < cutoff:
            report = ImportReport.from_json(job.report)
            report.file_problem = gettext("The worker stopped while handling this file. Nothing was written: upload it again.")
            _finish(job, State.FAILED, report)


def _expire_old_previews() -> None:
    """Checked files nobody imported within a day are deleted: they may hold SIP passwords."""
    for job in ImportJob.objects.filter(state=State.PREVIEWED, created_at__lt=timezone.now() - ABANDONED_AFTER):
        if ImportJob.objects.filter(pk=job.pk, state=State.PREVIEWED).update(state=State.REFUSED):
            report = ImportReport.from_json(job.report)
            report.file_problem = gettext("This file was checked but not imported within a day, and was deleted: upload it again.")
            _finish(job, State.REFUSED, report)


def _delete_orphaned_files() -> None:
    """Files more than a day old that no unfinished job names: left by a process that died
    between writing an upload and recording its job, or before a finished job deleted its file."""
    cutoff = time.time() - ABANDONED_AFTER.total_seconds()
    old = [path for path in import_dir().iterdir() if path.stat().st_mtime < cutoff]
    if not old:
        return
    unfinished = ImportJob.objects.exclude(state__in=[State.DONE, State.REFUSED, State.FAILED])
    kept = {name.partition(".")[0] for name in unfinished.values_list("stored_name", flat=True)}
    for path in old:
        if path.name.partition(".")[0] not in kept:
            path.unlink(missing_ok=True)


def _run(job: ImportJob, *, dry_run: bool) -> None:
    path = upload_path(job)
    actor = Actor.of(job.created_by) if job.created_by else Actor.worker()
    options = ImportOptions(send_installation_sms=job.send_installation_sms, send_activation_sms=job.send_activation_sms)
    try:
        with open(path, "rb") as stream:
            if _sha256(stream) != job.sha256:
                raise ServiceError(gettext("The stored file changed since it was uploaded."))
            stream.seek(0)
            report = accounts_import(
                actor=actor, group=job.group, stream=stream, dry_run=dry_run, options=options, source_name=job.file_name,
                progress=_progress_writer(job, stream), before_commit=lambda done: _finish(job, State.DONE, done),
            )
    except Exception as error:
        logger.exception("import job %s failed", job.pk)
        message = error.message if isinstance(error, ServiceError) else gettext("An unexpected error stopped the import.")
        _finish(job, State.FAILED, ImportReport(file_problem=f"{message} Nothing was written."))
        return
    if dry_run:
        _finish(job, State.PREVIEWED, report)
    elif not report.committed:
        _finish(job, State.REFUSED, report)


def _finish(job: ImportJob, state: str, report: ImportReport) -> None:
    job.state, job.report, job.finished_at = state, report.to_json(), timezone.now()
    if state == State.PREVIEWED:
        job.row_count = report.rows
    job.save(update_fields=["state", "report", "finished_at", "row_count"])
    _progress_path(job).unlink(missing_ok=True)
    if job.is_finished:
        transaction.on_commit(lambda: upload_path(job).unlink(missing_ok=True))


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    for piece in iter(lambda: stream.read(1 << 20), b""):
        digest.update(piece)
    return digest.hexdigest()


def _progress_writer(job: ImportJob, stream):
    path, size, last = _progress_path(job), max(job.size, 1), [0.0]

    def write(phase: str, rows: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5:
            return
        last[0] = now
        if phase == "validating":
            done = min(stream.tell() / size, 1.0)
        else:
            done = rows / max(job.row_count, 1)
        share = done if job.state == State.CHECKING else (done / 2 if phase == "validating" else 0.5 + done / 2)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"phase": phase, "rows": rows, "percent": round(share * 100)}))
        os.replace(temporary, path)

    return write


def job_progress(job: ImportJob) -> dict:
    """What the job page's progress bar shows."""
    data = {"state": job.state, "state_label": job.get_state_display(), "busy": job.is_busy, "percent": 0, "rows": 0, "phase": ""}
    if job.is_busy:
        try:
            data.update(json.loads(_progress_path(job).read_text()))
        except (OSError, ValueError):
            pass
    elif job.state in (State.PREVIEWED, State.DONE):
        data["percent"] = 100
    return data
