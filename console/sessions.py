"""Logins: the client's address and the web sessions log (O1, O4)."""
from django.conf import settings

from console.models import LoginAttempt, Operator


def client_ip(request) -> str | None:
    """The client's address as the server saw it (set BEHIND_PROXY for a trusted proxy's header)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def record_login_attempt(request, username: str, operator: Operator | None, outcome: str) -> LoginAttempt:
    return LoginAttempt.objects.create(
        username=username[:150],
        operator=operator,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        outcome=outcome,
    )
