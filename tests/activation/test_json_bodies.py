"""The client web service's install report (W2) and the SMS gateway's delivery reports (M2) answer
any body, however deeply nested, oversized or malformed, with their 400 and message: never a
server error, and nothing changes."""
from django.test import Client
from hypothesis import given

from accounts.models import Account
from activation.models import SmsMessage
from tests.fixtures.sms import send_and_deliver
from tests.hostile_input import PROPERTY_SETTINGS, hostile_json_bodies


def anonymous() -> Client:
    client = Client()
    client.raise_request_exception = False
    return client


@PROPERTY_SETTINGS
@given(body=hostile_json_bodies)
def test_the_install_report_refuses_a_hostile_body_with_its_400(wizard_account, body):
    if not SmsMessage.objects.exists():
        send_and_deliver(wizard_account, "installation")
    response = anonymous().post("/client/v1/installed", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": 'Send JSON {"token": "<installation token>"}.'}
    assert Account.objects.get(pk=wizard_account.pk).status == Account.Status.INSTALLATION_SMS_SENT


@PROPERTY_SETTINGS
@given(body=hostile_json_bodies)
def test_the_delivery_report_refuses_a_hostile_body_with_its_400(wizard_account, body):
    from activation.tokens import dlr_signature

    if not SmsMessage.objects.exists():
        send_and_deliver(wizard_account, "installation")
    sms = SmsMessage.objects.get()
    response = anonymous().post(f"/client/v1/sms-status/{sms.pk}/{dlr_signature(sms.pk)}", body,
                                content_type="application/json")
    assert response.status_code == 400
    assert response.content == b'Send JSON {"status": "delivered" | "failed"}.'
    assert SmsMessage.objects.get(pk=sms.pk).state == sms.state
