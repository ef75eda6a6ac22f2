"""What the customer's phone and client app do with the links of the SMS (W1-W3, P2-P4).

Opening a page changes nothing (link previewers and scanners fetch them too); the download
button, the app's install report and the Activate button do. A link is used by one conditional
UPDATE, so of many concurrent requests exactly one wins.
"""
import enum
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.digests import generate_password
from accounts.models import Account
from accounts.services import account_set_password, account_set_status
from activation.models import OneTimeLink, ProvisioningProfile
from activation.services import profile_for
from console.audit import Actor, audit_record
from console.audit_text import AuditText, audit_text

LIFECYCLE = list(Account.Status.values)


class LinkState(enum.Enum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


def link_state(link: OneTimeLink | None, now=None) -> LinkState:
    if link is None:
        return LinkState.UNKNOWN
    if link.used_at is not None:
        return LinkState.USED
    if link.expires_at <= (now or timezone.now()):
        return LinkState.EXPIRED
    return LinkState.VALID


def link_lookup(token: str, purpose: str) -> tuple[LinkState, OneTimeLink | None]:
    """The link a token names, and whether it can still be used. Reads only."""
    link = (
        OneTimeLink.objects.for_token(token).filter(purpose=purpose)
        .select_related("account", "account__group", "account__group__profile", "account__profile")
        .first()
    )
    return link_state(link), link


def _advance_status(account_id: int, status: str, actor: Actor, cause: AuditText) -> None:
    """Move to `status` unless the account is already there or further along (a second click on the
    download button, say, must not put an activated account back to "Installation clicked").
    Call inside a transaction: the row stays locked from this comparison to the write, so a
    concurrent step (the install report racing the click) cannot be overwritten by an older one."""
    current = Account.objects.select_for_update().values_list("status", flat=True).get(pk=account_id)
    if LIFECYCLE.index(current) < LIFECYCLE.index(status):
        account_set_status(actor=actor, account_id=account_id, status=status, cause=cause)


PAGE_OPENED = {
    OneTimeLink.Purpose.INSTALLATION: gettext_noop("Installation page opened on the phone"),
    OneTimeLink.Purpose.ACTIVATION: gettext_noop("Activation page opened on the phone"),
}


@transaction.atomic
def link_record_opened(*, token: str, purpose: str) -> bool:
    """Note, once, that the customer's browser showed the page of a usable link (the page's own
    script reports it; a bare GET changes nothing). Returns whether this call recorded it."""
    now = timezone.now()
    links = OneTimeLink.objects.for_token(token).filter(
        purpose=purpose, opened_at__isnull=True, used_at__isnull=True, expires_at__gt=now
    )
    link = links.select_for_update().first()
    if link is None:
        return False
    link.opened_at = now
    link.save(update_fields=["opened_at"])
    audit_record(
        actor=Actor.customer(), action="link.open", obj=link, account_id=link.account_id,
        message=audit_text(PAGE_OPENED[link.purpose]),
    )
    return True


@transaction.atomic
def installation_record_click(*, link: OneTimeLink, platform: str) -> None:
    """The customer followed the download button of the installation page (Installation clicked)."""
    _advance_status(
        link.account_id, Account.Status.INSTALLATION_CLICKED, Actor.customer(),
        audit_text(gettext_noop("download for %(platform)s followed from the installation page"), platform=platform),
    )


def _use_link(token: str, purpose: str, now) -> OneTimeLink | None:
    """Use a link with one conditional UPDATE; None when it is unknown, used or expired.

    The link's account is locked first: every writer of links takes the account before its links
    (the SMS worker locks the accounts of a batch, then retires their older links), and one order
    means no deadlock between the customer's request and a send in flight."""
    account_id = OneTimeLink.objects.for_token(token).filter(purpose=purpose).values_list("account_id", flat=True).first()
    if account_id is None:
        return None
    Account.objects.select_for_update().filter(pk=account_id).values_list("pk", flat=True).first()  # the lock
    used = OneTimeLink.objects.for_token(token).filter(purpose=purpose, used_at__isnull=True, expires_at__gt=now)
    if used.update(used_at=now) != 1:
        return None
    return OneTimeLink.objects.for_token(token).get()


@transaction.atomic
def installation_report(*, token: str) -> LinkState:
    """The client app reports itself installed (W2) with its installation token: Installed.
    Returns VALID when recorded, else why not (UNKNOWN 404, USED or EXPIRED 410)."""
    now = timezone.now()
    link = _use_link(token, OneTimeLink.Purpose.INSTALLATION, now)
    if link is None:
        return link_lookup(token, OneTimeLink.Purpose.INSTALLATION)[0]
    _advance_status(link.account_id, Account.Status.INSTALLED, Actor.client(), audit_text(gettext_noop("the client app reported itself installed")))
    return LinkState.VALID


@dataclass(frozen=True)
class Activation:
    account: Account
    profile: ProvisioningProfile | None
    password: str


@transaction.atomic
def activation_activate(*, token: str) -> Activation | LinkState:
    """The Activate button (W3, P4): use the link, give the account a fresh SIP password (its
    digests change now; the password exists only in the returned configuration), mark it
    Activated and enable wizard accounts. Returns the activation, or why the link is refused."""
    now = timezone.now()
    link = _use_link(token, OneTimeLink.Purpose.ACTIVATION, now)
    if link is None:
        return link_lookup(token, OneTimeLink.Purpose.ACTIVATION)[0]
    password = generate_password()
    account = account_set_password(
        actor=Actor.customer(), account_id=link.account_id, password=password,
        reason=audit_text(gettext_noop("activation: a new SIP password went to the client app")),
    )
    account = account_set_status(
        actor=Actor.customer(), account_id=account.pk, status=Account.Status.ACTIVATED, at=now,
        enable=account.is_wizard, cause=audit_text(gettext_noop("activated from the activation link; a new SIP password went to the client app")),
    )
    account = Account.objects.select_related("group", "group__profile", "profile", "licence").get(pk=account.pk)
    return Activation(account=account, profile=profile_for(account), password=password)
