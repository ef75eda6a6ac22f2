"""Group pages (G1, G2): the list, create, edit without lost updates, delete."""
import pytest
from django.urls import reverse

from groups.models import Group
from tests.conftest import make_account
from tests.console.payloads import group_data

# Session, operator, COUNT, the page of groups, and the session save (savepoint, update, release):
# the same for 1 group and for 50.
GROUP_LIST_QUERIES = 7


@pytest.fixture
def admin_client(personas, client_for):
    return client_for(personas.administrator)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_group_list_shows_each_group_s_columns_and_its_accounts_link(personas, admin_client):
    from activation.models import ProvisioningProfile

    profile = ProvisioningProfile.objects.create(name="Mobile TLS")
    Group.objects.filter(pk=personas.group.pk).update(admin_email="it@acme.example", profile=profile)
    make_account(personas.group)
    make_account(personas.group)
    page = admin_client.get(reverse("groups:group_list")).content.decode()
    assert "it@acme.example" in page
    assert "Mobile TLS" in page
    assert reverse("accounts:account_list", args=[personas.group.pk]) in page
    row = admin_client.get(reverse("groups:group_list")).context["page"].object_list
    counts = {group.name: group.account_count for group in row}
    assert counts["Acme"] == 2
    assert counts["Globex"] == 0


def test_an_operator_sees_only_the_groups_assigned_to_them(personas, client_for):
    response = client_for(personas.operator).get(reverse("groups:group_list"))
    names = [group.name for group in response.context["page"]]
    assert names == ["Acme"]
    assert "New group" not in response.content.decode()


@pytest.mark.parametrize(("sort", "expected"), [
    ("name", ["Acme", "Globex", "Zeta"]),
    ("-name", ["Zeta", "Globex", "Acme"]),
    ("-accounts", ["Zeta", "Acme", "Globex"]),
    ("nonsense", ["Acme", "Globex", "Zeta"]),
])
def test_the_group_list_sorts_by_the_chosen_column(personas, admin_client, sort, expected):
    zeta = Group.objects.create(name="Zeta")
    make_account(zeta)
    make_account(zeta)
    make_account(personas.group)
    response = admin_client.get(reverse("groups:group_list"), {"sort": sort})
    assert [group.name for group in response.context["page"]] == expected


def test_the_group_list_is_paginated(personas, admin_client):
    Group.objects.bulk_create(Group(name=f"Group {index:03d}") for index in range(60))
    first = admin_client.get(reverse("groups:group_list"))
    last = admin_client.get(reverse("groups:group_list"), {"page": "2"})
    assert len(first.context["page"]) == 50
    assert len(last.context["page"]) == 12
    assert "Page 1 of 2" in first.content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_the_group_list_costs_the_same_queries_for_1_and_50_groups(personas, client_for, django_assert_num_queries, count):
    Group.objects.exclude(pk=personas.group.pk).delete()
    for index in range(count - 1):
        group = Group.objects.create(name=f"Group {index:03d}")
        make_account(group)
    make_account(personas.group)
    client = client_for(personas.administrator)
    with django_assert_num_queries(GROUP_LIST_QUERIES):
        response = client.get(reverse("groups:group_list"))
    assert len(response.context["page"]) == count


def test_creating_a_group_names_it_and_its_id_in_the_message(personas, admin_client):
    response = admin_client.post(reverse("groups:group_create"), group_data(name="Initech"), follow=True)
    group = Group.objects.get(name="Initech")
    assert f"Group “Initech” created with id {group.pk}." in _messages(response)
    assert response.redirect_chain[-1][0] == reverse("groups:group_list")


def test_only_the_name_is_mandatory(personas, admin_client):
    response = admin_client.post(reverse("groups:group_create"), {"name": "Bare"})
    assert response.status_code == 302
    assert Group.objects.get(name="Bare").admin_email == ""


def test_a_group_name_taken_in_another_case_is_refused(personas, admin_client):
    response = admin_client.post(reverse("groups:group_create"), group_data(name="ACME"))
    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors["name"])
    assert Group.objects.count() == 2


def test_an_empty_name_is_refused(personas, admin_client):
    response = admin_client.post(reverse("groups:group_create"), group_data(name="   "))
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert Group.objects.count() == 2


def test_editing_a_group_saves_the_change_and_says_so(personas, admin_client):
    response = admin_client.post(
        reverse("groups:group_edit", args=[personas.group.pk]),
        group_data(personas.group, name="Acme Corp", admin_email="ops@acme.example"), follow=True,
    )
    personas.group.refresh_from_db()
    assert (personas.group.name, personas.group.admin_email, personas.group.version) == ("Acme Corp", "ops@acme.example", 2)
    assert "Group “Acme Corp” updated." in _messages(response)


def test_renaming_a_group_to_another_group_s_name_is_refused(personas, admin_client):
    response = admin_client.post(reverse("groups:group_edit", args=[personas.group.pk]), group_data(personas.group, name="globex"))
    assert response.status_code == 200
    personas.group.refresh_from_db()
    assert personas.group.name == "Acme"


def test_a_second_edit_made_from_the_same_version_is_refused_and_the_first_stays(personas, admin_client, client_for):
    url = reverse("groups:group_edit", args=[personas.group.pk])
    first_form = group_data(personas.group, admin_email="first@acme.example")
    second_form = group_data(personas.group, admin_email="second@acme.example")
    assert admin_client.post(url, first_form).status_code == 302
    other_admin = client_for(personas.administrator)
    response = other_admin.post(url, second_form)
    assert response.status_code == 200
    assert "was changed by someone else" in " ".join(response.context["form"].non_field_errors())
    assert "was changed by someone else" in response.content.decode()
    personas.group.refresh_from_db()
    assert personas.group.admin_email == "first@acme.example"
    assert personas.group.version == 2


def test_deleting_a_group_that_holds_accounts_is_refused_with_the_count(personas, admin_client):
    make_account(personas.group)
    make_account(personas.group)
    response = admin_client.post(reverse("groups:group_delete", args=[personas.group.pk]), follow=True)
    assert Group.objects.filter(pk=personas.group.pk).exists()
    assert any("still holds 2 accounts" in text for text in _messages(response))
    assert [message.level_tag for message in response.context["messages"]] == ["danger"]


def test_deleting_an_empty_group_shows_a_warning_style_message(personas, admin_client):
    response = admin_client.post(reverse("groups:group_delete", args=[personas.other_group.pk]), follow=True)
    assert not Group.objects.filter(pk=personas.other_group.pk).exists()
    messages = list(response.context["messages"])
    assert [(message.level_tag, str(message)) for message in messages] == [("warning", "Group “Globex” was deleted.")]
    assert "alert-warning" in response.content.decode()


def test_the_delete_button_opens_a_pop_up_and_falls_back_to_a_confirmation_page(personas, admin_client):
    delete_url = reverse("groups:group_delete", args=[personas.other_group.pk])
    page = admin_client.get(reverse("groups:group_list")).content.decode()
    assert f'href="{delete_url}"' in page
    assert f'data-confirm-modal="#confirm-dialog" data-confirm-action="{delete_url}"' in page
    assert '<div class="modal fade" id="confirm-dialog"' in page
    confirmation = admin_client.get(delete_url)
    assert confirmation.status_code == 200
    assert "Delete the group “Globex”?" in confirmation.content.decode()
    assert Group.objects.filter(pk=personas.other_group.pk).exists()
