"""Fixtures of the language tests: the catalogues compiled."""
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def compiled_catalogues():
    """The catalogues compiled, as the build does: a test run from a fresh checkout finds no .mo files."""
    from django.conf import settings
    from django.core.management import call_command

    catalogues = [po for directory in settings.LOCALE_PATHS for po in Path(directory).glob("*/LC_MESSAGES/django.po")]
    if any(not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
           for po in catalogues):
        call_command("compilemessages", verbosity=0, ignore_patterns=[".venv", "node_modules"])
