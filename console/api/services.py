"""Writes to API tokens: create (the token is returned once), revoke. Each one transaction with
its audit record; the token itself never reaches the audit log."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.access_lists import ALLOW, AccessEntry
from console.api.models import ApiToken
from console.audit import Actor, audit_record
from console.audit_text import audit_text
from console.errors import NotAllowedError, ServiceError

TOKEN_PREFIX = "sipc"


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the row, and the token text, which exists only in this answer."""

    token: ApiToken
    text: str


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_parts(text: str) -> tuple[str, str] | None:
    """(prefix, secret) of a token's text `sipc_<prefix>_<secret>`; None when it is not shaped so."""
    kind, _, rest = text.partition("_")
    prefix, _, secret = rest.partition("_")
    if kind != TOKEN_PREFIX or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def secret_matches(token: ApiToken, secret: str) -> bool:
    return hmac.compare_digest(token.secret_hash, secret_hash(secret))


def _snapshot(token: ApiToken) -> dict:
    return {
        "name": token.name, "prefix": token.prefix, "read_only": token.read_only,
        "allowed_networks": token.allowed_networks_typed,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


@transaction.atomic
def api_token_create(
    *, actor: Actor, operator, name: str, read_only: bool = False, expires_at: datetime | None = None,
    allowed_networks: list[AccessEntry] = (),
) -> IssuedToken:
    """A new token for `operator` (who acts through it with their own role and groups)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(gettext("The expiry must be in the future."))
    if any(entry.action != ALLOW for entry in allowed_networks):
        raise ServiceError(gettext("A token's networks are the sources it may be used from: allow entries only."))
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        operator=operator, name=name, prefix=prefix, secret_hash=secret_hash(secret), read_only=read_only,
        expires_at=expires_at,
        allowed_networks=" ".join(entry.canonical for entry in allowed_networks),
        allowed_networks_typed=" ".join(entry.as_typed for entry in allowed_networks),
    )
    audit_record(actor=actor, action="apitoken.create", obj=token, after=_snapshot(token),
                 message=audit_text(gettext_noop("API token “%(name)s” of %(operator)s created"), name=name, operator=operator.get_username()))
    return IssuedToken(token=token, text=f"{TOKEN_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token at once: its next request is refused."""
    token = ApiToken.objects.select_for_update().select_related("operator").get(pk=token_id)
    if token.is_revoked:
        raise NotAllowedError(gettext("API token “%(name)s” was already revoked.") % {"name": token.name})
    token.revoked_at = timezone.now()
    token.revoked_by = actor.operator
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(actor=actor, action="apitoken.revoke", obj=token, before={"revoked": False}, after={"revoked": True},
                 message=audit_text(gettext_noop("API token “%(name)s” of %(operator)s revoked"), name=token.name,
                                    operator=token.operator.get_username()))
    return token
