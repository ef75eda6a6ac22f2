"""A group without a profile of its own uses the system default everywhere (P1), as the profiles
page promises: the CSV importer, the wizard, the forms that offer the choice, the account page."""
import io

import pytest

from accounts.batch.importer import ImportOptions, accounts_import
from accounts.models import Account
from activation.models import ProvisioningProfile
from activation.services import account_create_wizard, profile_for
from console.audit import Actor
from console.errors import ServiceError
from tests.batch.helpers import csv_bytes, wizard_row
from tests.conftest import make_account


@pytest.fixture
def system_default(db):
    return ProvisioningProfile.objects.get(is_default=True)


@pytest.fixture(autouse=True)
def batch_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()


def import_csv(group, data: bytes):
    return accounts_import(actor=Actor.system(), group=group, stream=io.BytesIO(data), dry_run=False,
                           options=ImportOptions(), source_name="test.csv")


def test_password_less_rows_into_a_group_without_a_profile_get_the_system_default(personas, system_default):
    assert personas.group.profile is None
    report = import_csv(personas.group, csv_bytes([wizard_row(1), wizard_row(2)]))
    assert report.committed, report.problems
    accounts = Account.objects.filter(group=personas.group, creation_method=Account.CreationMethod.WIZARD)
    assert accounts.count() == 2
    assert all(profile_for(account) == system_default for account in accounts)


def test_without_a_system_default_such_rows_are_refused_with_a_way_out_and_nothing_is_written(personas, system_default):
    ProvisioningProfile.objects.filter(pk=system_default.pk).update(is_default=False)
    report = import_csv(personas.group, csv_bytes([wizard_row(1)]))
    assert not report.committed
    assert any("make one the system default" in problem.message for problem in report.problems)
    assert not Account.objects.filter(group=personas.group).exists()


def test_the_wizard_creates_an_account_in_a_group_without_a_profile_with_the_system_default(personas, system_default):
    account = account_create_wizard(actor=Actor.of(personas.operator), group=personas.group,
                                    fields={"virtual_number": "+393331234567", "owner": "Anna"})
    assert account.profile is None and profile_for(account) == system_default


def test_the_wizard_refuses_when_neither_the_group_nor_the_system_has_a_profile(personas, system_default):
    ProvisioningProfile.objects.filter(pk=system_default.pk).update(is_default=False)
    with pytest.raises(ServiceError, match="nor the system has a provisioning profile"):
        account_create_wizard(actor=Actor.of(personas.operator), group=personas.group,
                              fields={"virtual_number": "+393331234567", "owner": "Anna"})
    assert not Account.objects.filter(group=personas.group).exists()


def test_the_group_form_preselects_the_system_default_by_name(client_for, personas, system_default):
    page = client_for(personas.administrator).get(f"/groups/{personas.group.pk}/edit/").content.decode()
    assert f'<option value="" selected>The system default ({system_default.name})</option>' in page


def test_the_wizard_form_offers_the_system_default_instead_of_demanding_a_choice(client_for, personas, system_default):
    response = client_for(personas.operator).post(f"/activation/groups/{personas.group.pk}/wizard/", {
        "virtual_number": "+393339876543", "owner": "Bruno", "security_model": "end_to_end", "profile": "",
    })
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    account = Account.objects.get(virtual_number="+393339876543")
    assert account.profile is None and profile_for(account) == system_default


def test_the_account_page_and_edit_form_name_the_profile_an_account_without_its_own_gets(client_for, personas, system_default):
    account = make_account(personas.group)
    client = client_for(personas.operator)
    assert f"The system default ({system_default.name})" in client.get(f"/accounts/{account.pk}/").content.decode()
    group_profile = ProvisioningProfile.objects.create(name="Acme phones")
    personas.group.profile = group_profile
    personas.group.save()
    assert "The group&#x27;s profile (Acme phones)" in client.get(f"/accounts/{account.pk}/edit/").content.decode()
