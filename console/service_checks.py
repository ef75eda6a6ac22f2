"""Live checks shown on the Services page (X1): each says whether a service is reachable and what is wrong.

The console knows the apps' checks only by the dotted paths in settings.SERVICE_CHECKS (as the
worker knows its tasks): each names a function `(ServiceSettings) -> Check`, and the page shows
them in that order."""
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

from console.models import ServiceSettings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str


def _check_function(path: str):
    module_name, function_name = path.rsplit(".", 1)
    return getattr(import_module(module_name), function_name)


def service_checks(row: ServiceSettings) -> list[Check]:
    """Run every live check against the saved settings (falling back to the environment's)."""
    return [_check_function(path)(row) for path in settings.SERVICE_CHECKS]
