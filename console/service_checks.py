"""Live checks shown on the Services page (X1): each says whether a service is reachable and what is wrong."""
from dataclasses import dataclass

from django.conf import settings

from accounts.sipserver.rpc import check_rpc
from activation.checks import check_profiles, check_sms_gateway
from console.models import ServiceSettings
from licensing.checks import check_public_base_url


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str




def service_checks(row: ServiceSettings) -> list[Check]:
    """Run every live check against the saved settings (falling back to the environment's)."""
    public_url = row.public_base_url or settings.PUBLIC_BASE_URL
    rpc_url = row.kamailio_rpc_url or settings.KAMAILIO_RPC_URL
    return [
        Check("Client web service (public base URL)", *check_public_base_url(public_url)),
        Check("SMS gateway", *check_sms_gateway(row)),
        Check("Kamailio JSON-RPC", *check_rpc(rpc_url)),
        Check("Provisioning profiles", *check_profiles()),
    ]
