"""Live checks shown on the Services page (X1): each says whether a service is reachable and what is wrong."""
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

from console.models import ServiceSettings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str


def _call(path: str, *args) -> tuple[bool, str]:
    module_name, function_name = path.rsplit(".", 1)
    try:
        function = getattr(import_module(module_name), function_name)
    except (ImportError, AttributeError):
        return False, "This check is not available in this installation."
    return function(*args)


def service_checks(row: ServiceSettings) -> list[Check]:
    """Run every live check against the saved settings (falling back to the environment's)."""
    public_url = row.public_base_url or settings.PUBLIC_BASE_URL
    rpc_url = row.kamailio_rpc_url or settings.KAMAILIO_RPC_URL
    return [
        Check("Client web service (public base URL)", *_call("licensing.checks.check_public_base_url", public_url)),
        Check("SMS gateway", *_call("activation.checks.check_sms_gateway", row)),
        Check("Kamailio JSON-RPC", *_call("accounts.sipserver.rpc.check_rpc", rpc_url)),
    ]
