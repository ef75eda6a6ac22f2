"""Live check of the SMS gateway for the Services page (X1): reachable, and what is wrong."""
import requests
from django.conf import settings
from django.utils.translation import gettext

from activation.models import ProvisioningProfile
from activation.sms.config import sms_config
from activation.sms.gateways import kannel_sendsms_url
from console.models import ServiceSettings
from console.service_checks import Check

CHECK_TIMEOUT = 3.0


def check_sms_gateway(row: ServiceSettings) -> tuple[bool, str]:
    """(ok, message) for the configured gateway. Kannel is asked with the configured credentials
    but no recipient, so nothing is sent and wrong credentials show as such; the credentials travel
    in headers, never in the URL."""
    config = sms_config(row)
    if config.backend == ServiceSettings.SmsBackend.CONSOLE:
        return True, (gettext("Console backend (for trials): nothing is sent to phones; the worker prints each SMS, link included, "
                      "on its output, and the SMS log records it."))
    if not config.gateway_url:
        return False, gettext("No gateway address is set: SMS cannot be sent.")
    try:
        if config.backend == ServiceSettings.SmsBackend.KANNEL:
            url = kannel_sendsms_url(config.gateway_url)
            # The credentials go in X-Kannel headers, as when sending: in a query string they would
            # reach log lines (urllib3 logs each request's URL) and the gateway's access log.
            headers = {"X-Kannel-Username": config.username, "X-Kannel-Password": config.password,
                       "Content-Type": "text/plain; charset=utf-8"}
            response = requests.post(url, headers=headers, data=b"", timeout=CHECK_TIMEOUT, allow_redirects=False)
        else:
            response = requests.head(config.gateway_url, timeout=CHECK_TIMEOUT, allow_redirects=False)
    except requests.Timeout:
        return False, gettext("The gateway did not answer within %(seconds)s s.") % {"seconds": format(CHECK_TIMEOUT, "g")}
    except requests.RequestException as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
        return False, gettext("Cannot reach the gateway (%(reason)s).") % {"reason": reason}
    body = response.text.strip()[:100]
    if config.backend == ServiceSettings.SmsBackend.KANNEL:
        if response.status_code == 403 or "authori" in body.lower():
            return False, gettext("Kannel answers but refuses the username or password: %(body)s") % {"body": body}
        if response.status_code >= 500:
            return False, gettext("Kannel answers %(status_code)s: %(body)s") % {"status_code": response.status_code, "body": body}
        return True, gettext("Kannel answers and accepts the credentials (timeout for sending: %(seconds)s s).") % {"seconds": format(settings.SMS_GATEWAY_TIMEOUT, "g")}
    if response.status_code >= 500:
        return False, gettext("The gateway answers %(status_code)s.") % {"status_code": response.status_code}
    return True, gettext("The gateway answers (HTTP %(status_code)s).") % {"status_code": response.status_code}


def check_profiles() -> tuple[bool, str]:
    """(ok, message): whether every provisioning profile gives the customer's installation page a
    download for each platform and a contact (P1, P2)."""
    gaps = [f"“{profile.name}”: {', '.join(profile.customer_gaps)}" for profile in ProvisioningProfile.objects.all()
            if profile.customer_gaps]
    if not gaps:
        return True, gettext("Every profile has both download addresses and a customer-service contact.")
    return False, gettext("The installation page offers no download where an address is missing, and no help without "
                          "a contact. %(gaps)s.") % {"gaps": "; ".join(gaps)}


def sms_gateway_service_check(row: ServiceSettings) -> Check:
    """The Services page's check of the SMS gateway (settings.SERVICE_CHECKS)."""
    return Check(gettext("SMS gateway"), *check_sms_gateway(row))


def profiles_service_check(row: ServiceSettings) -> Check:
    """The Services page's check of the provisioning profiles (settings.SERVICE_CHECKS)."""
    return Check(gettext("Provisioning profiles"), *check_profiles())
