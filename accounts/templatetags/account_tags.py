"""Template tags of account pages."""
from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

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
