"""Forms of the activation pages: provisioning profiles, the account wizard, the test SMS."""
from django import forms

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
    ios_download_url = forms.URLField(label="iOS download address", required=False, assume_scheme="https")
    android_download_url = forms.URLField(label="Android download address", required=False, assume_scheme="https")
    # Not a model field of the form: the model's one-default constraint would refuse making this
    # profile the default while another one is, which the service does by taking it over.
    is_default = forms.BooleanField(
        label="System default", required=False, help_text="Accounts whose group has no profile get the system default.",
    )

    class Meta:
        model = ProvisioningProfile
        fields = [name for name in PROFILE_FIELDS if name != "is_default"]
        help_texts = {"sip_host": "Empty: the SIP server address of the Services page."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_default"].initial = self.instance.is_default
        # A post without the field (a script written before it existed) keeps the stored language.
        self.fields["sms_language"].required = False

    def clean_sms_language(self) -> str:
        return self.cleaned_data["sms_language"] or self.instance.sms_language


class WizardForm(SpecificErrors, forms.Form):
    owner = forms.CharField(max_length=100)
    email = forms.EmailField(label="E-mail", required=False)
    virtual_number = forms.CharField(
        label="Virtual phone number", max_length=21, validators=[NUMBER_VALIDATOR],
        help_text="International format, e.g. +390212345678: the SMS go to this mobile number.",
    )
    security_model = forms.ChoiceField(choices=Account.SecurityModel.choices, initial=Account.SecurityModel.END_TO_END)
    profile = forms.ModelChoiceField(
        label="Provisioning profile", queryset=ProvisioningProfile.objects.all(), required=False,
        empty_label="The group's profile",
    )
    description = forms.CharField(max_length=500, required=False)

    def clean_owner(self) -> str:
        return text_without_controls(self.cleaned_data["owner"], "owner")

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        if ProvisioningProfile.objects.for_group(group) is None:
            self.fields["profile"].required = True
            self.fields["profile"].empty_label = None
            self.fields["profile"].help_text = "Neither the group nor the system has a profile, so choose one."
        else:
            self.fields["profile"].empty_label = ProvisioningProfile.objects.fallback_label(group)

    def clean_virtual_number(self) -> str:
        number = self.cleaned_data["virtual_number"].strip()
        if not number.startswith("+"):
            raise forms.ValidationError("Wizard accounts need an international number: + and digits, e.g. +390212345678.")
        return number


class TestSmsForm(forms.Form):
    recipient = forms.CharField(
        label="Mobile number", max_length=21, validators=[NUMBER_VALIDATOR],
        help_text="International format (+ and digits).",
    )
