"""Forms of the console's own pages: login, password, operators, services."""
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from console.form_fields import DateInput, SpecificErrors
from console.models import Operator, ServiceSettings
from console.passwords import PASSWORD_MAX_LENGTH
from groups.models import Group


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), max_length=PASSWORD_MAX_LENGTH, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    """The code step of the login: six digits from the authenticator app, or a recovery code."""

    code = forms.CharField(label=_("Code"), max_length=32, widget=forms.TextInput(
        attrs={"autofocus": True, "autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}))


class EnrolCodeForm(forms.Form):
    """The code that confirms an authenticator app; not focused, so that a phone shows the steps first."""

    code = forms.CharField(label=_("Code shown by the app"), max_length=32, widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class SignInPolicyForm(forms.Form):
    require_two_factor = forms.BooleanField(label=_("Require two-factor sign-in for every operator"), required=False)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), strip=False, max_length=PASSWORD_MAX_LENGTH, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label=_("New password"), strip=False, max_length=PASSWORD_MAX_LENGTH, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                    help_text=password_validation.password_validators_help_text_html())
    new_password2 = forms.CharField(label=_("Repeat new password"), strip=False, max_length=PASSWORD_MAX_LENGTH, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, operator: Operator, *args, **kwargs):
        self.operator = operator
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        if not self.operator.check_password(value):
            raise forms.ValidationError(gettext("Your current password was entered incorrectly."))
        return value

    def clean(self):
        cleaned = super().clean()
        new, repeat = cleaned.get("new_password1"), cleaned.get("new_password2")
        if new and repeat and new != repeat:
            self.add_error("new_password2", gettext("The two passwords differ."))
        elif new:
            if new == cleaned.get("old_password"):
                self.add_error("new_password1", gettext("Choose a password different from the current one."))
            else:
                try:
                    password_validation.validate_password(new, self.operator)
                except forms.ValidationError as error:
                    self.add_error("new_password1", error)
        return cleaned


class OperatorForm(SpecificErrors, forms.Form):
    username = forms.RegexField(label=_("Username"), regex=r"^[\w.@+-]{1,150}$", max_length=150,
                                error_messages={"invalid": _("Letters, digits and @ . + - _ only.")})
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Operator.Role.choices, initial=Operator.Role.OPERATOR)
    account_groups = forms.ModelMultipleChoiceField(
        label=_("Groups"), queryset=Group.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Operators and Auditors see only these groups; Administrators see all."),
    )
    is_active = forms.BooleanField(label=_("Active (may log in)"), required=False, initial=True)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("The browser's language")), *settings.LANGUAGES],
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ServiceSettingsForm(SpecificErrors, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    public_base_url = forms.URLField(
        label=_("Public base URL of the client web service"), required=False, assume_scheme="https",
        help_text=ServiceSettings._meta.get_field("public_base_url").help_text,
    )
    sms_gateway_url = forms.URLField(label=_("SMS gateway URL"), required=False, assume_scheme="https")
    kamailio_rpc_url = forms.URLField(label=_("Kamailio JSON-RPC address"), required=False, assume_scheme="http")
    sms_password = forms.CharField(
        label=_("SMS gateway password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = ServiceSettings
        fields = ["public_base_url", "sip_server_host", "sip_server_port", "sms_backend", "sms_gateway_url",
                  "sms_username", "sms_password", "sms_sender", "kamailio_rpc_url"]

    def clean_public_base_url(self) -> str:
        url = self.cleaned_data["public_base_url"].rstrip("/")
        if url and not url.startswith(("https://", "http://")):
            raise forms.ValidationError(gettext("Give a full address starting with https://."))
        return url


class AuditFilterForm(forms.Form):
    """The audit log's filters, all optional: action (a prefix), actor and object (part of the name),
    and a date range (inclusive, in the console's time zone). A malformed date is reported and
    left out of the filter."""

    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    object = forms.CharField(label=_("Object"), required=False, max_length=200)
    since = forms.DateField(label=_("Since"), required=False, widget=DateInput, error_messages={"invalid": _("Enter the start date as YYYY-MM-DD.")})
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput, error_messages={"invalid": _("Enter the end date as YYYY-MM-DD.")})

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ("action", "actor", "object"):
            if name in cleaned:
                cleaned[name] = cleaned[name].replace("\x00", "")
        return cleaned

    def filtered(self, entries):
        """`entries` narrowed to the valid filters given."""
        self.is_valid()
        values = self.cleaned_data
        if values.get("action"):
            entries = entries.filter(action__startswith=values["action"])
        if values.get("actor"):
            entries = entries.filter(actor_label__icontains=values["actor"])
        if values.get("object"):
            entries = entries.filter(object_repr__icontains=values["object"])
        if values.get("since"):
            entries = entries.filter(at__date__gte=values["since"])
        if values.get("until"):
            entries = entries.filter(at__date__lte=values["until"])
        return entries
