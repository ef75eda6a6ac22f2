"""The Ed25519 key pair that signs licence answers, so a client can cache an answer for its
offline grace period and check it was not forged.

The private key comes from LICENCE_SIGNING_KEY (PEM, or base64 of the raw 32-byte key) or, when
that is empty, is generated once for this installation and kept in VAR_DIR (like the secret key).
Clients verify with the raw 32-byte public key, published base64-encoded on the Services page and
in the configuration file (`public_key_b64`).

The key is read and published with `cryptography`; answers are signed with libsodium (PyNaCl),
whose Ed25519 signs in less than half the time (the largest single cost of a licence check). Ed25519
signatures are deterministic: both libraries give the same bytes for the same key and message.
"""
import base64
import binascii
import hashlib
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

import nacl.bindings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_FILE_NAME = "licence_signing_key.pem"
ALGORITHM = "Ed25519"


def _parse_configured_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as error:
        raise ImproperlyConfigured(f"LICENCE_SIGNING_KEY is not a usable Ed25519 private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("LICENCE_SIGNING_KEY must be an Ed25519 private key.")
    return key


def _kept_key(path: Path) -> Ed25519PrivateKey:
    """The key stored at `path`, created first if absent. Creation goes through a hard link so that
    two processes starting at once agree on one key instead of each keeping its own."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} does not hold an Ed25519 private key.")
    return key


@lru_cache(maxsize=1)
def private_key() -> Ed25519PrivateKey:
    if settings.LICENCE_SIGNING_KEY:
        return _parse_configured_key(settings.LICENCE_SIGNING_KEY)
    return _kept_key(Path(settings.VAR_DIR) / KEY_FILE_NAME)


@lru_cache(maxsize=1)
def _libsodium_secret_key() -> bytes:
    """The private key in libsodium's form (seed and public key, 64 bytes)."""
    seed = private_key().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return nacl.bindings.crypto_sign_seed_keypair(seed)[1]


def _signature(message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `message` (libsodium returns it followed by the message)."""
    return nacl.bindings.crypto_sign(message, _libsodium_secret_key())[: nacl.bindings.crypto_sign_BYTES]


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


@lru_cache(maxsize=1)
def _public_raw() -> bytes:
    return public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64() -> str:
    """The raw 32-byte Ed25519 public key, base64-encoded: what a client needs to verify answers."""
    return base64.b64encode(_public_raw()).decode()


@lru_cache(maxsize=1)
def key_id() -> str:
    """A short, stable name of the key pair (the first 16 hex digits of SHA-256 of the public key),
    sent with every answer so a client can tell which published key to verify it with."""
    return hashlib.sha256(_public_raw()).hexdigest()[:16]


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The bytes that are signed: the JSON object with sorted keys, no insignificant whitespace,
    UTF-8. For the values an answer holds (strings and null) this is RFC 8785 (JCS)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(document: dict[str, Any]) -> str:
    """The base64 Ed25519 signature of `document`'s canonical bytes."""
    return base64.b64encode(_signature(canonical_bytes(document))).decode()


def signed_json(document: dict[str, Any]) -> bytes:
    """`document` (not empty) with its `signature` member, as JSON: the signed canonical bytes
    with the signature appended as the last member, so the answer is serialised once."""
    canonical = canonical_bytes(document)
    signature = base64.b64encode(_signature(canonical))
    return b"%s,\"signature\":\"%s\"}" % (canonical[:-1], signature)


def clear_cache() -> None:
    """Forget the loaded key (tests that change LICENCE_SIGNING_KEY or VAR_DIR call this)."""
    private_key.cache_clear()
    _libsodium_secret_key.cache_clear()
    _public_raw.cache_clear()
    key_id.cache_clear()
