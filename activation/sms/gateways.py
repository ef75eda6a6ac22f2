"""SMS gateways. Each sends one message and says what became of it; none retries by itself.

- console: the default for a fresh install (the trial run); sends nothing, but prints each message
  as it would have been sent, link included, on the worker's standard output (like Django's
  console e-mail backend), so the operator of a trial can open the customer's pages.
- kannel: Kannel's HTTP `sendsms` interface (POST with X-Kannel headers, so neither the text
  nor the gateway password ends up in a URL), asking for delivery reports on `dlr-url`.
- http: a generic JSON-over-HTTP gateway (contract in `HttpJsonGateway`).
"""
import enum
import sys
import threading
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.utils import get_netrc_auth

from activation.sms.config import SmsConfig

# Kannel DLR types asked for: 1 delivered to the phone, 2 not delivered, 16 rejected by the SMSC.
# (8, "accepted by the SMSC", adds nothing to the sendsms answer and costs Kannel a round trip.)
KANNEL_DLR_MASK = 1 | 2 | 16


class Outcome(enum.Enum):
    ACCEPTED = "accepted"  # the gateway took the message
    RETRY = "retry"  # it certainly did not: try again later
    REJECTED = "rejected"  # it refused the message for good
    UNKNOWN = "unknown"  # no answer in time: it may or may not have taken it


@dataclass(frozen=True)
class Outgoing:
    sms_id: int
    recipient: str
    text: str
    status_url: str  # where the gateway reports delivery ('' when there is none)


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    gateway_id: str = ""
    error: str = ""


def _timeouts() -> tuple[float, float]:
    timeout = settings.SMS_GATEWAY_TIMEOUT
    return (min(timeout, 5.0), timeout)


def _post(session: requests.Session, url: str, **kwargs) -> requests.Response | SendResult:
    """POST, turning transport failures into the outcome they imply."""
    try:
        return session.post(url, timeout=_timeouts(), allow_redirects=False, **kwargs)
    except requests.ConnectTimeout:
        return SendResult(Outcome.RETRY, error="The gateway did not accept the connection in time.")
    except requests.ReadTimeout:
        return SendResult(
            Outcome.UNKNOWN,
            error=f"The gateway did not answer within {settings.SMS_GATEWAY_TIMEOUT:g} s; the SMS may have been sent, so it is not re-sent automatically.",
        )
    except requests.ConnectionError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else "connection failed"
        return SendResult(Outcome.RETRY, error=f"Could not reach the gateway ({reason}).")
    except requests.RequestException as exc:
        return SendResult(Outcome.RETRY, error=f"Gateway request failed: {type(exc).__name__}.")


def _http_error(response: requests.Response) -> SendResult:
    body = response.text.strip().replace("\n", " ")[:120]
    message = f"The gateway answered {response.status_code}: {body}" if body else f"The gateway answered {response.status_code}."
    if response.status_code >= 500 or response.status_code in (408, 429):
        return SendResult(Outcome.RETRY, error=message)
    return SendResult(Outcome.REJECTED, error=message)


class ConsoleGateway:
    """Prints each message, whole, to `stream` (the worker's terminal); the sending threads of a
    worker round share it, so a message is written at once, never interleaved with another."""

    name = "console"
    _lock = threading.Lock()

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    def send(self, message: Outgoing) -> SendResult:
        stream = self.stream or sys.stdout
        printed = (f"--- SMS #{message.sms_id} to {message.recipient} (console SMS backend: printed here, "
                   f"not sent to a phone) ---\n{message.text}\n\n")
        with self._lock:
            stream.write(printed)
            stream.flush()
        return SendResult(Outcome.ACCEPTED, gateway_id=f"console-{message.sms_id}")


def gateway_session(url: str) -> requests.Session:
    """A keep-alive session for one gateway address that reads the environment (proxy variables,
    CA bundle, .netrc) once, when it is made: a plain session reads it again on every request,
    about a quarter of the CPU time a request costs the worker."""
    session = requests.Session()
    environment = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies, session.verify = environment["proxies"], environment["verify"]
    session.auth = get_netrc_auth(url)
    session.trust_env = False
    return session


class KannelGateway:
    name = "kannel"

    def __init__(self, config: SmsConfig, session: requests.Session | None = None):
        self.url = kannel_sendsms_url(config.gateway_url)
        self.config = config
        self.session = session or gateway_session(self.url)

    def send(self, message: Outgoing) -> SendResult:
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "X-Kannel-Username": self.config.username,
            "X-Kannel-Password": self.config.password,
            "X-Kannel-From": self.config.sender,
            "X-Kannel-To": message.recipient,
        }
        if message.status_url:
            headers["X-Kannel-DLR-Mask"] = str(KANNEL_DLR_MASK)
            headers["X-Kannel-DLR-Url"] = f"{message.status_url}?type=%d"
        response = _post(self.session, self.url, data=message.text.encode(), headers=headers)
        if isinstance(response, SendResult):
            return response
        if response.status_code == 202 or (response.status_code == 200 and response.text.startswith(("0:", "3:"))):
            return SendResult(Outcome.ACCEPTED, gateway_id=str(message.sms_id))
        return _http_error(response)


def kannel_sendsms_url(configured: str) -> str:
    """The sendsms address; a bare `http://host:port` gets Kannel's standard path."""
    parts = urlsplit(configured)
    if parts.path in ("", "/"):
        return configured.rstrip("/") + "/cgi-bin/sendsms"
    return configured


class HttpJsonGateway:
    """A generic gateway: `POST <url>` with JSON `{"id", "to", "from", "text", "status_url"}`, HTTP Basic
    authentication when a username is set and an `Idempotency-Key` header (the outbox row id). A 2xx
    answer means accepted (optional JSON `{"id": "<gateway id>"}`); 408, 429 and 5xx mean try again;
    other 4xx mean refused. The gateway reports delivery by `POST <status_url>` with JSON
    `{"status": "delivered" | "failed"}`."""

    name = "http"

    def __init__(self, config: SmsConfig, session: requests.Session | None = None):
        self.config = config
        self.session = session or gateway_session(config.gateway_url)

    def send(self, message: Outgoing) -> SendResult:
        payload = {
            "id": str(message.sms_id),
            "to": message.recipient,
            "from": self.config.sender,
            "text": message.text,
            "status_url": message.status_url,
        }
        auth = (self.config.username, self.config.password) if self.config.username else None
        response = _post(
            self.session, self.config.gateway_url, json=payload, auth=auth,
            headers={"Idempotency-Key": f"sms-{message.sms_id}"},
        )
        if isinstance(response, SendResult):
            return response
        if 200 <= response.status_code < 300:
            try:
                gateway_id = str(response.json().get("id", ""))[:100]
            except (ValueError, AttributeError):
                gateway_id = ""
            return SendResult(Outcome.ACCEPTED, gateway_id=gateway_id)
        return _http_error(response)


def gateway_for(config: SmsConfig, session: requests.Session | None = None):
    if config.backend == "kannel":
        return KannelGateway(config, session)
    if config.backend == "http":
        return HttpJsonGateway(config, session)
    return ConsoleGateway()
