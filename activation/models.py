"""Provisioning profiles: the settings template a client receives at activation."""
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ProfileQuerySet(models.QuerySet):
    def system_default(self) -> "ProvisioningProfile | None":
        return self.filter(is_default=True).first()

    def for_group(self, group) -> "ProvisioningProfile | None":
        """The profile an account of `group` gets when it names none (P1): the group's own, else
        the system default, as the profiles page promises."""
        return group.profile or self.system_default()

    def fallback_label(self, group=None) -> str:
        """The "no profile of its own" choice in words, naming the profile it stands for: the
        group's (of `group`, when given), else the system default."""
        if group is not None and group.profile is not None:
            return gettext("The group's profile (%(name)s)") % {"name": group.profile.name}
        default = self.system_default()
        if default:
            return gettext("The system default (%(name)s)") % {"name": default.name}
        return gettext("None (no profile is the system default)")


class ProvisioningProfile(models.Model):
    """Server address, transport and client settings handed to a client app at activation (P1)."""

    class Transport(models.TextChoices):
        TLS = "tls", _("TLS")
        TCP = "tcp", _("TCP")
        UDP = "udp", _("UDP")

    name = models.CharField(max_length=100)
    sip_host = models.CharField(_("SIP server host"), max_length=255, blank=True, default="")
    sip_port = models.PositiveIntegerField(_("SIP server port"), default=5061)
    transport = models.CharField(max_length=3, choices=Transport.choices, default=Transport.TLS)
    support_phone = models.CharField(_("customer-service phone"), max_length=32, blank=True, default="")
    support_email = models.EmailField(_("customer-service e-mail"), blank=True, default="")
    client_logging = models.BooleanField(default=False)
    readonly_settings = models.BooleanField(_("read-only settings"), default=True)
    oem_licence_code = models.CharField(_("OEM licence code"), max_length=64, blank=True, default="")
    ios_download_url = models.URLField(_("iOS download address"), blank=True, default="")
    android_download_url = models.URLField(_("Android download address"), blank=True, default="")
    is_default = models.BooleanField(_("system default"), default=False)
    sms_language = models.CharField(
        _("SMS language"), max_length=16, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("The language of the installation and activation SMS of this profile's accounts."),
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("provisioning profile")
        verbose_name_plural = _("provisioning profiles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="profile_name_ci_unique", violation_error_message=_("A profile with this name already exists.")
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="profile_single_default",
                violation_error_message=_("Only one profile can be the system default."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def customer_gaps(self) -> list[str]:
        """What the customer's pages miss with this profile: a platform without a download
        address gets no download button, and without a contact the customer cannot ask for help."""
        gaps = [gettext("no %(platform)s download address") % {"platform": platform} for platform, url in
                (("iOS", self.ios_download_url), ("Android", self.android_download_url)) if not url]
        if not (self.support_phone or self.support_email):
            gaps.append(gettext("no customer-service phone or e-mail"))
        return gaps


class OneTimeLinkQuerySet(models.QuerySet):
    def for_token(self, token: str) -> "OneTimeLinkQuerySet":
        from activation.tokens import token_hash

        return self.filter(token_hash=token_hash(token))

    def retire_unused(self, *, account_ids: Iterable[int], purpose: str | None = None) -> int:
        """End the unused links of these accounts, of one kind (`purpose`) or all: a disabled account
        must not be brought back by a link sent before, and a new SMS supersedes the older one's link.
        Call inside the transaction of the change; returns how many links ended."""
        links = self.filter(account_id__in=account_ids, used_at__isnull=True)
        if purpose is not None:
            links = links.filter(purpose=purpose)
        return links.update(used_at=timezone.now())


class OneTimeLink(models.Model):
    """A link an SMS carries to the installation or activation page (W1, W3).

    Only the SHA-256 of the token is stored (DESIGN 5). `used_at` is set by one conditional UPDATE,
    so exactly one request can use a link; the installation link is used by the install report
    (W2), the activation link by the Activate button.
    """

    class Purpose(models.TextChoices):
        INSTALLATION = "installation", _("Installation")
        ACTIVATION = "activation", _("Activation")

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="links")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    sms = models.ForeignKey("activation.SmsMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = OneTimeLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("one-time link")
        verbose_name_plural = _("one-time links")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "purpose", "created_at"], name="link_account_purpose")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link of account {self.account_id}"


class SmsMessageQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SmsMessageQuerySet":
        """Administrators see every SMS; operators and auditors those of their groups' accounts."""
        if not user.is_authenticated:
            return self.none()
        if user.is_administrator:
            return self
        return self.filter(group__operators=user)

    def due(self, now) -> "SmsMessageQuerySet":
        return self.filter(state=SmsMessage.State.QUEUED, next_attempt_at__lte=now)


class SmsMessage(models.Model):
    """One SMS in the outbox (M1), written in the same transaction as the action that wants it.

    `text` is what the SMS log shows: a link's token is never stored, so the text holds the link
    with its token masked; the worker creates the link and the real text when it sends (DESIGN 5, 6).
    The row id is the gateway's idempotency key and the delivery-report reference.
    """

    class Purpose(models.TextChoices):
        INSTALLATION = "installation", _("Installation SMS")
        ACTIVATION = "activation", _("Activation SMS")
        TEST = "test", _("Test SMS")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown (gateway did not answer)")

    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_messages"
    )
    group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account_username = models.CharField(max_length=16, blank=True, default="")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    recipient = models.CharField(_("recipient"), max_length=21)
    text = models.CharField(max_length=480)
    language = models.CharField(max_length=16, blank=True, default="")  # of `text`; empty: LANGUAGE_CODE
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    backend = models.CharField(max_length=16, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    gateway_id = models.CharField(_("gateway id"), max_length=100, blank=True, default="")
    last_error = models.CharField(max_length=300, blank=True, default="")
    requested_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SmsMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="sms_due"),
            models.Index(fields=["group", "created_at"], name="sms_group_created"),
            models.Index(fields=["account", "created_at"], name="sms_account_created"),
            # The dashboard's SMS failed in the last 24 hours, of every group or one, from the index alone.
            models.Index(fields=["state", "finished_at", "group"], name="sms_state_finished"),
        ]

    def __str__(self) -> str:
        return f"SMS #{self.pk} to {self.recipient}"

    @property
    def is_final(self) -> bool:
        return self.state in (self.State.DELIVERED, self.State.FAILED)
