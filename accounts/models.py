"""SIP accounts, their allow/deny rules and their lifecycle events."""
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.batch.models import ImportJob  # noqa: F401  (the batch import's model, registered with this app)

USERNAME_VALIDATOR = RegexValidator(r"^[0-9]{6,16}$", _("A username is 6 to 16 digits."))
NUMBER_VALIDATOR = RegexValidator(
    r"^\+?[0-9]{3,20}$", _("A phone number is digits, optionally after a leading + (international format).")
)


class AccountQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AccountQuerySet":
        """The accounts an operator may see: those of the groups assigned to them (all for Administrators)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_administrator:
            return self
        return self.filter(group__operators=user)

    def holding_numbers(self, numbers) -> "AccountQuerySet":
        """Accounts whose primary or secondary number is one of `numbers` (both are unique across accounts)."""
        numbers = list(numbers)
        return self.filter(models.Q(virtual_number__in=numbers) | models.Q(secondary_number__in=numbers))

    def for_list(self) -> "AccountQuerySet":
        """What an account list row shows, fetched in the same query whatever the page size."""
        return self.select_related("group", "licence").with_registration_state()

    def with_registration_state(self) -> "AccountQuerySet":
        """Annotate `registered_now`. The SIP-server integration owns the real test (accounts/sipserver)."""
        from accounts.sipserver.registrations import annotate_registered_now

        return annotate_registered_now(self)


class Account(models.Model):
    """The credentials and settings of one user of the voice service.

    The password itself is never stored: only the digests a SIP server needs (DESIGN, secrets).
    Virtual numbers never change after creation.
    """

    class AccountType(models.TextChoices):
        PGSM = "pgsm", _("PGSM (mobile client app)")
        SNOM = "snom", _("SNOM (desk phone)")

    class SecurityModel(models.TextChoices):
        END_TO_END = "end_to_end", _("End to End")
        END_TO_SITE = "end_to_site", _("End to Site")

    class CreationMethod(models.TextChoices):
        PLAIN = "plain", _("Plain")
        WIZARD = "wizard", _("Wizard")

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        INSTALLATION_SMS_SENT = "installation_sms_sent", _("Installation SMS sent")
        INSTALLATION_CLICKED = "installation_clicked", _("Installation clicked")
        INSTALLED = "installed", _("Installed")
        ACTIVATION_SMS_SENT = "activation_sms_sent", _("Activation SMS sent")
        ACTIVATED = "activated", _("Activated")
        CONNECTED = "connected", _("Connected")

    # No index of its own: every list index below leads with the group, and one index fewer makes
    # every write of an account cheaper (migration 0008).
    group = models.ForeignKey("groups.Group", verbose_name=_("group"), on_delete=models.PROTECT, related_name="accounts", db_index=False)
    username = models.CharField(_("username"), max_length=16, unique=True, validators=[USERNAME_VALIDATOR])
    ha1 = models.CharField(max_length=32, editable=False)
    ha1_sha256 = models.CharField(max_length=64, editable=False)
    virtual_number = models.CharField(_("virtual phone number"), max_length=21, unique=True, validators=[NUMBER_VALIDATOR])
    secondary_number = models.CharField(
        _("secondary number"), max_length=21, unique=True, null=True, blank=True, validators=[NUMBER_VALIDATOR]
    )
    account_type = models.CharField(_("type"), max_length=8, choices=AccountType.choices, default=AccountType.PGSM)
    security_model = models.CharField(_("security model"), max_length=16, choices=SecurityModel.choices, default=SecurityModel.END_TO_END)
    obfuscation = models.BooleanField(_("obfuscation mode"), default=True)
    obfuscation_key = models.IntegerField(_("obfuscation key"), default=9)
    keepalive = models.BooleanField(_("keep-alive"), default=False)
    owner = models.CharField(_("owner"), max_length=100, blank=True, default="")
    caller_id = models.CharField(_("caller ID"), max_length=120, blank=True, default="")
    email = models.EmailField(_("e-mail"), blank=True, default="")
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    profile = models.ForeignKey(
        "activation.ProvisioningProfile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("provisioning profile"),
    )
    creation_method = models.CharField(_("creation method"), max_length=8, choices=CreationMethod.choices, default=CreationMethod.PLAIN)
    enabled = models.BooleanField(pgettext_lazy("an account field", "enabled"), default=True)
    status = models.CharField(_("last status"), max_length=24, choices=Status.choices, default=Status.CREATED)
    status_changed_at = models.DateTimeField(_("last status date"))
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["username"]
        # One index per sortable column of a group's account list, holding exactly that list's
        # ORDER BY (ending with the id tie-breaker console.listing adds): a page's ids come from
        # an index-only scan, in either direction, however deep the page (migration 0005).
        indexes = [
            models.Index(fields=["group", "username", "id"], name="account_group_username"),
            models.Index(fields=["group", "owner", "id"], name="account_group_owner"),
            models.Index(fields=["group", "caller_id", "id"], name="account_group_callerid"),
            models.Index(fields=["group", "virtual_number", "id"], name="account_group_number"),
            models.Index(fields=["group", "account_type", "username", "id"], name="account_group_type"),
            models.Index(fields=["group", "enabled", "username", "id"], name="account_group_enabled"),
            models.Index(fields=["group", "status", "username", "id"], name="account_group_status"),
            models.Index(fields=["group", "status_changed_at", "id"], name="account_group_statusdate"),
            # The dashboard's accounts stuck at a step: those that moved within the last N days, by status.
            models.Index(fields=["status_changed_at", "status", "group"], name="account_recent_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(account_type="snom") | models.Q(creation_method="plain"),
                name="account_snom_only_plain",
                violation_error_message=_("SNOM accounts can only be created the plain way."),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_wizard(self) -> bool:
        return self.creation_method == self.CreationMethod.WIZARD

    @property
    def awaits_activation(self) -> bool:
        """A wizard account the customer has not activated yet: only activation enables it (A3)."""
        return self.is_wizard and self.status not in (self.Status.ACTIVATED, self.Status.CONNECTED)

    @property
    def effective_profile(self):
        """The account's own provisioning profile, else its group's (None when neither has one)."""
        return self.profile or self.group.profile


class AccessRule(models.Model):
    """One allow or deny entry of an account's source-network lists (A6).

    `network` is the canonical CIDR form (`192.168.0.38/32`), the one the decision and the SIP
    server's SQL use; `as_typed` is what the operator wrote, shown back in forms and lists.
    """

    class Action(models.TextChoices):
        ALLOW = "allow", _("Allow")
        DENY = "deny", _("Deny")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="access_rules")
    action = models.CharField(max_length=5, choices=Action.choices)
    network = models.CharField(max_length=64)
    prefix_length = models.PositiveSmallIntegerField()
    as_typed = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["action", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "action", "network"],
                name="accessrule_unique_per_account",
                violation_error_message=_("This network is already in the list."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.as_typed}"


class StatusEvent(models.Model):
    """One step of an account's lifecycle (A9), with when it happened and what caused it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField(max_length=24, choices=Account.Status.choices)
    at = models.DateTimeField()
    cause = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "at"])]


class SearchChange(models.Model):
    """The search change log (DESIGN 7): one row per account change, written in the change's own
    transaction, applied to every process's Whoosh index before it answers a search."""

    account_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)


class SearchLogCheckpoint(models.Model):
    """A position of the search change log (changelog.LogPosition) and when it was taken.

    The log is pruned only up to a checkpoint older than the retention period; the newest pruned
    checkpoint tells an index whether rows it had not seen yet were deleted (see changelog.py).
    """

    taken_at = models.DateTimeField()
    position = models.JSONField()
    pruned = models.BooleanField(default=False)
