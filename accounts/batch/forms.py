"""The upload form of the batch way."""
from django import forms
from django.utils.translation import gettext_lazy as _


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma-separated, with the template's header line."))
    send_installation_sms = forms.BooleanField(
        label=_("Queue the installation SMS for every imported account"), required=False,
    )
    send_activation_sms = forms.BooleanField(label=_("Queue the activation SMS for every imported account"), required=False)
