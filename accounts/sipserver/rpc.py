"""Kamailio's JSON-RPC interface (jsonrpcs over HTTP, deploy/kamailio/kamailio.cfg).

The console uses two commands: `ul.rm location <username>` to drop an account's live
registrations, and `core.version` for the Services page's live check. A call that fails is logged
and reported, never raised into the operator's request: the change that wanted it has already
committed, and Kamailio refuses the account's next REGISTER anyway.
"""
import itertools
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0
LOCATION_TABLE = "location"

_request_ids = itertools.count(1)


class RpcError(Exception):
    """Kamailio could not be reached or answered with an error; the message is safe to log and show."""


def configured_rpc_url() -> str:
    """The JSON-RPC address from the Services page, else the KAMAILIO_RPC_URL setting ("" when neither)."""
    from console.models import ServiceSettings

    return ServiceSettings.load().kamailio_rpc_url or settings.KAMAILIO_RPC_URL


def _printable(url: str) -> str:
    """`url` without any user:password part, for logs and messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def rpc_call(url: str, method: str, params: list[Any] | None = None) -> Any:
    """Call `method` at the JSON-RPC endpoint `url` and return its result; raises RpcError."""
    if not url:
        raise RpcError(gettext("No Kamailio JSON-RPC address is configured."))
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RpcError(gettext("%(address)s is not an http:// or https:// address.") % {"address": repr(_printable(url) or url)})
    payload = {"jsonrpc": "2.0", "method": method, "id": next(_request_ids)}
    if params:
        payload["params"] = params
    try:
        response = requests.post(url, json=payload, timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS))
    except requests.RequestException as error:
        raise RpcError(gettext("Kamailio at %(address)s is not reachable: %(error)s.") % {"address": _printable(url), "error": type(error).__name__}) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise RpcError(gettext("Kamailio at %(address)s answered HTTP %(status_code)s, not JSON-RPC, to %(method)s.") % {"address": _printable(url), "status_code": response.status_code, "method": method})
    # jsonrpcs reports a command's error in the JSON body of an HTTP 500.
    if answer.get("error"):
        error = answer["error"]
        detail = error.get("message", "") if isinstance(error, dict) else str(error)
        raise RpcError(gettext("Kamailio refused %(method)s: %(detail)s") % {"method": method, "detail": detail[:200]})
    return answer.get("result")


def drop_registrations(username: str, url: str | None = None) -> bool:
    """Remove every live contact of `username` from Kamailio's user location (`ul.rm`).

    Returns whether Kamailio confirmed it; failures are logged, never raised.
    """
    url = configured_rpc_url() if url is None else url
    if not url:
        logger.info("No Kamailio JSON-RPC address configured: registrations of %s were not dropped.", username)
        return False
    try:
        rpc_call(url, "ul.rm", [LOCATION_TABLE, username])
    except RpcError as error:
        if "not found" in str(error).lower():
            return True
        logger.warning("Could not drop the registrations of %s: %s", username, error)
        return False
    except Exception:
        logger.exception("Could not drop the registrations of %s", username)
        return False
    logger.info("Dropped the registrations of %s at the SIP server.", username)
    return True


def check_rpc(url: str) -> tuple[bool, str]:
    """Live check for the Services page: (reachable, what Kamailio said or what is wrong)."""
    try:
        version = rpc_call(url, "core.version")
    except RpcError as error:
        return False, str(error)
    return True, gettext("%(address)s answers: %(version)s.") % {"address": _printable(url), "version": str(version).strip() or "Kamailio"}
