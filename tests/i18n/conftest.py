"""The activation tests' fixtures (Services settings, the default profile, Kannel), shared here."""
from tests.activation.conftest import (  # noqa: F401
    kannel,
    profile,
    services_row,
    via_kannel,
    wizard_account,
)
