"""The group of a request under /groups/<id>/ (a create, a list page) is read by a statement the
ORM compiles once per role from Group.objects.visible_to: held to the ORM's own scoped answer,
every field, for every persona, and 404 outside the scope."""
from types import SimpleNamespace

import pytest
from django.http import Http404
from django.urls import get_resolver

from activation.models import ProvisioningProfile
from groups.models import Group

PERSONAS = ("administrator", "operator", "outsider", "auditor")


def visible_group(request, group_id: int) -> Group:
    # Imported as a request imports it, through the URL configuration: imported first,
    # accounts.api would have DRF's settings import the API's renderer from a half-loaded module.
    get_resolver().resolve(f"/api/v1/groups/{group_id}/accounts/")
    from accounts.api import visible_group

    return visible_group(request, group_id)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_group_lookup_reads_the_rows_the_orm_would_in_the_operator_s_scope(personas, persona):
    Group.objects.filter(pk=personas.group.pk).update(profile=ProvisioningProfile.objects.create(name="Acme phones"),
                                                      description="Head office", admin_email="it@acme.example")
    operator = getattr(personas, persona)
    request = SimpleNamespace(user=operator)
    for group in (personas.group, personas.other_group):
        expected = Group.objects.visible_to(operator).filter(pk=group.pk).first()
        if expected is None:
            with pytest.raises(Http404):
                visible_group(request, group.pk)
            continue
        found = visible_group(request, group.pk)
        for field in Group._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
            assert type(getattr(found, field.attname)) is type(getattr(expected, field.attname)), field.name
        assert not found._state.adding


def test_an_unknown_group_is_404_even_for_an_administrator(personas):
    with pytest.raises(Http404):
        visible_group(SimpleNamespace(user=personas.administrator), personas.other_group.pk + 1000)
