"""The form of the token page: a name, an optional expiry, read-only, allowed source networks."""
from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.access_lists import ALLOW, AccessEntry, AccessEntryError, parse_entries

NETWORKS_HELP = _(
    "Optional: the only networks the token may be used from, one per line: address/netmask "
    "(192.168.0.0/255.255.255.0), CIDR (10.0.0.0/8), a single address, or an IPv6 prefix. Empty: any address."
)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What uses it, e.g. “billing system”."))
    expires_on = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The token works to the end of this day. Empty: until revoked."),
    )
    read_only = forms.BooleanField(label=_("Read-only (the token can read but never change anything)"), required=False)
    allowed_networks = forms.CharField(label=_("Allowed networks"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                       help_text=NETWORKS_HELP)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if any(ord(character) < 32 for character in name):
            raise forms.ValidationError(gettext("The name cannot contain control characters."))
        return name

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(gettext("The token would be expired already: choose today or a later day."))
        return day

    def clean_allowed_networks(self) -> list[AccessEntry]:
        try:
            return parse_entries(ALLOW, self.cleaned_data["allowed_networks"])
        except AccessEntryError as error:
            raise forms.ValidationError(str(error)) from None

    def expires_at(self) -> datetime | None:
        """The end of the chosen day in the console's time zone."""
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
