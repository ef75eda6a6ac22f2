"""The lifecycle (A9) driven by activation events: plain and wizard accounts through every state."""
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from accounts.models import Account, StatusEvent
from activation.services import activation_send_sms
from activation.sms.outbox import send_due_sms
from console.audit import Actor
from tests.conftest import requires_postgresql
from tests.fixtures.sms import run_worker_capturing_tokens

S = Account.Status
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def walk_to_activated(account, client) -> list[tuple[str, bool]]:
    """Drive an account from Created to Activated the way the operator, gateway, phone and app do;
    returns (status, enabled) after each step."""
    seen = []

    def note():
        fresh = Account.objects.get(pk=account.pk)
        seen.append((fresh.status, fresh.enabled))

    note()
    activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose="installation")
    note()  # queued: nothing changes until the gateway accepts
    install = run_worker_capturing_tokens()[0]
    note()
    client.get(f"/i/{install}/download", HTTP_USER_AGENT=IPHONE)
    note()
    client.post("/client/v1/installed", {"token": install}, content_type="application/json")
    note()
    activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose="activation")
    activate = run_worker_capturing_tokens()[0]
    note()
    assert client.post(f"/a/{activate}").status_code == 200
    note()
    return seen


def test_a_wizard_account_goes_through_every_state_and_is_enabled_only_at_activated(wizard_account, client):
    assert walk_to_activated(wizard_account, client) == [
        (S.CREATED, False), (S.CREATED, False), (S.INSTALLATION_SMS_SENT, False), (S.INSTALLATION_CLICKED, False),
        (S.INSTALLED, False), (S.ACTIVATION_SMS_SENT, False), (S.ACTIVATED, True),
    ]
    events = list(StatusEvent.objects.filter(account=wizard_account).order_by("at", "id").values_list("status", flat=True))
    assert events == [S.CREATED, S.INSTALLATION_SMS_SENT, S.INSTALLATION_CLICKED, S.INSTALLED, S.ACTIVATION_SMS_SENT, S.ACTIVATED]


def test_a_plain_account_is_enabled_throughout_its_lifecycle(plain_account, client):
    steps = walk_to_activated(plain_account, client)
    assert [status for status, _ in steps] == [
        S.CREATED, S.CREATED, S.INSTALLATION_SMS_SENT, S.INSTALLATION_CLICKED, S.INSTALLED, S.ACTIVATION_SMS_SENT, S.ACTIVATED,
    ]
    assert all(enabled for _, enabled in steps)


def test_the_timeline_shows_the_sms_the_link_and_every_status_change(wizard_account, client, personas, client_for):
    walk_to_activated(wizard_account, client)
    page = client_for(personas.operator).get(f"/accounts/{wizard_account.pk}/?tab=activity").content.decode()
    for text in ("SMS queued", "Installation SMS #", "accepted by the gateway", "download for ios followed",
                 "the client app reported itself installed", "activated from the activation link"):
        assert text in page


@requires_postgresql
def test_the_first_registration_after_activation_makes_the_account_connected(wizard_account, client):
    from accounts.sipserver.registrations import to_kamailio_local
    from accounts.sipserver.tasks import accounts_connect_registered

    walk_to_activated(wizard_account, client)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO location (ruid, username, contact, received, expires, last_modified, user_agent) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            ["ruid-1", wizard_account.username, "sip:x@192.0.2.10:5061", "sip:192.0.2.10:5061",
             to_kamailio_local(now + timedelta(minutes=10)), to_kamailio_local(now + timedelta(seconds=1)), "SecureVoice/1.0"],
        )
    assert accounts_connect_registered() == 1
    account = Account.objects.get(pk=wizard_account.pk)
    assert (account.status, account.enabled) == (S.CONNECTED, True)
    assert send_due_sms() == 0
