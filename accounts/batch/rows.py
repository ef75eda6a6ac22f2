"""Validating one CSV row with the account forms' own rules (AccountCreateForm and the settings
it shares with the edit form), so the batch way accepts exactly what the plain way accepts.

What a form checks against the database one row at a time (username and numbers still free) is
left to the importer, which checks whole chunks of rows in one query each; the provisioning
profile is named, not numbered, in a file, and resolved from names loaded once.
"""
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext

from accounts.access_lists import AccessEntry
from accounts.batch.columns import (
    BOOLEAN_DEFAULTS,
    CHOICE_COLUMNS,
    choice_value,
    parse_boolean,
)
from accounts.forms import AccountCreateForm
from accounts.models import Account
from activation.models import ProvisioningProfile

FORM_FIELD_COLUMNS = {"password1": "password", "password2": "password", "__all__": ""}
EMAIL_MAX_LENGTH = Account._meta.get_field("email").max_length


@dataclass
class RowProblem:
    """One reason a row cannot be imported; `column` is empty when it concerns the whole row."""

    line: int
    column: str
    message: str


@dataclass
class CleanRow:
    """A valid row, ready to become an account (username empty: to be generated)."""

    line: int
    username: str
    fields: dict[str, Any]
    password: str
    access_rules: list[AccessEntry]
    licence_edition: str
    licence_valid_until: date | None
    numbers: list[str] = field(default_factory=list)

    @property
    def is_wizard(self) -> bool:
        return not self.password


class BatchRowForm(AccountCreateForm):
    """AccountCreateForm for one file row: username optional (generated), password optional (no
    password: the wizard way), profile by name; uniqueness is the importer's."""

    username = forms.CharField(max_length=16, required=False, validators=AccountCreateForm.base_fields["username"].validators)
    profile = forms.CharField(max_length=100, required=False)
    password_required = False

    def __init__(self, *args, profiles: dict[str, ProvisioningProfile], fallback_profile, **kwargs):
        self.profiles = profiles
        self.fallback_profile = fallback_profile
        super().__init__(*args, **kwargs)

    def rebind(self, data: dict[str, Any]) -> "BatchRowForm":
        """Bind the form to another row's data. Forms are built once per import, not per row: a
        form's construction (a deep copy of every field) costs more than cleaning a row. The cached
        bound fields stay: they read the form's current data whenever asked."""
        self.data = data
        self.is_bound = True
        self._errors = None
        self.__dict__.pop("cleaned_data", None)
        return self

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if len(email) > EMAIL_MAX_LENGTH:
            raise forms.ValidationError(gettext("An e-mail address has at most %(limit)d characters.") % {"limit": EMAIL_MAX_LENGTH})
        return email

    def clean_profile(self) -> ProvisioningProfile | None:
        name = self.cleaned_data["profile"].strip()
        if not name:
            return None
        profile = self.profiles.get(name.lower())
        if profile is None:
            known = ", ".join(sorted(p.name for p in self.profiles.values())[:10]) or gettext("none exists yet")
            raise forms.ValidationError(gettext("There is no provisioning profile named %(name)s (profiles: %(known)s).") % {"name": repr(name), "known": known})
        return profile

    def clean(self):
        cleaned = super().clean()
        if self.data.get("password1"):
            return cleaned
        # No password: the wizard way (A3), PGSM only, with a profile and an international number.
        if cleaned.get("account_type") == Account.AccountType.SNOM:
            self.add_error("account_type", gettext("SNOM accounts can only be created the plain way: give the row a password."))
        if "profile" in cleaned and not (cleaned["profile"] or self.fallback_profile):
            self.add_error("profile", gettext("A row without a password is created the wizard way and needs a provisioning "
                                      "profile: name one, give the group a profile, or make one the system default."))
        number = cleaned.get("virtual_number")
        if number and not number.startswith("+"):
            self.add_error("virtual_number", gettext("A row without a password is created the wizard way and needs an "
                                             "international number (+ and digits): %(number)s is not.") % {"number": number})
        return cleaned


def form_data(cells: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The form's data for a row's cells (defaults for empty cells), and the cells no form field
    can read (a boolean that is not yes/no)."""
    data: dict[str, Any] = {name: value.strip() for name, value in cells.items() if name != "password"}
    problems = []
    password = cells.get("password", "")
    data["password1"] = data["password2"] = password
    for column, default in BOOLEAN_DEFAULTS.items():
        text = data.get(column, "")
        value = parse_boolean(text) if text else default
        if value is None:
            problems.append((column, f"{text[:40]!r} is not yes or no (also accepted: true/false, 1/0, on/off)."))
            value = default
        data[column] = value
    for column in CHOICE_COLUMNS:
        text = data.get(column, "")
        if text:
            data[column] = choice_value(column, text)
        else:
            data[column] = BatchRowForm.base_fields[column].initial
    if not data.get("obfuscation_key"):
        data["obfuscation_key"] = BatchRowForm.base_fields["obfuscation_key"].initial
    return data, problems


class RowValidator:
    """Validate rows for one group; profiles are loaded once."""

    def __init__(self, group):
        self.group = group
        self.profiles = {profile.name.lower(): profile for profile in ProvisioningProfile.objects.all()}
        system_default = next((profile for profile in self.profiles.values() if profile.is_default), None)
        self.form = BatchRowForm({}, profiles=self.profiles, fallback_profile=group.profile or system_default)

    def clean(self, line: int, cells: dict[str, str]) -> CleanRow | list[RowProblem]:
        data, cell_problems = form_data(cells)
        form = self.form.rebind(data)
        problems = [RowProblem(line, column, message) for column, message in cell_problems]
        if not form.is_valid():
            for name, errors in form.errors.items():
                column = FORM_FIELD_COLUMNS.get(name, name)
                problems.extend(RowProblem(line, column, str(message)) for message in errors)
        if problems:
            return _without_repeats(problems)
        values = form.cleaned_data
        fields = form.settings_fields()
        profile = fields.pop("profile")
        fields["profile_id"] = profile.pk if profile else None
        fields["virtual_number"] = values["virtual_number"]
        fields["secondary_number"] = values["secondary_number"] or None
        if not fields["caller_id"]:
            fields["caller_id"] = values["virtual_number"]
        if not values["password1"]:
            fields["account_type"] = Account.AccountType.PGSM
        return CleanRow(
            line=line, username=values["username"], fields=fields, password=values["password1"],
            access_rules=form.access_rules(), licence_edition=values["licence_edition"],
            licence_valid_until=values["licence_valid_until"],
            numbers=[number for number in (fields["virtual_number"], fields["secondary_number"]) if number],
        )


def _without_repeats(problems: list[RowProblem]) -> list[RowProblem]:
    seen, unique = set(), []
    for problem in problems:
        key = (problem.column, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
