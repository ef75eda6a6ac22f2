"""Forms of the activation pages: provisioning profiles, the account wizard, the test SMS."""
from django import forms

from accounts.forms import text_without_controls
from accounts.models import NUMBER_VALIDATOR, Account
from activation.models import ProvisioningProfile

PROFILE_FIELDS = [
    "name", "sip_host", "sip_port", "transport", "support_phone", "support_email", "client_logging",
    "readonly_settings", "oem_licence_code", "ios_download_url", "android_download_url", "is_default",
]


class ProfileForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    ios_download_url = forms.URLField(label="iOS download address", required=False, assume_scheme="https")
    android_download_url = forms.URLField(label="Android download address", required=False, assume_scheme="https")

    class Meta:
        model = ProvisioningProfile
        fields = PROFILE_FIELDS
        help_texts = {
            "sip_host": "Empty: the SIP server address of the Services page.",
            "is_default": "Accounts whose group has no profile get the system default.",
        }

    def validate_constraints(self, exclude=None):
        """Uniqueness is the service's to check (it names the clash and takes the default over)."""


class WizardForm(forms.Form):
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
        if group.profile is None:
            self.fields["profile"].required = True
            self.fields["profile"].empty_label = None
            self.fields["profile"].help_text = "The group has no profile of its own, so choose one."
        else:
            self.fields["profile"].empty_label = f"The group's profile ({group.profile.name})"

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
