"""Groups of SIP accounts."""
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext_lazy as _


class GroupQuerySet(models.QuerySet):
    def visible_to(self, user) -> "GroupQuerySet":
        """The groups an operator may see: all for Administrators, the assigned ones otherwise."""
        if not user.is_authenticated:
            return self.none()
        if user.is_administrator:
            return self
        return self.filter(operators=user)

    def with_account_counts(self) -> "GroupQuerySet":
        """Annotate `account_count` with one indexed count per group, not a join over every account."""
        accounts = self.model._meta.get_field("accounts").related_model  # groups sit below the accounts: no import
        counts = (
            accounts.objects.filter(group=models.OuterRef("pk")).order_by().values("group")
            .annotate(total=models.Count("pk")).values("total")
        )
        return self.annotate(account_count=Coalesce(models.Subquery(counts), 0))


class Group(models.Model):
    """A container of accounts: a department or a customer company. Every account is in one group."""

    name = models.CharField(_("name"), max_length=100)
    admin_email = models.EmailField(_("admin contact (IT e-mail)"), blank=True, default="")
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    profile = models.ForeignKey(
        "activation.ProvisioningProfile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="groups",
        verbose_name=_("provisioning profile"),
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="group_name_ci_unique", violation_error_message=_("A group with this name already exists.")
            ),
        ]

    def __str__(self) -> str:
        return self.name
