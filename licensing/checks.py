"""The Services page's reachability check of the client web service (X1, L4): does the public
base URL reach this console's /healthz, and if not, what is wrong."""
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext

from console.models import ServiceSettings
from console.service_checks import Check
from licensing import signing
from licensing.views_public import SERVICE_NAME

TIMEOUT_SECONDS = 5


def _root_cause(error: BaseException) -> BaseException:
    """The innermost exception requests/urllib3 wrapped (DNS, refused, TLS errors hide several levels down)."""
    seen = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = error.__cause__ or error.__context__ or (error.args[0] if error.args and isinstance(error.args[0], BaseException) else None)
        reason = getattr(error, "reason", None)
        inner = reason if isinstance(reason, BaseException) else inner
        if inner is None:
            break
        error = inner
    return error


def _connection_problem(error: requests.ConnectionError, host: str, port: int) -> str:
    text = str(error)
    cause = _root_cause(error)
    if isinstance(cause, socket.gaierror) or "NameResolutionError" in text or "Name or service not known" in text:
        return gettext("The host name %(host)s does not resolve (DNS): check the address and the DNS records.") % {"host": host}
    if isinstance(cause, ConnectionRefusedError) or "Connection refused" in text:
        return gettext("Connection to %(host)s port %(port)s was refused: nothing listens there, or a firewall rejects it.") % {"host": host, "port": port}
    if isinstance(cause, (TimeoutError, socket.timeout)):
        return gettext("No answer from %(host)s port %(port)s within %(seconds)s s: a firewall may drop the traffic.") % {"host": host, "port": port, "seconds": TIMEOUT_SECONDS}
    return gettext("Could not connect to %(host)s port %(port)s: %(cause)s") % {"host": host, "port": port, "cause": cause}


def check_public_base_url(url: str) -> tuple[bool, str]:
    """Fetch `<url>/healthz` and say whether it is this console answering, or what is wrong."""
    if not url:
        return False, gettext("No public base URL is configured: SMS links and licence validation cannot reach this console.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False, gettext("%(url)s is not an http:// or https:// address.") % {"url": url}
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = url.rstrip("/") + "/healthz"
    try:
        response = requests.get(target, timeout=TIMEOUT_SECONDS, headers={"Accept": "application/json"})
    except requests.exceptions.SSLError as error:
        cause = _root_cause(error)
        detail = getattr(cause, "verify_message", "") or getattr(cause, "reason", "") or str(cause)
        return False, gettext("TLS with %(hostname)s port %(port)s failed (%(detail)s): check the certificate and that the port speaks HTTPS.") % {"hostname": parts.hostname, "port": port, "detail": detail}
    except requests.exceptions.Timeout:
        return False, gettext("No answer from %(hostname)s port %(port)s within %(seconds)s s: a firewall may drop the traffic.") % {"hostname": parts.hostname, "port": port, "seconds": TIMEOUT_SECONDS}
    except requests.exceptions.ConnectionError as error:
        return False, _connection_problem(error, parts.hostname, port)
    except requests.exceptions.RequestException as error:
        return False, gettext("The request to %(target)s failed: %(error)s") % {"target": target, "error": error}
    try:
        document = response.json()
    except ValueError:
        document = None
    ours = isinstance(document, dict) and document.get("service") == SERVICE_NAME
    if ours and document.get("instance") != signing.key_id():
        return False, gettext("%(target)s is answered by another SIP Operator Console installation, not this one.") % {"target": target}
    if response.status_code == 503 and ours:
        return False, gettext("%(target)s reaches this console, but its database is unavailable.") % {"target": target}
    if response.status_code != 200:
        return False, (
            gettext("%(target)s answered HTTP %(status_code)s: the address reaches a web server that does not pass "
            "/healthz to this console (wrong address, or a reverse proxy not forwarding it).") % {"target": target, "status_code": response.status_code}
        )
    if not ours:
        return False, gettext("%(target)s is answered by another server, not this console (a reverse proxy or web server in front?).") % {"target": target}
    if parts.scheme == "http":
        return True, gettext("%(target)s reaches this console. It uses plain HTTP: clients should reach the service over "
                             "HTTPS.") % {"target": target}
    return True, gettext("%(target)s reaches this console.") % {"target": target}


def public_base_url_service_check(row: ServiceSettings) -> Check:
    """The Services page's check of the client web service (settings.SERVICE_CHECKS)."""
    return Check(gettext("Client web service (public base URL)"), *check_public_base_url(row.public_base_url or settings.PUBLIC_BASE_URL))
