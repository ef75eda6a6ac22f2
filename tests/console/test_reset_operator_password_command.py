"""`manage.py reset_operator_password USERNAME`: the way back in for an Administrator who lost the
password, from the shell (README)."""
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from console.models import AuditEntry, Operator
from console.services import first_administrator_create


def test_a_lost_first_administrator_password_is_replaced_by_a_printed_one_time_password(db):
    first_administrator_create()
    out = StringIO()
    call_command("reset_operator_password", "admin", stdout=out)
    password = re.search(r"New one-time password for admin: (\S+)", out.getvalue()).group(1)
    response = Client().post(reverse("login"), {"username": "admin", "password": password}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert Operator.objects.get().must_change_password is True
    entry = AuditEntry.objects.filter(action="operator.reset_password").get()
    assert password not in str(entry.after) and entry.actor_kind == "system"


def test_an_unknown_operator_is_an_error_that_changes_nothing(db):
    first_administrator_create()
    before = Operator.objects.get().password
    with pytest.raises(CommandError, match="No operator is called 'nobody'"):
        call_command("reset_operator_password", "nobody")
    assert Operator.objects.get().password == before
