"""The Send SMS actions, the SMS log and the test SMS (permission matrix and messages)."""
from activation.models import SmsMessage
from activation.services import activation_send_sms
from console.audit import Actor
from tests.conftest import make_account


def url(account, purpose="installation"):
    return f"/activation/accounts/{account.pk}/sms/{purpose}/"


def test_send_sms_needs_a_login_the_group_and_a_writing_role(wizard_account, personas, client_for):
    assert client_for(None).post(url(wizard_account)).status_code == 302
    assert client_for(personas.outsider).post(url(wizard_account)).status_code == 404
    assert client_for(personas.auditor).post(url(wizard_account)).status_code == 403
    assert not SmsMessage.objects.exists()


def test_the_confirmation_page_shows_the_number_and_warns_it_must_be_a_real_mobile(wizard_account, personas, client_for):
    page = client_for(personas.operator).get(url(wizard_account, "activation")).content.decode()
    assert "+393331234567" in page and "must be a real mobile number" in page
    assert not SmsMessage.objects.exists()


def test_an_operator_sends_the_installation_sms_and_sees_a_message(wizard_account, personas, client_for):
    response = client_for(personas.operator).post(url(wizard_account), follow=True)
    assert "Installation SMS for account" in response.content.decode()
    assert SmsMessage.objects.get().purpose == "installation"


def test_a_refused_sms_explains_why_and_writes_nothing(personas, services_row, client_for):
    national = make_account(personas.group, number="0212345678")
    response = client_for(personas.operator).post(url(national), follow=True)
    assert "not in international format" in response.content.decode()
    assert not SmsMessage.objects.exists()


def test_the_account_pages_offer_the_sms_actions_behind_a_confirmation(wizard_account, personas, client_for):
    operator = client_for(personas.operator)
    detail = operator.get(f"/accounts/{wizard_account.pk}/").content.decode()
    assert "Send installation SMS" in detail and "Send activation SMS" in detail and "real mobile number" in detail
    listing = operator.get(f"/accounts/group/{personas.group.pk}/").content.decode()
    assert f"/activation/accounts/{wizard_account.pk}/sms/installation/?next=list" in listing


def test_the_sms_log_shows_administrators_everything_and_operators_their_groups(personas, services_row, client_for):
    mine = make_account(personas.group, number="+393330000001")
    theirs = make_account(personas.other_group, number="+393330000002")
    for account in (mine, theirs):
        activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose="installation")
    assert client_for(None).get("/activation/sms/").status_code == 302
    admin_page = client_for(personas.administrator).get("/activation/sms/").content.decode()
    assert "+393330000001" in admin_page and "+393330000002" in admin_page
    operator_page = client_for(personas.operator).get("/activation/sms/").content.decode()
    assert "+393330000001" in operator_page and "+393330000002" not in operator_page
    filtered = client_for(personas.administrator).get("/activation/sms/?state=delivered").content.decode()
    assert "+393330000001" not in filtered and "No SMS match." in filtered
    searched = client_for(personas.administrator).get("/activation/sms/?q=0000002").content.decode()
    assert "+393330000002" in searched and "+393330000001" not in searched


def test_the_sms_log_costs_the_same_queries_for_one_row_and_for_many(personas, services_row, client_for, django_assert_num_queries):
    admin = client_for(personas.administrator)
    account = make_account(personas.group, number="+393330000003")
    activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose="installation")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        admin.get("/activation/sms/")
    for _ in range(5):
        activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose="activation")
    with django_assert_num_queries(len(one.captured_queries)):
        admin.get("/activation/sms/")


def test_an_administrator_sends_a_test_sms_from_the_services_page(personas, services_row, client_for):
    assert client_for(personas.operator).post("/activation/sms/test/", {"recipient": "+393331112222"}).status_code == 403
    response = client_for(personas.administrator).post("/activation/sms/test/", {"recipient": "+393331112222"}, follow=True)
    assert "Test SMS #" in response.content.decode()
    sms = SmsMessage.objects.get()
    assert (sms.purpose, sms.recipient, sms.account_id) == ("test", "+393331112222", None)
