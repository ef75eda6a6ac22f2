"""The left menu. Each app adds its entries here; entries whose URL does not exist are left out."""
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise  # translated when the menu is shown
    url_name: str
    icon: str
    administrators_only: bool = False


MENU: list[MenuEntry] = [
    MenuEntry(_("Groups & Accounts"), "groups:group_list", "bi-people"),  # the first entry (SPEC G1)
    MenuEntry(_("Dashboard"), "home", "bi-speedometer2"),
    MenuEntry(_("Bulk actions"), "fleet:bulk_list", "bi-ui-checks"),
    MenuEntry(_("Registered clients"), "accounts:registration_list", "bi-broadcast"),
    MenuEntry(_("Licences"), "licensing:licence_list", "bi-patch-check"),
    MenuEntry(_("SMS log"), "activation:sms_list", "bi-chat-dots"),
    MenuEntry(_("Provisioning profiles"), "activation:profile_list", "bi-sliders", administrators_only=True),
    MenuEntry(_("Operators"), "operator_list", "bi-person-badge", administrators_only=True),
    MenuEntry(_("Services"), "services", "bi-hdd-network", administrators_only=True),
    MenuEntry(_("Audit log"), "audit_list", "bi-journal-text", administrators_only=True),
    MenuEntry(_("Web sessions"), "session_log", "bi-door-open", administrators_only=True),
    MenuEntry(_("API tokens"), "api_token_list", "bi-key"),
]
