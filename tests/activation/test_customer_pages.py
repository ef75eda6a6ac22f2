"""The customer's pages and the client web service (W1-W3, P2-P4): tokens, expiry, previews, headers."""
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from accounts.digests import digests_match
from accounts.models import Account
from activation.models import OneTimeLink
from console.models import AuditEntry
from tests.fixtures.sms import send_and_deliver

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
PREVIEWERS = [
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
]


def status_of(account) -> str:
    return Account.objects.get(pk=account.pk).status


def test_the_installation_page_offers_the_download_of_the_phones_platform(wizard_account, client):
    token = send_and_deliver(wizard_account, "installation")
    iphone = client.get(f"/i/{token}", HTTP_USER_AGENT=IPHONE).content.decode()
    assert "Download for iPhone" in iphone and "download-android" not in iphone
    android = client.get(f"/i/{token}", HTTP_USER_AGENT=ANDROID).content.decode()
    assert "Download for Android" in android and "download-ios" not in android
    desktop = client.get(f"/i/{token}", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64)").content.decode()
    assert "Download for iPhone" in desktop and "Download for Android" in desktop


def test_token_pages_are_never_cached_and_keep_the_referrer_on_the_site(wizard_account, client):
    token = send_and_deliver(wizard_account, "installation")
    for response in (client.get(f"/i/{token}"), client.get("/i/unknown-token-000000000"), client.get(f"/a/{token}")):
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "same-origin"


