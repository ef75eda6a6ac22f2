"""The wizard way of creating accounts (A3)."""
from accounts.models import Account
from activation.models import ProvisioningProfile


def wizard_url(group):
    return f"/activation/groups/{group.pk}/wizard/"


def test_the_wizard_needs_a_login_the_group_and_a_writing_role(personas, client_for):
    data = {"owner": "Giulia", "virtual_number": "+393331234567", "security_model": "end_to_end"}
    assert client_for(None).post(wizard_url(personas.group), data).status_code == 302
    assert client_for(personas.outsider).post(wizard_url(personas.group), data).status_code == 404
    assert client_for(personas.auditor).post(wizard_url(personas.group), data).status_code == 403
    assert not Account.objects.exists()


def test_the_wizard_creates_a_disabled_pgsm_account_with_a_generated_username(personas, client_for):
    profile = ProvisioningProfile.objects.get(is_default=True)
    response = client_for(personas.operator).post(wizard_url(personas.group), {
        "owner": "Giulia Verdi", "email": "giulia@example.com", "virtual_number": "+393331234567",
        "security_model": "end_to_end", "profile": profile.pk,
    }, follow=True)
    account = Account.objects.get()
    assert "created the wizard way" in response.content.decode()
    assert (account.creation_method, account.account_type, account.enabled, account.status) == ("wizard", "pgsm", False, "created")
    assert account.username.isdigit() and len(account.username) == 10
    assert account.ha1 == "!" and account.profile == profile


def test_the_wizard_refuses_national_numbers_and_a_group_without_profile_needs_one(personas, client_for):
    from activation.models import ProvisioningProfile

    # A group without a profile of its own gets the system default: here there is none.
    ProvisioningProfile.objects.filter(is_default=True).update(is_default=False)
    operator = client_for(personas.operator)
    page = operator.post(wizard_url(personas.group), {"owner": "G", "virtual_number": "0212345678", "security_model": "end_to_end"})
    content = page.content.decode()
    assert "international number" in content and "Choose the provisioning profile." in content
    assert not Account.objects.exists()


def test_the_group_list_links_to_the_wizard(personas, client_for):
    page = client_for(personas.operator).get(f"/accounts/group/{personas.group.pk}/").content.decode()
    assert wizard_url(personas.group) in page and "New account (wizard)" in page


def test_enabling_a_wizard_account_before_activation_is_refused_and_changes_nothing(wizard_account, personas, client_for):
    from console.models import AuditEntry

    before = AuditEntry.objects.count()
    response = client_for(personas.operator).post(f"/accounts/{wizard_account.pk}/enable/", follow=True)
    assert "it is enabled when the customer activates it" in response.content.decode()
    wizard_account.refresh_from_db()
    assert wizard_account.enabled is False and AuditEntry.objects.count() == before


def test_a_wizard_account_can_be_disabled_and_enabled_again_after_activation(wizard_account, personas, client_for):
    from accounts.services import account_set_status
    from console.audit import Actor

    account_set_status(actor=Actor.system(), account_id=wizard_account.pk, status=Account.Status.ACTIVATED, enable=True)
    client = client_for(personas.operator)
    client.post(f"/accounts/{wizard_account.pk}/disable/")
    client.post(f"/accounts/{wizard_account.pk}/enable/")
    wizard_account.refresh_from_db()
    assert wizard_account.enabled is True
