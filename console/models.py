"""Operators, their login attempts, the audit log and the Services settings."""
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.api.models import ApiToken, IdempotentRequest  # noqa: F401  (REST API tokens; models in console/api)


class OperatorQuerySet(models.QuerySet):
    def with_groups(self) -> "OperatorQuerySet":
        return self.prefetch_related("account_groups")

    def with_two_factor(self) -> "OperatorQuerySet":
        """Annotate `has_two_factor`: the operator signs in with a confirmed authenticator app."""
        return self.annotate(has_two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))


class OperatorManager(UserManager.from_queryset(OperatorQuerySet)):
    def get_by_natural_key(self, username: str) -> "Operator":
        """Log-in names are unique regardless of case, so they are matched regardless of case."""
        return self.get(username__iexact=username)

    def create_superuser(self, username: str, email: str | None = None, password: str | None = None, **extra_fields):
        """`manage.py createsuperuser` makes an Administrator: the console knows roles, not superusers."""
        extra_fields.setdefault("role", Operator.Role.ADMINISTRATOR)
        return super().create_superuser(username, email, password, **extra_fields)


class Operator(AbstractUser):
    """A person who logs in to the console, with one role and the groups assigned to them."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", _("Administrator")
        OPERATOR = "operator", _("Operator")
        AUDITOR = "auditor", _("Auditor")

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.OPERATOR)
    account_groups = models.ManyToManyField(
        "groups.Group", blank=True, related_name="operators", verbose_name=_("groups")
    )
    must_change_password = models.BooleanField(default=False)
    current_session_key = models.CharField(max_length=64, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    language = models.CharField(
        _("language"), max_length=16, blank=True, default="", choices=settings.LANGUAGES,
        help_text=_("Empty: the browser's language."),
    )

    objects = OperatorManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("username"), name="operator_username_ci_unique", violation_error_message=_("This username is taken.")
            ),
        ]

    @property
    def is_administrator(self) -> bool:
        return self.role == self.Role.ADMINISTRATOR

    @property
    def can_write(self) -> bool:
        """Administrators and operators change data; auditors only read."""
        return self.role in (self.Role.ADMINISTRATOR, self.Role.OPERATOR)


class LoginAttempt(models.Model):
    """One attempt to log in to the console (the web sessions log, O4)."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        BAD_CREDENTIALS = "bad_credentials", _("Wrong username or password")
        CODE_ASKED = "code_asked", _("Password correct, code asked")
        BAD_CODE = "bad_code", _("Wrong two-factor code")
        THROTTLED = "throttled", _("Refused: too many failures")
        INACTIVE = "inactive", _("Refused: operator deactivated")
        LOGOUT = "logout", _("Logged out")
        SUPERSEDED = "superseded", _("Ended by a newer login")
        EXPIRED = "expired", _("Session expired")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150)
    operator = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["ip_address", "at"])]


class LoginThrottle(models.Model):
    """The counted failures of one (username, address) pair, or of one address for any username,
    and until when its next sign-in attempt is refused (O1). A refused attempt is not counted; a
    success clears its pair; a throttle is forgotten LOGIN_FAILURE_WINDOW seconds after its last
    failure."""

    class Scope(models.TextChoices):
        PAIR = "pair", _("Username from address")
        ADDRESS = "address", _("Address (any username)")

    scope = models.CharField(max_length=8, choices=Scope.choices)
    username = models.CharField(max_length=150, blank=True, default="", help_text="Lower-cased; empty for an address.")
    address = models.CharField(max_length=45, blank=True, default="")
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    blocked_until = models.DateTimeField()

    class Meta:
        ordering = ["-last_failure_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "username", "address"], name="login_throttle_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.address}" if self.username else f"address {self.address}"


class PasswordHistory(models.Model):
    """The hash of a password an operator had, so that the last few are not chosen again."""

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        verbose_name_plural = _("password history")


class AuditEntry(models.Model):
    """One change, recorded once: who or what made it, when, to which object, before and after.

    Secrets never reach this table: services pass snapshots through `console.audit.snapshot`,
    which redacts them. `account_id` and `group_id` are plain numbers, not foreign keys, so the
    record outlives the objects it describes.
    """

    class ActorKind(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        WORKER = "worker", _("Worker")
        COMMAND = "command", _("Management command")
        CUSTOMER = "customer", _("Customer")
        CLIENT = "client", _("Client app")
        SIP_SERVER = "sip_server", _("SIP server")
        SYSTEM = "system", _("System")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField(max_length=200, blank=True, default="")
    account_id = models.BigIntegerField(null=True, blank=True)
    group_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True, default="")
    # The message as a translatable sentence (console.audit_text), so each reader sees it in their
    # language; None for a message typed by an operator and for entries older than this field.
    message_text = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["account_id", "at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["group_id", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"


class ServiceSettings(models.Model):
    """The Services page (X1): one row, edited by Administrators. Empty fields fall back to the
    environment (PUBLIC_BASE_URL, SMS_BACKEND, KAMAILIO_RPC_URL ...)."""

    class SmsBackend(models.TextChoices):
        CONSOLE = "console", _("Console (record only, shown in the SMS log)")
        KANNEL = "kannel", _("Kannel sendsms")
        HTTP = "http", _("Generic JSON over HTTP")

    public_base_url = models.URLField(_("public base URL of the client web service"), blank=True, default="", help_text=_("Public HTTPS address of the client web service, used in SMS links and configuration files."))
    sip_server_host = models.CharField(_("SIP server address"), max_length=255, blank=True, default="")
    sip_server_port = models.PositiveIntegerField(_("SIP server port"), null=True, blank=True)
    sms_backend = models.CharField(_("SMS gateway"), max_length=16, choices=SmsBackend.choices, blank=True, default="")
    sms_gateway_url = models.URLField(_("SMS gateway URL"), blank=True, default="")
    sms_username = models.CharField(_("SMS username"), max_length=100, blank=True, default="")
    sms_password = models.CharField(_("SMS gateway password"), max_length=200, blank=True, default="")
    sms_sender = models.CharField(_("SMS sender"), max_length=20, blank=True, default="")
    kamailio_rpc_url = models.URLField(_("Kamailio JSON-RPC address"), blank=True, default="")
    require_two_factor = models.BooleanField(
        default=False, help_text=_("Every operator signs in with a code from an authenticator app; those without one enrol at their next login."),
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("service settings")

    @classmethod
    def load(cls) -> "ServiceSettings":
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row

