"""Account forms: the plain way (A2) and edit (A5). Validation lives here and in the model;
the writes themselves are accounts.services'."""
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.access_lists import (
    ALLOW,
    DENY,
    AccessEntry,
    AccessEntryError,
    parse_entries,
)
from accounts.models import NUMBER_VALIDATOR, USERNAME_VALIDATOR, Account
from activation.models import ProvisioningProfile
from console.form_fields import DateInput, MultilineTextField, SpecificErrors
from licensing.models import Licence

PASSWORD_MIN_LENGTH = 8
SETTINGS_FIELDS = (
    "account_type", "security_model", "obfuscation", "obfuscation_key", "keepalive",
    "owner", "caller_id", "email", "description", "profile",
)
ACCESS_HELP = _(
    "One entry per line: address/netmask (192.168.0.38/255.255.255.255), CIDR (10.0.0.0/8), "
    "a single address, or an IPv6 prefix."
)


def text_without_controls(value: str, label: str) -> str:
    if any(ord(character) < 32 and character not in "\t" for character in value):
        raise forms.ValidationError(gettext("The %(label)s cannot contain control characters or line breaks.") % {"label": label})
    return value


class AccountSettingsForm(SpecificErrors, forms.Form):
    """The fields that may change during an account's life; shared by the create and edit forms."""

    account_type = forms.ChoiceField(label=_("Account type"), choices=Account.AccountType.choices, initial=Account.AccountType.PGSM)
    security_model = forms.ChoiceField(label=_("Security model"), choices=Account.SecurityModel.choices, initial=Account.SecurityModel.END_TO_END)
    obfuscation = forms.BooleanField(label=_("Obfuscation mode"), required=False, initial=True)
    obfuscation_key = forms.IntegerField(label=_("Obfuscation key"), initial=9, min_value=0, max_value=2_147_483_647)
    keepalive = forms.BooleanField(label=_("Keep-alive (server pings the client's TCP connection every 3 minutes)"), required=False)
    owner = forms.CharField(label=_("Owner"), max_length=100, required=False)
    caller_id = forms.CharField(
        label=_("Caller ID"), max_length=120, required=False,
        help_text=_('Presented caller ID, e.g. "Marco Rossi" <+39021234567>. Empty: the virtual phone number.'),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    description = MultilineTextField(label=_("Description"), max_length=500, required=False)
    profile = forms.ModelChoiceField(
        label=_("Provisioning profile"), queryset=ProvisioningProfile.objects.all(), required=False,
        empty_label=_("The group's profile"), help_text=_("Overrides the group's provisioning profile."),
    )
    licence_edition = forms.ChoiceField(label=_("Licence edition"), choices=Licence.Edition.choices, initial=Licence.Edition.PROFESSIONAL)
    licence_valid_until = forms.DateField(
        label=_("Licence valid until"), required=False, widget=DateInput,
        help_text=_("Empty: no end date."),
    )
    allow = MultilineTextField(label=_("Allow list"), required=False, help_text=ACCESS_HELP)
    deny = MultilineTextField(label=_("Deny list"), required=False, help_text=ACCESS_HELP)

    def clean_owner(self) -> str:
        return text_without_controls(self.cleaned_data["owner"], gettext("owner"))

    def clean_caller_id(self) -> str:
        return text_without_controls(self.cleaned_data["caller_id"], gettext("caller ID"))

    def _clean_access(self, field: str, action: str) -> list[AccessEntry]:
        try:
            return parse_entries(action, self.cleaned_data[field])
        except AccessEntryError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_allow(self) -> list[AccessEntry]:
        return self._clean_access("allow", ALLOW)

    def clean_deny(self) -> list[AccessEntry]:
        return self._clean_access("deny", DENY)

    def clean(self):
        cleaned = super().clean()
        allowed = {entry.canonical for entry in cleaned.get("allow") or []}
        both = [entry.as_typed for entry in cleaned.get("deny") or [] if entry.canonical in allowed]
        if both:
            self.add_error("deny", gettext("%(entries)s cannot be in both lists.") % {"entries": ", ".join(both)})
        return cleaned

    def settings_fields(self) -> dict:
        return {field: self.cleaned_data[field] for field in SETTINGS_FIELDS}

    def access_rules(self) -> list[AccessEntry]:
        return [*self.cleaned_data["allow"], *self.cleaned_data["deny"]]


class PasswordFieldsMixin(forms.Form):
    password1 = forms.CharField(
        label=_("Password"), strip=False, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=format_lazy(_("At least {count} characters. Stored only as SIP digests: it cannot be shown again."),
                              count=PASSWORD_MIN_LENGTH),
    )
    password2 = forms.CharField(
        label=_("Repeat password"), strip=False, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    password_required = True

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1") or "", cleaned.get("password2") or ""
        if not first and not second:
            if self.password_required:
                self.add_error("password1", gettext("Type a password or generate one."))
        elif first != second:
            self.add_error("password2", gettext("The two passwords differ."))
        elif len(first) < PASSWORD_MIN_LENGTH:
            self.add_error("password1", gettext("The password needs at least %(count)d characters.") % {"count": PASSWORD_MIN_LENGTH})
        elif any(ord(character) < 32 or ord(character) == 127 for character in first):
            self.add_error("password1", gettext("The password cannot contain control characters."))
        return cleaned


def _clean_number(value: str, label: str) -> str:
    number = value.replace(" ", "").replace("-", "")
    NUMBER_VALIDATOR(number)
    return number


class AccountCreateForm(PasswordFieldsMixin, AccountSettingsForm):
    """Create an account the plain way: the operator fills every field (A2). Whether the username
    and numbers are free is account_create's to say (its refusal names the field): it looks them
    up anyway, inside the transaction that takes them."""

    field_order = ["username", "password1", "password2", "virtual_number", "secondary_number"]
    username = forms.CharField(
        label=_("Username"), max_length=16, required=False, validators=[USERNAME_VALIDATOR],
        help_text=_("6 to 16 digits; a random unused number is suggested (left empty, one is generated)."),
    )
    virtual_number = forms.CharField(
        label=_("Virtual phone number"), max_length=40,
        help_text=_("International format (+ and digits) if the account is to receive SMS. Cannot change later."),
    )
    secondary_number = forms.CharField(label=_("Secondary number"), max_length=40, required=False, help_text=_("Optional. Cannot change later."))

    def clean_virtual_number(self) -> str:
        return _clean_number(self.cleaned_data["virtual_number"], "virtual phone number")

    def clean_secondary_number(self) -> str:
        value = self.cleaned_data["secondary_number"]
        return _clean_number(value, "secondary number") if value else ""

    def clean(self):
        cleaned = super().clean()
        primary, secondary = cleaned.get("virtual_number"), cleaned.get("secondary_number")
        if primary and secondary and primary == secondary:
            self.add_error("secondary_number", gettext("The secondary number must differ from the virtual phone number."))
        return cleaned

    def create_fields(self) -> dict:
        data = self.cleaned_data
        return {**self.settings_fields(), "username": data["username"], "virtual_number": data["virtual_number"],
                "secondary_number": data["secondary_number"] or None}


class AccountEditForm(PasswordFieldsMixin, AccountSettingsForm):
    """Edit every field except username and virtual numbers (A5); `version` guards against lost updates."""

    password_required = False
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, account: Account, *args, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)
        self.fields["profile"].empty_label = ProvisioningProfile.objects.fallback_label(account.group)

    def clean_account_type(self) -> str:
        account_type = self.cleaned_data["account_type"]
        if account_type == Account.AccountType.SNOM and self.account.is_wizard:
            raise forms.ValidationError(gettext("SNOM accounts can only be created the plain way; this one was created by the wizard."))
        return account_type

    @classmethod
    def initial_for(cls, account: Account) -> dict:
        rules = list(account.access_rules.all())
        licence = getattr(account, "licence", None)
        return {
            **{field: getattr(account, field) for field in SETTINGS_FIELDS},
            "licence_edition": licence.edition if licence else Licence.Edition.PROFESSIONAL,
            "licence_valid_until": licence.valid_until if licence else None,
            "allow": "\n".join(rule.as_typed for rule in rules if rule.action == ALLOW),
            "deny": "\n".join(rule.as_typed for rule in rules if rule.action == DENY),
            "version": account.version,
        }
