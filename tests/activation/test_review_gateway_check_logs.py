"""Review: the Services page's live check of Kannel never writes the gateway password to a log line."""
import logging

from console.models import ServiceSettings


def test_the_kannel_check_leaves_the_gateway_password_out_of_every_log_line(via_kannel, caplog):
    from activation.checks import check_sms_gateway

    caplog.set_level(logging.DEBUG)
    row = ServiceSettings.load()
    ok, _ = check_sms_gateway(row)
    assert ok
    lines = [record.getMessage() for record in caplog.records] + caplog.text.splitlines()
    assert any("sendsms" in line for line in lines), "urllib3 logged the request (the check is meaningful)"
    assert [line for line in lines if via_kannel.password in line] == []
