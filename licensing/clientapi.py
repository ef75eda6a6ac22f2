"""The licence validation request of the client web service (W4): HTTP Basic with the SIP
credentials, a JSON body with the device id, and the signed answer."""
import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from accounts.digests import digests_match, sip_digests
from console.json_body import NotAJsonObject, request_json_object
from licensing import signing
from licensing.lookup import ClientAccount
from licensing.services import ANSWER_MESSAGES, CheckResult

# Printable ASCII without spaces: what phone platforms use for device ids (hex, UUIDs, base64).
TOKEN_PATTERN = r"^[!-~]{1,128}$"
_TOKEN = re.compile(r"[!-~]{1,128}")
# Compared against for unknown usernames so that they cost the same time as a wrong password.
_UNKNOWN_USER_HA1 = sip_digests("0", "not a password")[0]


class BadRequest(Exception):
    """The request body is not what the contract describes; the message says what is wrong."""


@dataclass(frozen=True)
class LicenceRequest:
    device_id: str
    nonce: str | None


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic ...` header, None when absent or malformed."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    if not separator or not username:
        return None
    return username, password


def authenticate(account: ClientAccount | None, username: str, password: str) -> ClientAccount | None:
    """`account` if these are its SIP credentials, else None.

    An unknown username is compared against a dummy digest so it costs the same as a wrong password
    and the answer gives no hint whether the username exists.
    """
    if account is None:
        digests_match(username, password, _UNKNOWN_USER_HA1)
        return None
    return account if digests_match(username, password, account.ha1) else None


def parse_body(request: HttpRequest) -> LicenceRequest:
    try:
        document = request_json_object(request)
    except NotAJsonObject:
        raise BadRequest(gettext("The body must be a JSON object.")) from None
    device_id = document.get("device_id")
    if not isinstance(device_id, str) or not _TOKEN.fullmatch(device_id):
        raise BadRequest(gettext("device_id must be 1 to 128 printable ASCII characters without spaces."))
    nonce = document.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or not _TOKEN.fullmatch(nonce)):
        raise BadRequest(gettext("nonce, when given, must be 1 to 128 printable ASCII characters without spaces."))
    return LicenceRequest(device_id, nonce)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _cache_until(valid_until: date | None, now: datetime) -> datetime:
    """The end of the offline grace period, but never past the last day of validity (in the
    console's time zone, as licensing.services judges expiry)."""
    cache_until = now + timedelta(days=settings.LICENCE_OFFLINE_GRACE_DAYS)
    if valid_until is None:
        return cache_until
    end_of_validity = datetime.combine(valid_until + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone())
    return max(now, min(cache_until, end_of_validity))


def signed_answer(*, account: ClientAccount, request: LicenceRequest, result: CheckResult) -> bytes:
    """The licence answer as the client receives it (a JSON object), issued at the moment of the
    check: every member except `signature` is signed (see licensing.signing.canonical_bytes), so
    the client may cache it until `cache_until`."""
    licence = result.licence
    document = {
        "status": result.answer,
        "message": str(ANSWER_MESSAGES[result.answer]),
        "username": account.username,
        "device_id": request.device_id,
        "edition": licence.edition,
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "issued_at": _iso(result.checked_at),
        "cache_until": _iso(_cache_until(licence.valid_until, result.checked_at)),
        "nonce": request.nonce,
        "key_id": signing.key_id(),
    }
    return signing.signed_json(document)
