"""The trial's SMS backend (`console`): it sends nothing, but the worker prints each SMS as sent,
link included, so the operator of a trial can open the customer's pages (like Django's console
e-mail backend); the SMS log says so."""
import re
from urllib.parse import urlsplit

from activation.services import activation_send_sms
from activation.sms.outbox import send_due_sms
from console.audit import Actor
from console.models import ServiceSettings


def test_the_worker_prints_the_sms_as_sent_and_its_link_opens_the_customers_page(wizard_account, client, capsys):
    activation_send_sms(actor=Actor.system(), account_id=wizard_account.pk, purpose="installation")
    capsys.readouterr()
    assert send_due_sms() == 1  # the worker's SMS task
    printed = capsys.readouterr().out
    assert f"SMS #{wizard_account.sms_messages.get().pk} to {wizard_account.virtual_number}" in printed
    assert "not sent to a phone" in printed
    link = re.search(r"Install your secure voice app: (https://voice\.example\.net/i/\S+)", printed).group(1)
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200 and "Install the app" in page.content.decode()
    assert wizard_account.sms_messages.get().state == "sent"


def test_the_sms_log_says_where_the_console_backend_puts_the_sms(personas, services_row, client_for):
    page = client_for(personas.operator).get("/activation/sms/").content.decode()
    assert "no SMS reaches a phone" in page and "in its terminal" in page
    services_row.sms_backend = ServiceSettings.SmsBackend.KANNEL
    services_row.sms_gateway_url = "http://127.0.0.1:13013"
    services_row.save()
    assert "no SMS reaches a phone" not in client_for(personas.operator).get("/activation/sms/").content.decode()
