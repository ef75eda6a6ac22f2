"""Forms of the activation pages: provisioning profiles, the account wizard, the test SMS."""
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.forms import text_without_controls
from accounts.models import NUMBER_VALIDATOR, Account
from activation.models import ProvisioningProfile
from console.form_fields import SpecificErrors

PROFILE_FIELDS = [
    "name", "sip_host", "sip_port", "transport", "support_phone", "support_email", "client_logging",
    "readonly_settings", "oem_licence_code", "ios_download_url", "android_download_url", "sms_language", "is_default",
]


class ProfileForm(SpecificErrors, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    ios_download_url = forms.URLField(label=_("iOS download address"), required=False, assume_scheme="https")
    android_download_url = forms.URLField(label=_("Android download address"), required=False, assume_scheme="https")
    # Not a model field of the form: the model's one-default constraint would refuse making this
    # profile the default while another one is, which the service does by taking it over.
    is_default = forms.BooleanField(
        label=_("System default"), required=False, help_text=_("Accounts whose group has no profile get the system default."),
    )

    class Meta:
        model = ProvisioningProfile
        fields = [name for name in PROFILE_FIELDS if name != "is_default"]
        help_texts = {"sip_host": _("Empty: the SIP server address of the Services page.")}
        labels = {"name": _("Name"), "transport": _("Transport"), "client_logging": _("Client logging")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_default"].initial = self.instance.is_default
        # A post without the field (a script written before it existed) keeps the stored language.
        self.fields["sms_language"].required = False

    def clean_sms_language(self) -> str:
        return self.cleaned_data["sms_language"] or self.instance.sms_language


class WizardForm(SpecificErrors, forms.Form):
    owner = forms.CharField(label=_("Owner"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False)
    virtual_number = forms.CharField(
        label=_("Virtual phone number"), max_length=21, validators=[NUMBER_VALIDATOR],
        help_text=_("International format, e.g. +390212345678: the SMS go to this mobile number."),
    )
    security_model = forms.ChoiceField(label=_("Security model"), choices=Account.SecurityModel.choices, initial=Account.SecurityModel.END_TO_END)
    profile = forms.ModelChoiceField(
        label=_("Provisioning profile"), queryset=ProvisioningProfile.objects.all(), required=False,
        empty_label=_("The group's profile"),
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)

    def clean_owner(self) -> str:
        return text_without_controls(self.cleaned_data["owner"], gettext("owner"))

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        if ProvisioningProfile.objects.for_group(group) is None:
            self.fields["profile"].required = True
            self.fields["profile"].empty_label = None
            self.fields["profile"].help_text = gettext("Neither the group nor the system has a profile, so choose one.")

        else:
            self.fields["profile"].empty_label = ProvisioningProfile.objects.fallback_label(group)

    def clean_virtual_number(self) -> str:
        number = self.cleaned_data["virtual_number"].strip()
        if not number.startswith("+"):
            raise forms.ValidationError(gettext("Wizard accounts need an international number: + and digits, e.g. +390212345678."))
        return number


class TestSmsForm(forms.Form):
    recipient = forms.CharField(
        label=_("Mobile number"), max_length=21, validators=[NUMBER_VALIDATOR],
        help_text=_("International format (+ and digits)."),
    )
