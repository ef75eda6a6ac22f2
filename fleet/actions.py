"""The bulk actions (F1): what each is called, what it does to an account, and the service that
does it. Each service is the apps' own, for one or many accounts, in id order, returning the
accounts it left as they were with the reason (accounts.services.Skipped)."""
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.services import accounts_delete, accounts_move, accounts_set_enabled, accounts_set_profile
from activation.models import ProvisioningProfile, SmsMessage
from activation.services import accounts_send_sms
from console.audit import Actor
from groups.models import Group
from licensing.services import licences_clear

Run = Callable[[Actor, list[int], dict, str], dict[int, str]]


@dataclass(frozen=True)
class BulkAction:
    """`title` names the action in the list's menu, `label` the action on a button, `past` says it happened ("disabled"), `consequence`
    completes the confirmation ("Disable 1,240 accounts: <consequence>"). `parameter` names what the
    operator chooses on the confirmation ("group", "profile"); `typed_count` asks them to type
    the number of accounts above TYPED_COUNT_ABOVE."""

    key: str
    title: str
    label: str
    past: str
    consequence: str
    run: Run | None
    parameter: str = ""
    danger: bool = False
    typed_count: bool = False


TYPED_COUNT_ABOVE = 5


def _move(actor: Actor, ids: list[int], parameters: dict, reason: str) -> dict[int, str]:
    return accounts_move(actor=actor, account_ids=ids, group=Group.objects.get(pk=parameters["group_id"]), reason=reason)


def _set_profile(actor: Actor, ids: list[int], parameters: dict, reason: str) -> dict[int, str]:
    profile_id = parameters.get("profile_id")
    profile = ProvisioningProfile.objects.get(pk=profile_id) if profile_id else None
    return accounts_set_profile(actor=actor, account_ids=ids, profile=profile, reason=reason)


def _sms(purpose: str) -> Run:
    return lambda actor, ids, parameters, reason: accounts_send_sms(actor=actor, account_ids=ids, purpose=purpose, reason=reason)


def _enabled(enabled: bool) -> Run:
    return lambda actor, ids, parameters, reason: accounts_set_enabled(actor=actor, account_ids=ids, enabled=enabled, reason=reason)


ACTIONS = {action.key: action for action in (
    BulkAction("enable", _("Enable"), _("Enable"), _("enabled"), _("they can register and place calls again."), _enabled(True)),
    BulkAction("disable", _("Disable"), _("Disable"), _("disabled"),
               _("their registrations are dropped, they can neither place nor receive calls, and their unused SMS links stop working."),
               _enabled(False)),
    BulkAction("send_installation_sms", _("Send installation SMS"), _("Send the installation SMS to"), _("sent the installation SMS to"),
               _("each gets an SMS with a link to the app at its virtual number. Accounts that cannot receive SMS "
               "(SNOM desk phones, numbers not in international format) are skipped."), _sms(SmsMessage.Purpose.INSTALLATION)),
    BulkAction("send_activation_sms", _("Send activation SMS"), _("Send the activation SMS to"), _("sent the activation SMS to"),
               _("each gets an SMS with its activation link at its virtual number; older unused activation links stop "
               "working. Accounts that cannot receive SMS are skipped."), _sms(SmsMessage.Purpose.ACTIVATION)),
    BulkAction("clear_licence", _("Clear licence status"), _("Clear the licence status of"), _("cleared the licence status of"),
               _("the device binding, conflicts and revoked keys are lifted; the next device that validates each licence is bound."),
               lambda actor, ids, parameters, reason: licences_clear(actor=actor, account_ids=ids, reason=reason)),
    BulkAction("change_profile", _("Change provisioning profile"), _("Change the provisioning profile of"), _("changed the provisioning profile of"),
               _("their clients receive the chosen profile at their next activation."), _set_profile, parameter="profile"),
    BulkAction("move", _("Move to another group"), _("Move"), _("moved"),
               _("their licence, their own provisioning profile and their activity history go with them; their numbers "
               "and credentials stay, and the SIP server sees no change."), _move, parameter="group"),
    BulkAction("delete", _("Delete"), _("Delete"), _("deleted"),
               _("they are deleted with their licence, allow/deny lists and history; their registrations are dropped. "
               "This cannot be undone."), lambda actor, ids, parameters, reason: accounts_delete(actor=actor, account_ids=ids, reason=reason),
               danger=True, typed_count=True),
    BulkAction("export", _("Export CSV"), _("Export"), _("exported"), _("a CSV file of their settings is downloaded (never a password)."), None),
)}
