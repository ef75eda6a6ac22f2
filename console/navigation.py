"""The left menu. Each app adds its entries here; entries whose URL does not exist are left out."""
from dataclasses import dataclass


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    icon: str
    administrators_only: bool = False


MENU: list[MenuEntry] = [
    MenuEntry("Groups & Accounts", "groups:group_list", "bi-people"),  # the first entry (SPEC G1)
    MenuEntry("Dashboard", "home", "bi-speedometer2"),
    MenuEntry("Bulk actions", "fleet:bulk_list", "bi-ui-checks"),
    MenuEntry("Registered clients", "accounts:registration_list", "bi-broadcast"),
    MenuEntry("Licences", "licensing:licence_list", "bi-patch-check"),
    MenuEntry("SMS log", "activation:sms_list", "bi-chat-dots"),
    MenuEntry("Provisioning profiles", "activation:profile_list", "bi-sliders", administrators_only=True),
    MenuEntry("Operators", "operator_list", "bi-person-badge", administrators_only=True),
    MenuEntry("Services", "services", "bi-hdd-network", administrators_only=True),
    MenuEntry("Audit log", "audit_list", "bi-journal-text", administrators_only=True),
    MenuEntry("Web sessions", "session_log", "bi-door-open", administrators_only=True),
    MenuEntry("API tokens", "api_token_list", "bi-key"),
]
