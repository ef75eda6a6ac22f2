"""GET /client/v1/openapi.json (W5), and Schemathesis run against the live service with it."""
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import make_account
from tests.licensing.helpers import SIP_PASSWORD


def test_the_document_describes_the_install_report_and_the_licence_validation(client, db):
    response = client.get("/client/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/client/v1/installed", "/client/v1/licence"}
    assert set(document["paths"]["/client/v1/installed"]["post"]["responses"]) >= {"204", "404", "410"}
    assert set(document["paths"]["/client/v1/licence"]["post"]["responses"]) == {"200", "400", "401", "429"}


def schemathesis_command() -> list[str]:
    installed = Path(sys.executable).with_name("schemathesis")
    return [str(installed)] if installed.exists() else [shutil.which("schemathesis") or "schemathesis"]


def test_schemathesis_finds_no_server_error_and_every_response_conforms(live_server, personas, settings, tmp_path):
    settings.LICENCE_RATE_LIMIT_PER_USERNAME = settings.LICENCE_RATE_LIMIT_PER_ADDRESS = 100_000
    account = make_account(personas.group)

    run = subprocess.run(
        [
            *schemathesis_command(), "run", f"{live_server.url}/client/v1/openapi.json",
            "--checks", "all", "--exclude-checks", "use_after_free,ensure_resource_availability,object_level_authorization",
            "--auth", f"{account.username}:{SIP_PASSWORD}",
            "--max-examples", "40", "--seed", "6", "--workers", "1", "--phases", "examples,coverage,fuzzing",
            "--generation-database", "none", "--report-dir", str(tmp_path), "--no-color",
        ],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )

    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout or "passed" in run.stdout
