"""Batch import through the API (B1): upload a CSV, read the per-row report, commit, progress."""
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from accounts.models import Account
from tests.api.world import data_state
from tests.batch.helpers import csv_bytes, plain_row


def _upload(api, group, rows, **options):
    upload = SimpleUploadedFile("accounts.csv", csv_bytes(rows), content_type="text/csv")
    return api.post(f"/api/v1/groups/{group.pk}/imports/", {"file": upload, **options}, content_type=MULTIPART_CONTENT)


def test_an_upload_is_checked_then_committed_in_one_go(personas, operator_api):
    uploaded = _upload(operator_api, personas.group, [plain_row(1), plain_row(2)])
    assert uploaded.status_code == 201
    job = uploaded.json()
    assert job["state"] == "previewed" and job["report"]["rows"] == 2 and job["report"]["problems"] == []
    assert job["progress"]["percent"] == 100
    assert not Account.objects.exists()
    committed = operator_api.post(f"/api/v1/imports/{job['id']}/commit/")
    assert committed.status_code == 200 and committed.json()["state"] == "done"
    assert set(Account.objects.values_list("username", flat=True)) == {plain_row(1)["username"], plain_row(2)["username"]}
    again = operator_api.post(f"/api/v1/imports/{job['id']}/commit/")
    assert again.status_code == 409 and Account.objects.count() == 2


def test_a_report_names_each_bad_row_and_its_commit_is_refused(personas, operator_api):
    job = _upload(operator_api, personas.group, [plain_row(3), plain_row(4, virtual_number="12x")]).json()
    assert [problem[0] for problem in job["report"]["problems"]] == [3]
    before = data_state()
    refused = operator_api.post(f"/api/v1/imports/{job['id']}/commit/")
    assert refused.status_code == 409 and "cannot be imported" in refused.json()["detail"]
    assert data_state() == before


def test_an_upload_without_a_file_says_so(personas, operator_api):
    response = operator_api.post(f"/api/v1/groups/{personas.group.pk}/imports/", {"send_installation_sms": "true"},
                                 content_type=MULTIPART_CONTENT)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "file", "message": "This field is required."}]


def test_another_group_s_import_is_404(personas, operator_api, client_for):
    from tests.api.conftest import ApiClient, issue_token

    job = _upload(operator_api, personas.group, [plain_row(5)]).json()
    outsider = ApiClient(issue_token(personas.outsider))
    assert outsider.get(f"/api/v1/imports/{job['id']}/").status_code == 404
    assert outsider.post(f"/api/v1/imports/{job['id']}/commit/").status_code == 404
    assert not Account.objects.exists()
