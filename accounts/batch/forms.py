"""The upload form of the batch way."""
from django import forms


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma-separated, with the template's header line.")
    send_installation_sms = forms.BooleanField(
        label="Queue the installation SMS for every imported account", required=False,
    )
    send_activation_sms = forms.BooleanField(label="Queue the activation SMS for every imported account", required=False)
