"""Uploaded CSV files may hold SIP passwords (B1): they are the server user's alone (0600 in a
0700 folder, the check's scratch file too), and a file whose import was abandoned is deleted by
the worker within a day."""
import os
import stat
import time
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.batch import staging
from accounts.batch.jobs import run_import_jobs
from accounts.batch.models import ImportJob
from accounts.models import Account
from tests.batch.helpers import csv_bytes, plain_row

DAY = 24 * 3600


def upload(client, group, data: bytes):
    return client.post(f"/accounts/group/{group.pk}/import/", {"file": SimpleUploadedFile("staff.csv", data, "text/csv")})


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def age(path, seconds: float) -> None:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def test_an_upload_is_written_0600_in_a_0700_folder(personas, client_for, batch_var_dir):
    (batch_var_dir / "imports").mkdir(mode=0o755)  # as an earlier version left it
    upload(client_for(personas.operator), personas.group, csv_bytes([plain_row(1)]))
    job = ImportJob.objects.get()

    assert job.state == "previewed"
    assert mode(batch_var_dir / "imports") == 0o700
    assert mode(batch_var_dir / "imports" / job.stored_name) == 0o600


def test_the_checks_scratch_file_is_0600_in_a_0700_folder():
    with staging.Staging() as scratch:
        scratch.stage([])
        assert mode(scratch.path.parent) == 0o700
        assert mode(scratch.path) == 0o600
    assert not scratch.path.parent.exists()


def test_a_checked_file_nobody_imports_is_deleted_after_a_day_and_not_before(personas, client_for, batch_var_dir,
                                                                              django_capture_on_commit_callbacks):
    client = client_for(personas.operator)
    upload(client, personas.group, csv_bytes([plain_row(1)]))
    upload(client, personas.group, csv_bytes([plain_row(2)]))
    abandoned, recent = ImportJob.objects.order_by("id")
    ImportJob.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - timedelta(hours=25))
    ImportJob.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(hours=23))

    with django_capture_on_commit_callbacks(execute=True):
        run_import_jobs()

    abandoned.refresh_from_db()
    recent.refresh_from_db()
    assert abandoned.state == "refused" and "not imported within a day" in abandoned.report["file_problem"]
    assert not (batch_var_dir / "imports" / abandoned.stored_name).exists()
    assert recent.state == "previewed" and (batch_var_dir / "imports" / recent.stored_name).exists()
    assert client.post(f"/accounts/import/{abandoned.pk}/commit/").status_code == 302
    assert Account.objects.count() == 0


def test_files_no_unfinished_job_names_are_deleted_after_a_day(personas, client_for, batch_var_dir):
    upload(client_for(personas.operator), personas.group, csv_bytes([plain_row(1)]))
    waiting = ImportJob.objects.get()
    folder = batch_var_dir / "imports"
    orphan, fresh_orphan, waiting_file = folder / "0badc0de.csv", folder / "0fresh.csv", folder / waiting.stored_name
    for path in (orphan, fresh_orphan):
        path.write_bytes(csv_bytes([plain_row(3)]))
    age(orphan, DAY + 60)
    age(waiting_file, DAY + 60)  # an old file, but its job waits: only the job's own expiry removes it

    run_import_jobs()

    assert not orphan.exists()
    assert fresh_orphan.exists()
    assert waiting_file.exists()
