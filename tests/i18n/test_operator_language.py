"""Operators choose the console's language (saved with them, else the browser's); the customer's
pages follow the phone; the SMS follow the account's provisioning profile; dates in forms stay ISO."""
from datetime import date

from django.urls import reverse

from activation.models import ProvisioningProfile, SmsMessage
from console.models import AuditEntry, Operator
from licensing.models import Licence
from tests.conftest import make_account
from tests.fixtures.sms import send_and_deliver

GROUPS_PAGE = "/groups/"


def _choose(client, language: str):
    return client.post(reverse("language_set"), {"language": language, "next": GROUPS_PAGE}, follow=True)


def test_an_operator_s_choice_changes_the_language_of_the_next_page_and_is_audited(personas, client_for):
    client = client_for(personas.operator)
    assert "Groups &amp; Accounts" in client.get(GROUPS_PAGE).content.decode()
    page = _choose(client, "it")
    assert page.redirect_chain == [(GROUPS_PAGE, 302)]
    html = page.content.decode()
    assert '<html lang="it">' in html and "Gruppi e account" in html and "Lingua salvata." in html
    assert Operator.objects.get(pk=personas.operator.pk).language == "it"
    entry = AuditEntry.objects.get(action="operator.update", object_id=str(personas.operator.pk))
    assert (entry.before, entry.after) == ({"language": ""}, {"language": "it"})
    assert "Gruppi e account" in client.get(reverse("home")).content.decode()


def test_the_saved_language_wins_over_the_browser_s(personas, client_for):
    Operator.objects.filter(pk=personas.operator.pk).update(language="en-gb")
    page = client_for(personas.operator).get(GROUPS_PAGE, HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9")
    assert "Groups &amp; Accounts" in page.content.decode()


def test_without_a_saved_choice_the_browser_s_language_is_spoken(personas, client_for):
    client = client_for(personas.operator)
    assert "Gruppi e account" in client.get(GROUPS_PAGE, HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9,en;q=0.5").content.decode()
    assert "Groups &amp; Accounts" in client.get(GROUPS_PAGE, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    _choose(client, "")
    assert "Gruppi e account" in client.get(GROUPS_PAGE, HTTP_ACCEPT_LANGUAGE="it").content.decode()


def test_a_language_the_console_lacks_is_refused_with_a_message_and_changes_nothing(personas, client_for):
    Operator.objects.filter(pk=personas.operator.pk).update(language="it")
    client = client_for(personas.operator)
    before = Operator.objects.filter(pk=personas.operator.pk).values().get()
    audited = AuditEntry.objects.count()
    page = _choose(client, "xx-evil")
    assert page.status_code == 200
    assert "Questa lingua non è tra quelle della console." in page.content.decode()
    assert Operator.objects.filter(pk=personas.operator.pk).values().get() == before
    assert AuditEntry.objects.count() == audited


def test_the_language_choice_takes_posts_only_and_returns_only_to_this_site(personas, client_for):
    client = client_for(personas.operator)
    assert client.get(reverse("language_set")).status_code == 405
    response = client.post(reverse("language_set"), {"language": "it", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_the_customer_pages_follow_the_phone_whatever_the_operator_chose(wizard_account, client):
    token = send_and_deliver(wizard_account, "installation")
    italian = client.get(f"/i/{token}", HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9").content.decode()
    assert '<html lang="it">' in italian and "<h1>Installa l'app</h1>" in italian
    english = client.get(f"/i/{token}", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en-gb">' in english and "Install the app" in english


def test_the_sms_is_written_in_the_language_of_the_account_s_profile(personas, services_row, profile):
    italian = ProvisioningProfile.objects.create(name="Italia", sms_language="it")
    personas.group.profile = italian
    personas.group.save()
    account = make_account(personas.group, number="+393330000001")
    send_and_deliver(account, "installation")
    sms = SmsMessage.objects.get(account=account)
    assert (sms.language, sms.text) == ("it", "Installa l'app di voce sicura: https://voice.example.net/i/…")


def test_without_a_profile_of_its_own_the_sms_follows_the_system_default_profile(personas, services_row, profile):
    profile.sms_language = "it"
    profile.save()
    account = make_account(personas.group, number="+393330000002")
    send_and_deliver(account, "activation")
    assert SmsMessage.objects.get(account=account).text.startswith("Attiva l'app di voce sicura: ")
    profile.sms_language = "en-gb"
    profile.save()
    send_and_deliver(account, "installation")
    assert SmsMessage.objects.get(account=account, purpose="installation").text.startswith("Install your secure voice app: ")


def test_in_italian_a_date_input_still_holds_the_iso_date_the_browser_sends_back(personas, client_for):
    Operator.objects.filter(pk=personas.operator.pk).update(language="it")
    account = make_account(personas.group)
    Licence.objects.filter(account=account).update(valid_until=date(2030, 12, 31))
    html = client_for(personas.operator).get(reverse("accounts:account_edit", args=[account.pk])).content.decode()
    assert 'type="date" name="licence_valid_until" value="2030-12-31"' in html
