"""API tokens of operators and the answers kept for idempotent retries (SPEC API2, API3)."""
from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet):
    def of(self, operator) -> "ApiTokenQuerySet":
        return self.filter(operator=operator)

    def usable(self) -> "ApiTokenQuerySet":
        """Tokens neither revoked nor expired."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))


class ApiToken(models.Model):
    """One REST API token of an operator: it acts as that operator, within their role and groups.

    The token is `sipc_<prefix>_<secret>`. Only the prefix (to find the row) and a SHA-256 of the
    secret are stored: the token itself is shown once, when it is created. `allowed_networks`
    holds the canonical networks (`10.0.0.0/8`) the token may be used from, space-separated, and
    `allowed_networks_typed` what the operator typed; empty: any source. `window_start` and
    `window_hits` count the requests of the current rate-limit window (console/api/throttling.py).
    """

    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    read_only = models.BooleanField(default=False)
    allowed_networks = models.CharField(max_length=2000, blank=True, default="")
    allowed_networks_typed = models.CharField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    window_start = models.BigIntegerField(default=0)
    window_hits = models.PositiveIntegerField(default=0)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} (sipc_{self.prefix}_…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def state(self) -> str:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired else "active"


class IdempotentRequest(models.Model):
    """The answer to a creating POST sent with an `Idempotency-Key`: a retry with the same key
    gets this answer again instead of creating anything twice; the same key with another request
    is refused. Keys belong to the operator (whichever of their tokens sent them)."""

    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["operator", "key"], name="idempotentrequest_operator_key_unique"),
        ]
