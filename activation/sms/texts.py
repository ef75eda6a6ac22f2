"""The words of each SMS, in the language of the account's provisioning profile, and the links they carry."""
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from activation.models import OneTimeLink, SmsMessage

MASKED_TOKEN = "…"
TEXTS = {
    SmsMessage.Purpose.INSTALLATION: _("Install your secure voice app: {link}"),
    SmsMessage.Purpose.ACTIVATION: _("Activate your secure voice app: {link} (open it on this phone, after installing the app)"),
}
LINK_PATHS = {OneTimeLink.Purpose.INSTALLATION: "i", OneTimeLink.Purpose.ACTIVATION: "a"}
TEST_TEXT = "Test SMS from the SIP Operator Console: the SMS gateway works."


def link_url(base_url: str, purpose: str, token: str) -> str:
    return f"{base_url}/{LINK_PATHS[purpose]}/{token}"


def sms_text(purpose: str, base_url: str, token: str, language: str = "") -> str:
    """The SMS in `language` (empty: the console's LANGUAGE_CODE), whatever the request's language."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return str(TEXTS[purpose]).format(link=link_url(base_url, purpose, token))


def masked_sms_text(purpose: str, base_url: str, language: str = "") -> str:
    """The text as the SMS log shows it: the link's token is never stored."""
    return sms_text(purpose, base_url, MASKED_TOKEN, language)
