"""The batch pages: upload -> checked report -> commit, small files in the request, large ones by the worker."""
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.batch.jobs import run_import_jobs
from accounts.batch.models import ImportJob
from accounts.models import Account
from tests.batch.helpers import csv_bytes, plain_row
from tests.batch.state import database_state
from tests.conftest import make_account


def upload(client, group, data: bytes, follow=False, **options):
    return client.post(f"/accounts/group/{group.pk}/import/", {"file": SimpleUploadedFile("staff.csv", data, "text/csv"), **options},
                       follow=follow)


def test_the_import_pages_follow_the_permission_matrix(personas, client_for):
    data = csv_bytes([plain_row(1)])
    url = f"/accounts/group/{personas.group.pk}/import/"
    assert client_for(None).get(url).status_code == 302
    assert client_for(personas.outsider).get(url).status_code == 404
    assert client_for(personas.auditor).get(url).status_code == 403
    before = database_state()
    assert upload(client_for(personas.auditor), personas.group, data).status_code == 403
    assert upload(client_for(personas.outsider), personas.group, data).status_code == 404
    assert database_state() == before
    job_page = upload(client_for(personas.operator), personas.group, data)
    job = ImportJob.objects.get()
    assert job_page.url == f"/accounts/import/{job.pk}/"
    for persona, status in [(personas.outsider, 404), (personas.auditor, 403)]:
        assert client_for(persona).get(f"/accounts/import/{job.pk}/").status_code == status
        assert client_for(persona).get(f"/accounts/import/{job.pk}/progress/").status_code == status
        assert client_for(persona).post(f"/accounts/import/{job.pk}/commit/").status_code == status
    assert client_for(personas.operator).get(f"/accounts/import/{job.pk}/commit/").status_code == 405
    assert Account.objects.count() == 0


def test_upload_shows_the_report_and_a_clean_file_is_imported_on_confirmation(personas, client_for):
    client = client_for(personas.operator)
    bad = upload(client, personas.group, csv_bytes([plain_row(1), plain_row(2, email="nope")]), follow=True)
    page = bad.content.decode()
    assert "1 of 2 rows cannot be imported" in page and "Enter the e-mail as an address like name@example.com." in page
    assert "Import 2 accounts" not in page and "Upload a corrected file" in page
    good = client.post(f"/accounts/group/{personas.group.pk}/import/",
                       {"file": SimpleUploadedFile("staff.csv", csv_bytes([plain_row(1), plain_row(2)]))}, follow=True)
    assert "All 2 rows can be imported." in good.content.decode() and Account.objects.count() == 0
    job = ImportJob.objects.latest("id")
    done = client.post(f"/accounts/import/{job.pk}/commit/", follow=True)
    assert done.redirect_chain[-1][0] == f"/accounts/group/{personas.group.pk}/"
    assert "2 accounts imported into Acme." in done.content.decode()
    assert Account.objects.filter(group=personas.group).count() == 2
    again = client.post(f"/accounts/import/{job.pk}/commit/", follow=True)
    assert "already imported" in again.content.decode() and Account.objects.count() == 2


def test_a_stale_preview_is_refused_at_commit_with_the_report(personas, client_for):
    client = client_for(personas.operator)
    upload(client, personas.group, csv_bytes([plain_row(1), plain_row(2)]))
    job = ImportJob.objects.get()
    make_account(personas.other_group, username="7700000002")
    before = database_state()
    page = client.post(f"/accounts/import/{job.pk}/commit/", follow=True).content.decode()
    job.refresh_from_db()
    assert job.state == "refused" and "The username 7700000002 is taken." in page
    assert "Nothing was written" in page
    assert {k: v for k, v in database_state().items() if k != "accounts_importjob"} == {
        k: v for k, v in before.items() if k != "accounts_importjob"}


def test_large_files_are_checked_and_imported_by_the_worker_with_progress(personas, client_for, settings):
    settings.BATCH_IMPORT_SYNC_BYTES = 100
    client = client_for(personas.operator)
    upload(client, personas.group, csv_bytes([plain_row(n) for n in range(30)]), send_installation_sms="")
    job = ImportJob.objects.get()
    assert job.state == "check_queued"
    waiting = client.get(f"/accounts/import/{job.pk}/").content.decode()
    assert "data-import-progress" in waiting and "batch_progress.js" in waiting
    assert client.get(f"/accounts/import/{job.pk}/progress/").json()["busy"] is True
    assert run_import_jobs() == 1
    job.refresh_from_db()
    assert job.state == "previewed" and job.row_count == 30
    assert client.get(f"/accounts/import/{job.pk}/progress/").json() | {} == {
        "state": "previewed", "state_label": "Checked", "busy": False, "percent": 100, "rows": 0, "phase": ""}
    client.post(f"/accounts/import/{job.pk}/commit/")
    job.refresh_from_db()
    assert job.state == "queued" and Account.objects.count() == 0
    assert run_import_jobs() == 1 and run_import_jobs() == 0
    job.refresh_from_db()
    assert job.state == "done" and Account.objects.count() == 30
    assert "30 accounts imported." in client.get(f"/accounts/import/{job.pk}/").content.decode()


def test_the_stored_upload_is_what_gets_imported(personas, client_for, settings, batch_var_dir):
    settings.BATCH_IMPORT_SYNC_BYTES = 100
    client = client_for(personas.operator)
    upload(client, personas.group, csv_bytes([plain_row(1)]))
    run_import_jobs()
    job = ImportJob.objects.get()
    client.post(f"/accounts/import/{job.pk}/commit/")
    stored = batch_var_dir / "imports" / job.stored_name
    stored.write_bytes(csv_bytes([plain_row(1), plain_row(2, username="1234567")]))  # tampered with on disk
    run_import_jobs()
    job.refresh_from_db()
    assert job.state == "failed" and "changed since it was uploaded" in job.report["file_problem"]
    assert Account.objects.count() == 0


def test_a_file_too_large_is_refused_at_upload(personas, client_for, settings):
    settings.BATCH_IMPORT_MAX_BYTES = 1000
    response = upload(client_for(personas.operator), personas.group, csv_bytes([plain_row(n) for n in range(50)]))
    assert response.status_code == 200 and "larger than" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_the_group_list_offers_import_export_and_template_to_writers(personas, client_for):
    page = client_for(personas.operator).get(f"/accounts/group/{personas.group.pk}/").content.decode()
    for text in ["Import CSV", "Export CSV", "CSV template"]:
        assert text in page
