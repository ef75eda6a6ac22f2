"""Per-account licences that client apps validate over HTTPS, and the counters that rate-limit them."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Licence(models.Model):
    """The licence of one account (L1): its edition, validity and binding to one device.

    `state` is what the console last concluded: a device binds on its first validation (Valid),
    another device puts the licence in Conflict until an operator clears it, a past `valid_until`
    makes it Expired and "Revoke keys" makes it Revoked until it is cleared or the account is
    provisioned again. `last_answer*` remember the last licence check written to the account's
    activity timeline, so identical repeated checks do not each add an entry.
    """

    class Edition(models.TextChoices):
        PROFESSIONAL = "professional", _("Professional")
        ENTERPRISE = "enterprise", _("Enterprise")

    class State(models.TextChoices):
        NOT_VALIDATED = "not_validated", _("Not validated")
        VALID = "valid", _("Valid")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        CONFLICT = "conflict", _("Conflict")

    class Answer(models.TextChoices):
        """What the validation web service tells a client (W4)."""

        VALID = "valid", _("Valid")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Keys revoked")
        DISABLED = "disabled", _("Account disabled")
        CONFLICT = "conflict", _("Conflict")

    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="licence")
    edition = models.CharField(_("edition"), max_length=16, choices=Edition.choices, default=Edition.PROFESSIONAL)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.NOT_VALIDATED)
    device_id = models.CharField(_("device ID"), max_length=200, blank=True, default="")
    bound_at = models.DateTimeField(null=True, blank=True)
    conflict_device_id = models.CharField(max_length=200, blank=True, default="")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    keys_revoked = models.BooleanField(_("keys revoked"), default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_answer = models.CharField(max_length=16, choices=Answer.choices, blank=True, default="")
    last_answer_device_id = models.CharField(max_length=200, blank=True, default="")
    last_answer_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        # With the account: the dashboard counts a group's licences in conflict or expiring from
        # the index alone.
        indexes = [
            models.Index(fields=["state", "account"], name="licence_state_account"),
            models.Index(fields=["valid_until", "account"], name="licence_validuntil_account"),
        ]

    def __str__(self) -> str:
        return f"{self.get_edition_display()} licence of account {self.account_id}"


class ClientRateBucket(models.Model):
    """How many licence requests one client key (a username or a source address) made in one
    fixed time window. Rows of past windows are deleted by the worker."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField(help_text="Start of the window, in seconds since the epoch.")
    hits = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratebucket_key_window_unique"),
        ]
        indexes = [models.Index(fields=["window_start"], name="ratebucket_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.hits}"
