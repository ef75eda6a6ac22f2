"""The group form (G2): only the name is mandatory."""
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activation.models import ProvisioningProfile
from console.form_fields import MultilineTextField, SpecificErrors


class GroupForm(SpecificErrors, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, strip=True)
    admin_email = forms.EmailField(label=_("Admin contact (IT e-mail)"), required=False)
    description = MultilineTextField(label=_("Description"), max_length=500, required=False)

    profile = forms.ModelChoiceField(
        label=_("Provisioning profile"), queryset=ProvisioningProfile.objects.all(), required=False,
        help_text=_("Default settings for the group's accounts; an account may override it."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].empty_label = ProvisioningProfile.objects.fallback_label()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if not name:
            raise forms.ValidationError(gettext("A group needs a name."))
        if any(ord(character) < 32 for character in name):
            raise forms.ValidationError(gettext("The name cannot contain control characters."))
        return name
