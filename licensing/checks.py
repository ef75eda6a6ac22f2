"""The Services page's reachability check of the client web service (X1, L4): does the public
base URL reach this console's /healthz, and if not, what is wrong."""
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings

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
        return f"The host name {host} does not resolve (DNS): check the address and the DNS records."
    if isinstance(cause, ConnectionRefusedError) or "Connection refused" in text:
        return f"Connection to {host} port {port} was refused: nothing listens there, or a firewall rejects it."
    if isinstance(cause, (TimeoutError, socket.timeout)):
        return f"No answer from {host} port {port} within {TIMEOUT_SECONDS} s: a firewall may drop the traffic."
    return f"Could not connect to {host} port {port}: {cause}"


def check_public_base_url(url: str) -> tuple[bool, str]:
    """Fetch `<url>/healthz` and say whether it is this console answering, or what is wrong."""
    if not url:
        return False, "No public base URL is configured: SMS links and licence validation cannot reach this console."
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False, f"{url} is not an http:// or https:// address."
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = url.rstrip("/") + "/healthz"
    try:
        response = requests.get(target, timeout=TIMEOUT_SECONDS, headers={"Accept": "application/json"})
    except requests.exceptions.SSLError as error:
        cause = _root_cause(error)
        detail = getattr(cause, "verify_message", "") or getattr(cause, "reason", "") or str(cause)
        return False, f"TLS with {parts.hostname} port {port} failed ({detail}): check the certificate and that the port speaks HTTPS."
    except requests.exceptions.Timeout:
        return False, f"No answer from {parts.hostname} port {port} within {TIMEOUT_SECONDS} s: a firewall may drop the traffic."
    except requests.exceptions.ConnectionError as error:
        return False, _connection_problem(error, parts.hostname, port)
    except requests.exceptions.RequestException as error:
        return False, f"The request to {target} failed: {error}"
    try:
        document = response.json()
    except ValueError:
        document = None
    ours = isinstance(document, dict) and document.get("service") == SERVICE_NAME
    if ours and document.get("instance") != signing.key_id():
        return False, f"{target} is answered by another SIP Operator Console installation, not this one."
    if response.status_code == 503 and ours:
        return False, f"{target} reaches this console, but its database is unavailable."
    if response.status_code != 200:
        return False, (
            f"{target} answered HTTP {response.status_code}: the address reaches a web server that does not pass "
            "/healthz to this console (wrong address, or a reverse proxy not forwarding it)."
        )
    if not ours:
        return False, f"{target} is answered by another server, not this console (a reverse proxy or web server in front?)."
    warning = " It uses plain HTTP: clients should reach the service over HTTPS." if parts.scheme == "http" else ""
    return True, f"{target} reaches this console.{warning}"


def public_base_url_service_check(row: ServiceSettings) -> Check:
    """The Services page's check of the client web service (settings.SERVICE_CHECKS)."""
    return Check("Client web service (public base URL)", *check_public_base_url(row.public_base_url or settings.PUBLIC_BASE_URL))
