"""The batch way in a real browser: upload, read the report, fix, commit, watch the progress, see the accounts."""
import threading

import pytest

from accounts.batch.jobs import run_import_jobs
from accounts.models import Account
from tests.batch.helpers import csv_bytes, plain_row
from tests.conftest import log_in, requires_postgresql, screenshot

ROWS = 3000


@pytest.fixture
def worker():
    """The worker's import task, running beside the live server as `manage.py run_worker` would."""
    from django.db import connection

    stop = threading.Event()

    def loop():
        try:
            while not stop.is_set():
                if not run_import_jobs():
                    stop.wait(0.2)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    yield thread
    stop.set()
    if thread.is_alive():
        thread.join(timeout=120)


@requires_postgresql  # SQLite has one writer: while the worker's import holds it, pages cannot save their session
def test_an_operator_fixes_a_file_imports_it_and_watches_the_progress(browser_page, personas, settings, worker):
    settings.BATCH_IMPORT_SYNC_BYTES = 2000  # the small first file is checked at once, the large one by the worker
    page = browser_page()
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/group/{personas.group.pk}/")
    page.get_by_role("link", name="Import CSV").click()
    screenshot(page, "batch-0-upload")
    bad = csv_bytes([plain_row(1), plain_row(2, virtual_number="+39 02 12ab"), plain_row(3, username="7700000001")])
    page.set_input_files("input[name=file]", files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": bad}])
    page.get_by_role("button", name="Check the file").click()
    report = page.locator("table.batch-report")
    report.wait_for()
    assert "2 of 3 rows cannot be imported" in page.inner_text(".alert-danger")
    cells = [[cell.strip() for cell in row.split("\t")] for row in report.locator("tbody tr").all_inner_texts()]
    assert cells[0][:2] == ["3", "virtual_number"] and "A phone number is digits" in cells[0][2]
    assert cells[1] == ["4", "username", "The username 7700000001 is also in row 2 of this file."]
    screenshot(page, "batch-1-report")
    assert Account.objects.count() == 0

    fixed = csv_bytes([plain_row(n) for n in range(1, ROWS + 1)])
    page.set_input_files("input[name=file]", files=[{"name": "staff-fixed.csv", "mimeType": "text/csv", "buffer": fixed}])
    page.get_by_role("button", name="Check the file").click()
    page.locator("[data-import-progress]").wait_for()
    screenshot(page, "batch-2-checking-queued")
    worker.start()
    commit = page.get_by_role("button", name=f"Import {ROWS} accounts into Acme")
    commit.wait_for(timeout=120_000)
    assert f"All {ROWS} rows can be imported." in page.inner_text(".alert-success")
    screenshot(page, "batch-3-checked")

    commit.click()
    bar = page.locator("[data-import-progress] .progress-bar")
    bar.wait_for()
    page.wait_for_function(
        "() => { const bar = document.querySelector('[data-import-progress] .progress-bar');"
        " return !bar || parseInt(bar.textContent) > 0; }", timeout=120_000)
    if bar.count():
        screenshot(page, "batch-4-progress")
    page.get_by_text(f"{ROWS} accounts imported.").wait_for(timeout=180_000)
    screenshot(page, "batch-5-done")
    page.get_by_role("link", name="See the accounts of Acme").click()
    assert "7700000001" in page.inner_text("table")
    screenshot(page, "batch-6-accounts")
    assert Account.objects.filter(group=personas.group).count() == ROWS
