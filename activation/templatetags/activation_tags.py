"""Template tags of the activation app: the SMS actions shown on account pages."""
from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from activation.services import sms_number_refusal, sms_service_refusal
from activation.sms.config import sms_config
from console.models import ServiceSettings
from console.templatetags.console_tags import confirm_button

register = template.Library()

SMS_ACTIONS = (
    ("activation:sms_send_installation", gettext_lazy("Send installation SMS"), "bi-download",
     gettext_lazy("The installation SMS goes to %(number)s. This must be a real mobile number: the customer opens the link "
                  "on that phone.")),
    ("activation:sms_send_activation", gettext_lazy("Send activation SMS"), "bi-phone",
     gettext_lazy("The activation SMS goes to %(number)s. This must be a real mobile number: the customer opens the link "
                  "on that phone, where the app is installed.")),
)


@register.simple_tag(takes_context=True)
def sms_buttons(context, account: Account, back_to: str, compact: bool = False) -> str:
    """Send installation / activation SMS behind confirmation pop-ups (P2, P3) that show the
    destination number. `back_to` is "list" or "detail": where the operator returns. SNOM
    accounts never receive SMS, so they get no buttons. `compact` (list rows) shows icons whose
    names and tooltips are the labels. When no SMS can go (no gateway, no public base URL, a
    number that is not international), the pop-up says why before anything is asked, with a
    link to the Services page for an Administrator (P5). Built in Python: it runs on every row."""
    if account.account_type != Account.AccountType.PGSM:
        return ""
    service_refusal = _service_refusal(context)
    refusal = service_refusal or sms_number_refusal(account)
    buttons = []
    for url_name, label, icon, body in SMS_ACTIONS:
        url = f"{reverse(url_name, args=[account.pk])}?next={back_to}"
        options = {"body": body % {"number": account.virtual_number}, "confirm": label}
        if refusal:
            options = {"blocked": True, **_refusal_dialog(context, refusal, settings_problem=bool(service_refusal))}
        buttons.append((confirm_button(
            action_url=url, title=label, button=label, button_class="btn-outline-primary", icon=icon, compact=compact,
            **options,
        ),))
    return format_html_join(" ", "{}", buttons)


def _service_refusal(context) -> str | None:
    """Why no SMS can go with the settings in force, looked up once per page, not once per row."""
    cache = context.render_context
    if "sms_service_refusal" not in cache:
        saved = ServiceSettings.objects.filter(pk=1).first() or ServiceSettings()  # one query, never a write
        cache["sms_service_refusal"] = sms_service_refusal(sms_config(saved))
    return cache["sms_service_refusal"]


def _refusal_dialog(context, refusal: str, settings_problem: bool) -> dict:
    """What the pop-up of an SMS that cannot go says, and where it sends an operator to fix it:
    a settings problem to the Services page, which only Administrators open."""
    if not settings_problem:
        return {"body": refusal, "confirm": ""}
    if context["user"].is_administrator:
        return {"body": refusal, "confirm": _("Open the Services page"), "confirm_url": reverse("services")}
    return {"body": _("%(refusal)s Only an Administrator can do that: ask one.") % {"refusal": refusal}, "confirm": ""}
