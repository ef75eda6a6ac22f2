"""Template tags of account pages."""
from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from console.templatetags.console_tags import confirm_button

register = template.Library()

NOT_REGISTERED = SafeString('<span class="text-muted registration-indicator" title="Not registered">—</span>')


@register.simple_tag
def registration_indicator(account) -> str:
    """Registered-now indicator (R1) for an account annotated with `registered_now`
    (AccountQuerySet.with_registration_state); links to the Registered clients page."""
    if getattr(account, "registered_now", False):
        return format_html(
            '<a href="{}" class="badge text-bg-success text-decoration-none registration-indicator" title="Registered now">'
            '<i class="bi bi-broadcast"></i> Registered</a>',
            reverse("accounts:registration_list"),
        )
    return NOT_REGISTERED


def enable_confirmation(account, enabled: bool) -> dict:
    """Title, question and button of the confirmation before enabling or disabling `account` (A8)."""
    if enabled:
        return {"title": f"Enable account {account.username}", "confirm": "Enable account",
                "body": f"Enable account {account.username}? It can then place and receive calls again."}
    return {"title": f"Disable account {account.username}", "confirm": "Disable account", "danger": True,
            "body": f"Disable account {account.username}? Its calls in progress are cut, its registrations are "
                    "dropped, and it can neither place nor receive calls until it is enabled again."}


@register.simple_tag(takes_context=True)
def enable_toggle(context, account) -> str:
    """"Disable account" behind a confirmation, or "Enable account" (A8); neither for a wizard
    account awaiting activation, which only the customer's activation enables (A3)."""
    if account.awaits_activation:
        return format_html('<span class="btn btn-sm disabled border-0 awaits-activation">{}</span>',
                           "Enabled when the customer activates")
    if account.enabled:
        url = reverse("accounts:account_disable", args=[account.pk])
        text = enable_confirmation(account, enabled=False)
        return confirm_button(action_url=url, title=text["title"], body=text["body"], confirm=text["confirm"],
                              confirm_class="btn-danger", button="Disable account", button_class="btn-outline-danger",
                              icon="bi-slash-circle")
    return format_html(
        '<form method="post" action="{}" class="d-inline"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button class="btn btn-sm btn-outline-success" type="submit"><i class="bi bi-check-circle" aria-hidden="true"></i> '
        'Enable account</button></form>',
        reverse("accounts:account_enable", args=[account.pk]), get_token(context["request"]),
    )
