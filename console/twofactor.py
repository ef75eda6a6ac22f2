"""Enrolling an authenticator app: the secret the operator is scanning lives in their session
until a code confirms it (nothing is stored before), and its QR code is drawn here as inline SVG."""
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass

import segno
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

ENROLMENT_KEY = "two_factor_enrolment_key"


@dataclass(frozen=True)
class Enrolment:
    """The secret being enrolled by the operator of a request, and whether they have a factor already."""

    key: str
    device: TOTPDevice
    enrolled: bool

    @classmethod
    def of(cls, request) -> "Enrolment":
        key = request.session.setdefault(ENROLMENT_KEY, random_hex(20))
        enrolled = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
        return cls(key=key, device=TOTPDevice(user=request.user, key=key), enrolled=enrolled)

    def finish(self, request) -> None:
        request.session.pop(ENROLMENT_KEY, None)

    @property
    def qr_svg(self) -> SafeString:
        # segno writes the SVG from the otpauth: URL alone; no outside input reaches the markup.
        svg = segno.make(self.device.config_url, error="m").svg_inline(scale=5, title=gettext("Two-factor QR code"))
        return mark_safe(svg)

    @property
    def secret(self) -> str:
        """The secret in base32, in groups of four, for typing into an app instead of scanning."""
        text = b32encode(unhexlify(self.key)).decode()
        return " ".join(text[index:index + 4] for index in range(0, len(text), 4))
