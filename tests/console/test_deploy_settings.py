"""Production settings: `manage.py check --deploy` reports nothing, and unsafe values stop start-up."""
import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "ALLOWED_HOSTS": "console.example.net",
}


def _manage(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    inherited = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
        env={**inherited, "VAR_DIR": str(settings.VAR_DIR), **environment},
    )


def test_check_deploy_with_production_settings_reports_nothing():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced check asks for HSTS preload, which is opt-in (SECURE_HSTS_PRELOAD).
    assert "System check identified no issues (1 silenced)." in result.stdout
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION, SECURE_HSTS_PRELOAD="true")
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_notices_a_production_run_left_in_debug_mode():
    """The control: the same check does complain when a setting is unsafe."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_a_malformed_boolean_stops_the_console_naming_the_variable():
    result = _manage("check", **{**PRODUCTION, "SECURE_SSL_REDIRECT": "maybe"})
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT must be a boolean" in result.stderr
