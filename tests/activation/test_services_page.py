"""The SMS parts of the Services page (X1): the live check of the gateway and the test SMS button."""
from activation.checks import check_sms_gateway
from console.models import ServiceSettings


def test_the_console_backend_checks_ok_and_says_it_sends_nothing(services_row):
    ok, message = check_sms_gateway(services_row)
    assert ok and "nothing is sent to phones" in message and "the worker prints each SMS" in message


def test_a_kannel_backend_without_address_or_unreachable_is_reported(services_row):
    services_row.sms_backend = ServiceSettings.SmsBackend.KANNEL
    assert check_sms_gateway(services_row) == (False, "No gateway address is set: SMS cannot be sent.")
    services_row.sms_gateway_url = "http://127.0.0.1:9/cgi-bin/sendsms"
    ok, message = check_sms_gateway(services_row)
    assert not ok and "connection refused" in message


def test_the_services_page_shows_the_gateway_check_and_the_test_sms_form(personas, services_row, client_for):
    page = client_for(personas.administrator).get("/services/").content.decode()
    assert "SMS gateway" in page and "Console backend" in page
    assert "/activation/sms/test/" in page and "Send test SMS" in page
