"""Form submissions an operator's browser would send, for the foundation's views."""
from datetime import date
from itertools import count

from django.db.models import Model

_numbers = count(1)


def as_post_data(values: dict) -> dict:
    """Turn form values (booleans, models, dates, None) into what a browser posts."""
    data = {}
    for key, value in values.items():
        if value is None:
            data[key] = ""
        elif value is True:
            data[key] = "on"
        elif value is False:
            continue
        elif isinstance(value, Model):
            data[key] = str(value.pk)
        elif isinstance(value, date):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)
    return data


def account_create_data(**overrides) -> dict:
    """A complete, valid plain-way account form with unused username and numbers."""
    serial = next(_numbers)
    values = {
        "username": f"7{serial:08d}",
        "password1": "Sup3r-secret-sip",
        "password2": "Sup3r-secret-sip",
        "virtual_number": f"+3906{serial:07d}",
        "secondary_number": "",
        "account_type": "pgsm",
        "security_model": "end_to_end",
        "obfuscation": "on",
        "obfuscation_key": "9",
        "owner": "Giulia Bianchi",
        "caller_id": "",
        "email": "giulia@example.com",
        "description": "",
        "profile": "",
        "licence_edition": "professional",
        "licence_valid_until": "",
        "allow": "",
        "deny": "",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def account_edit_data(account, **overrides) -> dict:
    """The edit form of `account` as the page shows it, with `overrides` typed in."""
    from accounts.forms import AccountEditForm

    data = as_post_data(AccountEditForm.initial_for(account))
    data.update({"password1": "", "password2": ""})
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def group_data(group=None, **overrides) -> dict:
    """The group form: a new group, or `group`'s edit form as shown."""
    if group is None:
        values = {"name": "Initech", "admin_email": "it@initech.example", "description": "", "profile": "", "version": ""}
    else:
        values = as_post_data({
            "name": group.name, "admin_email": group.admin_email, "description": group.description,
            "profile": group.profile, "version": group.version,
        })
    values.update(overrides)
    return values
