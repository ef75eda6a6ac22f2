"""Fixtures of the language tests: compiled catalogues and a request pipeline that follows Accept-Language."""
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
        call_command("compilemessages", verbosity=0)


@pytest.fixture
def locale_middleware(settings):
    """The request's language chosen from Accept-Language, as the console's settings do once they
    include Django's LocaleMiddleware (added here when they do not yet)."""
    locale = "django.middleware.locale.LocaleMiddleware"
    if locale not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, locale)
        settings.MIDDLEWARE = middleware
