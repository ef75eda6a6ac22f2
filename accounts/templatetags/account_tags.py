"""Template tags of account pages."""
from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from console.templatetags.console_tags import confirm_button

register = template.Library()

@register.simple_tag
def registration_indicator(account) -> str:
    """Registered-now indicator (R1) for an account annotated with `registered_now`
    (AccountQuerySet.with_registration_state); links to the Registered clients page."""
    if getattr(account, "registered_now", False):
        return format_html(
            '<a href="{}" class="badge text-bg-success text-decoration-none registration-indicator" title="{}">'
            '<i class="bi bi-broadcast"></i> {}</a>',
            reverse("accounts:registration_list"), _("Registered now"), _("Registered"),
        )
    return format_html('<span class="text-muted registration-indicator" title="{}">—</span>', _("Not registered"))


# Each lifecycle step has a colour and an icon of its own, so no two read alike; the solid green
# stays for "Registered" (right now), the solid red for "Disabled".
STATUS_BADGES = {
    Account.Status.CREATED: ("bg-secondary-subtle text-secondary-emphasis border-secondary-subtle", "bi-plus-circle"),
    Account.Status.INSTALLATION_SMS_SENT: ("bg-info-subtle text-info-emphasis border-info-subtle", "bi-envelope"),
    Account.Status.INSTALLATION_CLICKED: ("bg-info-subtle text-info-emphasis border-info", "bi-hand-index"),
    Account.Status.INSTALLED: ("bg-primary-subtle text-primary-emphasis border-primary-subtle", "bi-box-arrow-in-down"),
    Account.Status.ACTIVATION_SMS_SENT: ("bg-warning-subtle text-warning-emphasis border-warning-subtle", "bi-envelope-check"),
    Account.Status.ACTIVATED: ("text-bg-primary border-primary", "bi-check-circle"),
    Account.Status.CONNECTED: ("bg-success-subtle text-success-emphasis border-success", "bi-telephone"),
}
ENABLED_BADGE = ('<span class="badge border border-success text-success-emphasis bg-body enabled-badge">'
                 '<i class="bi bi-toggle-on" aria-hidden="true"></i> {}</span>')
DISABLED_BADGE = '<span class="badge text-bg-danger enabled-badge"><i class="bi bi-slash-circle" aria-hidden="true"></i> {}</span>'
# A licence state the operator must act on, shown in the account page's header (L3).
LICENCE_ALERTS = {"conflict": gettext_lazy("Licence in conflict"), "expired": gettext_lazy("Licence expired")}


@register.simple_tag
def status_badge(account) -> str:
    """The account's last lifecycle status (A9) as a badge of its own colour and icon."""
    classes, icon = STATUS_BADGES[account.status]
    return format_html('<span class="badge border status-badge status-{} {}" title="{}">'
                       '<i class="bi {}" aria-hidden="true"></i> {}</span>',
                       account.status, classes, _("Last status"), icon, account.get_status_display())


@register.simple_tag
def enabled_badge(account) -> str:
    """Enabled (outlined green) or Disabled (solid red) (A8)."""
    if account.enabled:
        return format_html(ENABLED_BADGE, _("Enabled"))
    return format_html(DISABLED_BADGE, _("Disabled"))


@register.simple_tag
def licence_alert(account) -> str:
    """A badge when the account's licence is in conflict or expired, linking to the licence's
    details; nothing otherwise."""
    licence = getattr(account, "licence", None)
    if licence is None or licence.state not in LICENCE_ALERTS:
        return ""
    return format_html('<a href="?tab=configuration#licence" class="badge text-bg-warning border border-warning '
                       'text-decoration-none licence-alert"><i class="bi bi-exclamation-triangle" aria-hidden="true"></i> {}</a>',
                       LICENCE_ALERTS[licence.state])


def enable_confirmation(account, enabled: bool) -> dict:
    """Title, question and button of the confirmation before enabling or disabling `account` (A8)."""
    username = account.username
    if enabled:
        return {"title": _("Enable account %(username)s") % {"username": username}, "confirm": _("Enable account"),
                "body": _("Enable account %(username)s? It can then place and receive calls again.") % {"username": username}}
    return {"title": _("Disable account %(username)s") % {"username": username}, "confirm": _("Disable account"), "danger": True,
            "body": _("Disable account %(username)s? Its calls in progress are cut, its registrations are dropped, and it "
                      "can neither place nor receive calls until it is enabled again.") % {"username": username}}


@register.simple_tag(takes_context=True)
def enable_toggle(context, account) -> str:
    """"Disable account" behind a confirmation, or "Enable account" (A8); neither for a wizard
    account awaiting activation, which only the customer's activation enables (A3)."""
    if account.awaits_activation:
        return format_html('<span class="btn btn-sm disabled border-0 awaits-activation">{}</span>',
                           _("Enabled when the customer activates"))
    if account.enabled:
        url = reverse("accounts:account_disable", args=[account.pk])
        text = enable_confirmation(account, enabled=False)
        return confirm_button(action_url=url, title=text["title"], body=text["body"], confirm=text["confirm"],
                              confirm_class="btn-danger", button=_("Disable account"), button_class="btn-outline-danger",
                              icon="bi-slash-circle")
    return format_html(
        '<form method="post" action="{}" class="d-inline"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button class="btn btn-sm btn-outline-success" type="submit"><i class="bi bi-check-circle" aria-hidden="true"></i> '
        '{}</button></form>',
        reverse("accounts:account_enable", args=[account.pk]), get_token(context["request"]), _("Enable account"),
    )
