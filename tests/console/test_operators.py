"""The Operators page (O2): roles, group assignment, one-time passwords; Administrators only."""
import re

from django.test import Client
from django.urls import reverse

from console.models import Operator

NEW_PASSWORD = "my-own-long-passphrase-7"


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_operators_page_lists_each_operator_with_role_and_groups(personas, client_for):
    page = client_for(personas.administrator).get(reverse("operator_list")).content.decode()
    for text in ("alice", "oscar", "olga", "aude", "Administrator", "Auditor", "Acme", "Globex"):
        assert text in page


def test_a_new_operator_gets_a_one_time_password_shown_once_and_must_change_it(personas, client_for):
    admin = client_for(personas.administrator)
    response = admin.post(reverse("operator_create"), {
        "username": "nina", "role": "operator", "account_groups": [str(personas.other_group.pk)], "is_active": "on",
        "email": "nina@example.com"}, follow=True)
    message = next(text for text in _messages(response) if "nina" in text)
    password = re.search(r"\(shown once\): <code[^>]*>(\S+)</code>", message).group(1)
    nina = Operator.objects.get(username="nina")
    assert (nina.role, nina.must_change_password, list(nina.account_groups.all())) == ("operator", True, [personas.other_group])
    assert password not in admin.get(reverse("operator_list")).content.decode()
    client = Client()
    response = client.post(reverse("login"), {"username": "nina", "password": password}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    client.post(reverse("password_change"), {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    groups = client.get(reverse("groups:group_list"))
    assert [group.name for group in groups.context["page"]] == ["Globex"]


def test_an_operator_name_taken_in_another_case_is_refused(personas, client_for):
    response = client_for(personas.administrator).post(reverse("operator_create"), {"username": "OSCAR", "role": "operator"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Operator.objects.filter(username__iexact="oscar").count() == 1


def test_changing_an_operator_s_groups_changes_what_they_see(personas, client_for):
    admin = client_for(personas.administrator)
    admin.post(reverse("operator_edit", args=[personas.operator.pk]), {
        "role": "operator", "account_groups": [str(personas.other_group.pk)], "is_active": "on"})
    response = client_for(personas.operator).get(reverse("accounts:account_list", args=[personas.group.pk]))
    assert response.status_code == 404
    assert client_for(personas.operator).get(reverse("accounts:account_list", args=[personas.other_group.pk])).status_code == 200


def test_an_operator_made_auditor_can_no_longer_write(personas, client_for):
    client_for(personas.administrator).post(reverse("operator_edit", args=[personas.operator.pk]), {
        "role": "auditor", "account_groups": [str(personas.group.pk)], "is_active": "on"})
    assert client_for(personas.operator).get(reverse("accounts:account_create", args=[personas.group.pk])).status_code == 403


def test_an_administrator_cannot_take_the_role_or_access_away_from_themselves(personas, client_for):
    admin = client_for(personas.administrator)
    for data in ({"role": "operator", "is_active": "on"}, {"role": "administrator"}):
        response = admin.post(reverse("operator_edit", args=[personas.administrator.pk]), data)
        assert response.status_code == 200
        assert "cannot take the Administrator role or access away from yourself" in response.content.decode()
    personas.administrator.refresh_from_db()
    assert (personas.administrator.role, personas.administrator.is_active) == ("administrator", True)


def test_a_deactivated_operator_loses_their_open_session(personas, client_for):
    client = Client()
    client.post(reverse("login"), {"username": "oscar", "password": "correct-horse-battery-staple"})
    client_for(personas.administrator).post(reverse("operator_edit", args=[personas.operator.pk]), {
        "role": "operator", "account_groups": [str(personas.group.pk)]})
    assert client.get(reverse("groups:group_list")).status_code == 302


def test_resetting_a_password_shows_a_new_one_time_password_and_forces_a_change(personas, client_for):
    response = client_for(personas.administrator).post(reverse("operator_reset_password", args=[personas.operator.pk]), follow=True)
    message = next(text for text in _messages(response) if "oscar" in text)
    password = re.search(r"\(shown once\): <code[^>]*>(\S+)</code>", message).group(1)
    personas.operator.refresh_from_db()
    assert personas.operator.check_password(password)
    assert personas.operator.must_change_password is True
