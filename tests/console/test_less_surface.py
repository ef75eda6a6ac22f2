"""Less surface (X2, O2): no Django admin, `createsuperuser` makes an Administrator, a new operator
is an Operator unless chosen otherwise, HSTS preload only on request."""
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from console.models import Operator


@pytest.mark.parametrize("path", ["/django-admin/", "/django-admin/login/", "/admin/"])
def test_the_django_admin_is_not_mounted(personas, client_for, path):
    assert Client().get(path).status_code == 404
    assert client_for(personas.administrator).get(path).status_code == 404


def test_createsuperuser_makes_an_administrator(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "winter-orchard-lantern-31")
    call_command("createsuperuser", "--noinput", username="root-admin", email="root@example.net", verbosity=0)
    operator = Operator.objects.get(username="root-admin")
    assert (operator.role, operator.is_administrator) == (Operator.Role.ADMINISTRATOR, True)
    assert Client().post(reverse("login"), {"username": "root-admin", "password": "winter-orchard-lantern-31"}).status_code == 302


def test_the_new_operator_form_starts_on_the_operator_role(personas, client_for):
    page = client_for(personas.administrator).get(reverse("operator_create"))
    assert page.context["form"]["role"].value() == Operator.Role.OPERATOR
    assert '<option value="operator" selected>' in page.content.decode()


def _preload_settings(**environment) -> str:
    inherited = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.SECURE_HSTS_PRELOAD, settings.SILENCED_SYSTEM_CHECKS)")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True, timeout=60,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "console.settings", "SECRET_KEY": "x" * 50,
             "VAR_DIR": str(settings.VAR_DIR), **environment},
    )
    return result.stdout.strip()


def test_hsts_preload_is_off_unless_asked_for():
    assert _preload_settings(SECURE_HSTS_SECONDS="31536000") == "False ['security.W021']"
    assert _preload_settings(SECURE_HSTS_SECONDS="31536000", SECURE_HSTS_PRELOAD="true") == "True []"


@pytest.mark.parametrize(("preload", "header"), [
    (False, "max-age=31536000; includeSubDomains"),
    (True, "max-age=31536000; includeSubDomains; preload"),
])
def test_the_hsts_header_says_preload_only_when_it_is_on(db, settings, preload, header):
    settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD = 31536000, True, preload
    response = Client().get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == header
