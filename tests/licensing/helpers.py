"""Calling the licence web service as a client app does, and checking its signed answers."""
import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from licensing import signing

LICENCE_URL = "/client/v1/licence"
SIP_PASSWORD = "s3cret-pass"


def basic(username: str, password: str = SIP_PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def validate(client, username: str, device_id: str, password: str = SIP_PASSWORD, address: str = "127.0.0.1", **body):
    """POST the licence request from `address`; returns the response."""
    return client.post(
        LICENCE_URL, data=json.dumps({"device_id": device_id, **body}), content_type="application/json",
        HTTP_AUTHORIZATION=basic(username, password), REMOTE_ADDR=address,
    )


def verify_answer(answer: dict, public_key_b64: str | None = None) -> bool:
    """Whether `answer`'s signature verifies with the published public key, as a client checks it:
    drop `signature`, serialise the rest as canonical JSON, verify Ed25519."""
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64 or signing.public_key_b64()))
    unsigned = {name: value for name, value in answer.items() if name != "signature"}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        key.verify(base64.b64decode(answer["signature"]), canonical)
    except InvalidSignature:
        return False
    return True


@contextmanager
def statements_recorded(db_connection) -> Iterator[list[str]]:
    """The statements the driver sends on this PostgreSQL connection while the block runs, the
    health check's `SELECT 1` (which bypasses Django's query log) included."""
    import psycopg2.extensions

    sent: list[str] = []

    class RecordingCursor(psycopg2.extensions.cursor):
        def execute(self, query, params=None):
            sent.append(query)
            return super().execute(query, params)

    db_connection.ensure_connection()
    original, db_connection.connection.cursor_factory = db_connection.connection.cursor_factory, RecordingCursor
    try:
        yield sent
    finally:
        if db_connection.connection is not None:
            db_connection.connection.cursor_factory = original
