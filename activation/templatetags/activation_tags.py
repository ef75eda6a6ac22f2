"""Template tags of the activation app: the SMS actions shown on account pages."""
from django import template
from django.urls import reverse
from django.utils.html import format_html_join

from accounts.models import Account
from console.templatetags.console_tags import confirm_button

register = template.Library()

SMS_ACTIONS = (
    ("activation:sms_send_installation", "Send installation SMS", "bi-download",
     "The installation SMS goes to {number}. This must be a real mobile number: the customer opens the link on that phone."),
    ("activation:sms_send_activation", "Send activation SMS", "bi-phone",
     "The activation SMS goes to {number}. This must be a real mobile number: the customer opens the link on that phone, "
     "where the app is installed."),
)


@register.simple_tag
def sms_buttons(account: Account, back_to: str, compact: bool = False) -> str:
    """Send installation / activation SMS behind confirmation pop-ups (P2, P3) that show the
    destination number. `back_to` is "list" or "detail": where the operator returns. SNOM
    accounts never receive SMS, so they get no buttons. `compact` (list rows) shows icons whose
    names and tooltips are the labels. Built in Python: it runs on every row."""
    if account.account_type != Account.AccountType.PGSM:
        return ""
    buttons = []
    for url_name, label, icon, body in SMS_ACTIONS:
        url = f"{reverse(url_name, args=[account.pk])}?next={back_to}"
        buttons.append((confirm_button(
            action_url=url, title=label, body=body.format(number=account.virtual_number), confirm=label,
            button=label, button_class="btn-outline-primary", icon=icon, compact=compact,
        ),))
    return format_html_join(" ", "{}", buttons)
