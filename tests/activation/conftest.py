"""Fixtures of the activation tests: configured Services settings and a wizard account."""
import pytest

from tests.activation.kannel import LocalKannel, kannel_available

from tests.conftest import make_account


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Operator passwords of the personas hash with a fast hasher: these tests are not about them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def services_row(db, profile):
    """Services settings with a public base URL and the console SMS backend (and the system
    default profile, which a transactional test run earlier may have emptied away)."""
    from console.models import ServiceSettings

    row = ServiceSettings.load()
    row.public_base_url = "https://voice.example.net"
    row.sms_backend = ServiceSettings.SmsBackend.CONSOLE
    row.save()
    return row


@pytest.fixture
def profile(db):
    """The system default profile, with the download addresses of the app and a SIP server.
    (Transactional tests empty the tables after each test, the migration's default profile too.)"""
    from activation.models import ProvisioningProfile

    profile, _ = ProvisioningProfile.objects.get_or_create(is_default=True, defaults={"name": "Default"})
    profile.ios_download_url = "https://apps.example.net/ios"
    profile.android_download_url = "https://apps.example.net/android"
    profile.sip_host = "sip.voice.example.net"
    profile.save()
    return profile


@pytest.fixture
def wizard_account(personas, services_row, profile):
    from activation.services import account_create_wizard
    from console.audit import Actor

    return account_create_wizard(
        actor=Actor.of(personas.operator), group=personas.group,
        fields={"owner": "Giulia Verdi", "email": "giulia@example.com", "virtual_number": "+393331234567", "profile": profile},
    )


@pytest.fixture
def plain_account(personas, services_row, profile):
    return make_account(personas.group, owner="Marco Rossi", number="+393339876543")


def send_and_deliver(account, purpose: str) -> str:
    """Queue an SMS for `account`, let the worker send it through the console backend and return
    the token of the link it carries (nothing stores a token, so the test reads it from the text
    the backend was handed)."""
    from activation.services import activation_send_sms
    from console.audit import Actor

    activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose=purpose)
    return run_worker_capturing_tokens()[-1]


def run_worker_capturing_tokens(batch_size: int = 1) -> list[str]:
    """One worker round through a recording gateway, in batches of `batch_size`; returns the link
    tokens of the texts sent."""
    import re

    from activation.sms import outbox
    from activation.sms.gateways import ConsoleGateway
    from activation.sms.config import sms_config

    sent: list[str] = []

    class Recording(ConsoleGateway):
        def send(self, message):
            sent.append(message.text)
            return super().send(message)

    config = sms_config()
    while outbox.send_batch(Recording(), config, size=batch_size):
        pass
    return [re.search(r"/[ia]/([A-Za-z0-9_-]+)", text).group(1) for text in sent if re.search(r"/[ia]/", text)]


@pytest.fixture(scope="session")
def kannel(tmp_path_factory):
    if not kannel_available():
        pytest.skip("needs Kannel: bearerbox, smsbox (kannel) and fakesmsc (kannel-extras)")
    gateway = LocalKannel(tmp_path_factory.mktemp("kannel")).start()
    yield gateway
    gateway.stop()


@pytest.fixture
def via_kannel(kannel, live_server, transactional_db, services_row, settings):
    """Services settings that send through the Kannel, with delivery reports to the live server."""
    from console.models import ServiceSettings

    settings.SMS_RETRY_BASE_SECONDS = 0.3
    settings.SMS_GATEWAY_TIMEOUT = 2.0
    ServiceSettings.objects.update_or_create(pk=1, defaults={
        "public_base_url": live_server.url, "sms_backend": "kannel", "sms_gateway_url": kannel.sendsms_url,
        "sms_username": kannel.username, "sms_password": kannel.password, "sms_sender": "SIPConsole",
    })
    kannel.seen_before_test = len(kannel.received())
    return kannel


