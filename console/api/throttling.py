"""Per-token rate limit: fixed windows counted on the token's own row, so every web process
shares one count (the same statement, prepared once per database session, records the token's
last use: one round trip a request).

API_RATE_LIMIT requests per API_RATE_WINDOW_SECONDS per token; over it, 429 with Retry-After.
"""
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from console.api.models import ApiToken
from console.prepared_statements import PreparedStatement


def _count_sql() -> str:
    quote = connection.ops.quote_name
    table, start, hits = quote(ApiToken._meta.db_table), quote("window_start"), quote("window_hits")
    return (
        f"UPDATE {table} SET {hits} = CASE WHEN {start} = %s THEN {hits} + 1 ELSE 1 END, {start} = %s, "
        f"{quote('last_used_at')} = %s, {quote('last_used_from')} = %s WHERE {quote('id')} = %s RETURNING {hits}"
    )


_COUNT = PreparedStatement("api_token_hit", _count_sql)


def token_hit(token: ApiToken, source: str | None, now: float) -> int:
    """Count one request of `token` in the window containing `now`; returns the window's count."""
    window = max(1, settings.API_RATE_WINDOW_SECONDS)
    window_start = int(now // window) * window
    with connection.cursor() as cursor:
        _COUNT.execute(cursor, [window_start, window_start, timezone.now(), source, token.pk])
        row = cursor.fetchone()
    return row[0] if row else 0


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        now = time.time()
        hits = token_hit(token, getattr(request._request, "api_source", None), now)
        window = max(1, settings.API_RATE_WINDOW_SECONDS)
        self.retry_after = int(window - now % window) + 1
        return hits <= settings.API_RATE_LIMIT

    def wait(self) -> int:
        return self.retry_after
