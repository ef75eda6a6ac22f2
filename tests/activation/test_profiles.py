"""Provisioning profiles (P1): the default profile, the pages, refusals."""
import pytest

from activation.models import ProvisioningProfile
from activation.services import profile_create, profile_delete, profile_for
from console.audit import Actor
from console.errors import NotAllowedError
from tests.conftest import make_account


def test_a_default_profile_exists_after_installation(db):
    assert ProvisioningProfile.objects.filter(is_default=True).count() == 1


def test_an_account_gets_its_own_profile_else_its_groups_else_the_default(personas):
    default = ProvisioningProfile.objects.get(is_default=True)
    group_profile = profile_create(actor=Actor.system(), fields={"name": "Acme phones"})
    own = profile_create(actor=Actor.system(), fields={"name": "VIP"})
    account = make_account(personas.group)
    assert profile_for(account) == default
    personas.group.profile = group_profile
    personas.group.save()
    account.refresh_from_db()
    assert profile_for(account) == group_profile
    account.profile = own
    assert profile_for(account) == own


def test_making_a_profile_the_default_takes_it_from_the_old_one(db):
    new = profile_create(actor=Actor.system(), fields={"name": "New default", "is_default": True})
    assert list(ProvisioningProfile.objects.filter(is_default=True)) == [new]


def test_a_profile_in_use_cannot_be_deleted(personas):
    profile = profile_create(actor=Actor.system(), fields={"name": "Acme phones"})
    make_account(personas.group, profile=profile)
    with pytest.raises(NotAllowedError, match="in use by 0 groups and 1 account"):
        profile_delete(actor=Actor.system(), profile_id=profile.pk)
    assert ProvisioningProfile.objects.filter(pk=profile.pk).exists()


def test_the_default_profile_cannot_be_deleted(db):
    default = ProvisioningProfile.objects.get(is_default=True)
    with pytest.raises(NotAllowedError, match="system default"):
        profile_delete(actor=Actor.system(), profile_id=default.pk)


def test_the_profile_pages_are_for_administrators_only(personas, client_for):
    assert client_for(None).get("/activation/profiles/").status_code == 302
    assert client_for(personas.operator).get("/activation/profiles/").status_code == 403
    assert client_for(personas.auditor).post("/activation/profiles/new/", {"name": "X"}).status_code == 403
    assert not ProvisioningProfile.objects.filter(name="X").exists()
    page = client_for(personas.administrator).get("/activation/profiles/")
    assert page.status_code == 200 and "System default" in page.content.decode()


def test_an_administrator_creates_edits_and_deletes_a_profile(personas, client_for):
    admin = client_for(personas.administrator)
    response = admin.post("/activation/profiles/new/", {
        "name": "Field staff", "sip_host": "sip.example.net", "sip_port": 5061, "transport": "tls",
        "ios_download_url": "https://apps.example.net/ios",
    })
    assert response.status_code == 302
    profile = ProvisioningProfile.objects.get(name="Field staff")
    response = admin.post(f"/activation/profiles/{profile.pk}/edit/", {
        "name": "Field staff", "sip_host": "sip2.example.net", "sip_port": 5062, "transport": "tcp", "version": profile.version,
    }, follow=True)
    assert "Profile “Field staff” updated." in response.content.decode()
    profile.refresh_from_db()
    assert (profile.sip_host, profile.sip_port, profile.transport) == ("sip2.example.net", 5062, "tcp")
    response = admin.post(f"/activation/profiles/{profile.pk}/delete/", follow=True)
    assert "Profile “Field staff” deleted." in response.content.decode()
    assert not ProvisioningProfile.objects.filter(pk=profile.pk).exists()


def test_a_stale_profile_edit_is_refused_and_overwrites_nothing(personas, client_for):
    profile = profile_create(actor=Actor.system(), fields={"name": "Field staff"})
    admin = client_for(personas.administrator)
    data = {"name": "Field staff", "sip_port": 5061, "transport": "tls", "support_phone": "first"}
    admin.post(f"/activation/profiles/{profile.pk}/edit/", {**data, "version": profile.version})
    response = admin.post(f"/activation/profiles/{profile.pk}/edit/", {**data, "support_phone": "second", "version": profile.version}, follow=True)
    assert "changed by someone else" in response.content.decode()
    profile.refresh_from_db()
    assert profile.support_phone == "first"


def test_a_duplicate_profile_name_is_refused_whatever_its_case(personas, client_for):
    profile_create(actor=Actor.system(), fields={"name": "Field staff"})
    response = client_for(personas.administrator).post("/activation/profiles/new/", {"name": "FIELD STAFF", "sip_port": 5061, "transport": "tls"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert ProvisioningProfile.objects.filter(name__iexact="field staff").count() == 1
