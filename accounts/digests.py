"""The SIP digests stored instead of passwords (DESIGN, secrets): HA1 = H(username:realm:password)
with MD5 and its SHA-256 twin (RFC 8760), realm = SIP_DOMAIN."""
import hashlib
import secrets
import string

from django.conf import settings

PASSWORD_ALPHABET = string.ascii_letters + string.digits
GENERATED_PASSWORD_LENGTH = 16


def sip_digests(username: str, password: str, realm: str | None = None) -> tuple[str, str]:
    """(HA1 MD5, HA1 SHA-256) for `username` and `password` in `realm` (default SIP_DOMAIN)."""
    material = f"{username}:{realm or settings.SIP_DOMAIN}:{password}".encode()
    return hashlib.md5(material, usedforsecurity=False).hexdigest(), hashlib.sha256(material).hexdigest()


def generate_password(length: int = GENERATED_PASSWORD_LENGTH) -> str:
    """A random password for a SIP client: letters and digits, from `secrets`."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def digests_match(username: str, password: str, ha1: str) -> bool:
    """Whether `password` is the account's, compared in constant time against the stored HA1."""
    candidate, _ = sip_digests(username, password)
    return secrets.compare_digest(candidate, ha1)