def test_the_download_button_records_installation_clicked_and_redirects_to_the_store(wizard_account, client):
    token = send_and_deliver(wizard_account, "installation")
    response = client.get(f"/i/{token}/download?platform=ios", HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 302 and response["Location"] == "https://apps.example.net/ios"
    assert status_of(wizard_account) == Account.Status.INSTALLATION_CLICKED


def test_opening_pages_with_get_head_or_a_link_previewer_changes_nothing(wizard_account, client):
    install = send_and_deliver(wizard_account, "installation")
    activate = send_and_deliver(wizard_account, "activation")
    before = (status_of(wizard_account), AuditEntry.objects.count(), list(OneTimeLink.objects.values_list("used_at", "opened_at")))
    for agent in [IPHONE, ANDROID, *PREVIEWERS]:
        assert client.get(f"/a/{activate}", HTTP_USER_AGENT=agent).status_code == 200
        assert client.head(f"/a/{activate}", HTTP_USER_AGENT=agent).status_code == 200
        assert client.get(f"/i/{install}", HTTP_USER_AGENT=agent).status_code == 200
        assert client.head(f"/i/{install}/download?platform=ios", HTTP_USER_AGENT=agent).status_code == 302
    for agent in PREVIEWERS:
        assert client.get(f"/i/{install}/download?platform=ios", HTTP_USER_AGENT=agent).status_code == 302
        client.post(f"/a/{activate}/opened", HTTP_USER_AGENT=agent)
    after = (status_of(wizard_account), AuditEntry.objects.count(), list(OneTimeLink.objects.values_list("used_at", "opened_at")))
    assert after == before


def test_the_pages_script_records_the_link_opened_once_on_the_timeline(wizard_account, client):
    token = send_and_deliver(wizard_account, "installation")
    assert client.post(f"/i/{token}/opened", HTTP_USER_AGENT=IPHONE).status_code == 204
    assert client.post(f"/i/{token}/opened", HTTP_USER_AGENT=IPHONE).status_code == 204
    assert AuditEntry.objects.filter(account_id=wizard_account.pk, action="link.open").count() == 1


def test_the_opened_beacon_before_the_first_press_leaves_the_activation_link_usable(wizard_account, client):
    token = send_and_deliver(wizard_account, "activation")
    assert client.post(f"/a/{token}/opened", HTTP_USER_AGENT=ANDROID).status_code == 204
    response = client.post(f"/a/{token}", HTTP_USER_AGENT=ANDROID)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.sipconsole.provisioning+xml"


def test_activate_hands_over_a_configuration_with_a_fresh_password_and_enables_the_wizard_account(wizard_account, client):
    token = send_and_deliver(wizard_account, "activation")
    assert Account.objects.get(pk=wizard_account.pk).enabled is False
    response = client.post(f"/a/{token}", HTTP_USER_AGENT=ANDROID)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.sipconsole.provisioning+xml"
    assert response["Content-Disposition"].startswith("attachment;")
    document = ElementTree.fromstring(response.content)
    password = document.findtext("account/password")
    account = Account.objects.get(pk=wizard_account.pk)
    assert (account.status, account.enabled) == (Account.Status.ACTIVATED, True)
    assert document.findtext("account/username") == account.username
    assert len(password) >= 16 and digests_match(account.username, password, account.ha1)
    assert document.find("server").attrib == {"host": "sip.voice.example.net", "port": "5061", "transport": "tls"}
    assert document.find("webService").attrib["baseUrl"] == "https://voice.example.net"


def test_a_used_activation_link_shows_a_friendly_page_and_changes_nothing(wizard_account, client):
    token = send_and_deliver(wizard_account, "activation")
    client.post(f"/a/{token}")
    digest = Account.objects.get(pk=wizard_account.pk).ha1
    again = client.post(f"/a/{token}")
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert "Ask your service operator for a new SMS" in client.get(f"/a/{token}").content.decode()
    assert Account.objects.get(pk=wizard_account.pk).ha1 == digest


@pytest.mark.parametrize("offset, works", [(timedelta(seconds=1), True), (timedelta(seconds=-1), False)])
def test_a_link_works_one_second_before_its_expiry_and_not_one_second_after(wizard_account, client, offset, works):
    token = send_and_deliver(wizard_account, "activation")
    OneTimeLink.objects.filter(purpose="activation").update(expires_at=timezone.now() + offset)
    response = client.post(f"/a/{token}")
    if works:
        assert response.status_code == 200
    else:
        assert response.status_code == 410 and "expired" in response.content.decode()
        assert status_of(wizard_account) == Account.Status.ACTIVATION_SMS_SENT


def test_the_install_report_answers_204_then_410_and_404_for_unknown_tokens(wizard_account, client):
    token = send_and_deliver(wizard_account, "installation")
    def post(body):
        return client.post("/client/v1/installed", body, content_type="application/json")

    assert post({"token": token}).status_code == 204
    assert status_of(wizard_account) == Account.Status.INSTALLED
    assert post({"token": token}).status_code == 410
    assert post({"token": "x" * 24}).status_code == 404
    assert post({"nothing": 1}).status_code == 400


def test_an_expired_installation_token_answers_410(wizard_account, client):
    token = send_and_deliver(wizard_account, "installation")
    OneTimeLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/client/v1/installed", {"token": token}, content_type="application/json")
    assert response.status_code == 410
    assert status_of(wizard_account) == Account.Status.INSTALLATION_SMS_SENT


def test_the_activate_form_passes_csrf_with_the_pages_own_token(wizard_account):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    token = send_and_deliver(wizard_account, "activation")
    page = browser.get(f"/a/{token}")
    csrf = page.cookies["csrftoken"].value
    assert browser.post(f"/a/{token}", {"csrfmiddlewaretoken": csrf}).status_code == 200
    assert browser.post(f"/a/{token}").status_code in (403, 410)


def test_a_later_download_click_does_not_put_an_activated_account_back(wizard_account, client):
    install = send_and_deliver(wizard_account, "installation")
    activate = send_and_deliver(wizard_account, "activation")
    client.post(f"/a/{activate}")
    client.get(f"/i/{install}/download?platform=ios", HTTP_USER_AGENT=IPHONE)
    assert status_of(wizard_account) == Account.Status.ACTIVATED


def test_the_configuration_carries_the_licence_key_and_activation_lifts_a_key_revocation(wizard_account, client):
    from console.audit import Actor
    from licensing.models import Licence
    from licensing.services import licence_revoke_keys
    from licensing.signing import key_id, public_key_b64

    licence_revoke_keys(actor=Actor.system(), account_id=wizard_account.pk)
    assert Licence.objects.get(account=wizard_account).keys_revoked is True
    token = send_and_deliver(wizard_account, "activation")
    document = ElementTree.fromstring(client.post(f"/a/{token}", HTTP_USER_AGENT=ANDROID).content)
    web_service = document.find("webService").attrib
    assert (web_service["licenceKey"], web_service["licenceKeyId"]) == (public_key_b64(), key_id())
    licence = Licence.objects.get(account=wizard_account)
    assert (licence.keys_revoked, licence.device_id) == (False, "")
    assert AuditEntry.objects.filter(account_id=wizard_account.pk, action="account.password").count() == 1


def test_disabling_an_account_ends_its_unused_links_so_activate_cannot_re_enable_it(plain_account, client):
    # A plain account: enabled from creation (a wizard account awaiting activation cannot be enabled by hand).
    from accounts.services import account_set_enabled
    from console.audit import Actor

    token = send_and_deliver(plain_account, "activation")
    account_set_enabled(actor=Actor.system(), account_id=plain_account.pk, enabled=False)
    response = client.post(f"/a/{token}")
    assert response.status_code in (404, 410)
    assert Account.objects.get(pk=plain_account.pk).enabled is False
