"""One-time link tokens: random, shown once (in the SMS), stored only as a SHA-256 (DESIGN 5)."""
import hashlib
import hmac
import secrets

from django.conf import settings

TOKEN_BYTES = 18  # 144 random bits, 24 URL-safe characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def dlr_signature(sms_id: int) -> str:
    """The signature a delivery-report URL carries, so only the gateway we told can report on an SMS."""
    key = hashlib.sha256(f"sms-dlr:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, str(sms_id).encode(), hashlib.sha256).hexdigest()[:32]


def dlr_signature_valid(sms_id: int, signature: str) -> bool:
    return hmac.compare_digest(dlr_signature(sms_id), signature)
