"""Messages written in Python (service refusals, form errors, search errors, API problems) come out
in the active language: Italian under an Italian request or override, English otherwise."""
import pytest
from django.utils import translation

from accounts.search.language.errors import QuerySyntaxError
from accounts.search.language.parser import parse
from tests.api.conftest import ApiClient, issue_token
from tests.conftest import make_account


def _refusal_of_a_taken_username(personas, username: str) -> str:
    from accounts.services import account_create
    from console.audit import Actor
    from console.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        account_create(actor=Actor.of(personas.operator), group=personas.group,
                       fields={"username": username, "virtual_number": "+390299999999"}, password="s3cret-pass")
    return refused.value.message


def test_a_service_refusal_is_in_italian_under_italian(personas):
    make_account(personas.group, username="4100000001")
    with translation.override("it"):
        message = _refusal_of_a_taken_username(personas, "4100000001")
    assert message == "Il nome utente 4100000001 è già in uso."


def test_a_service_refusal_is_in_english_by_default(personas):
    make_account(personas.group, username="4100000001")
    assert _refusal_of_a_taken_username(personas, "4100000001") == "The username 4100000001 is taken."


def _name_error_of_an_empty_group_form() -> list[str]:
    from groups.forms import GroupForm

    form = GroupForm(data={"name": "", "version": ""})
    assert not form.is_valid()
    return form.errors["name"]


def test_a_form_error_names_the_field_in_italian_under_italian(db):
    with translation.override("it"):
        assert _name_error_of_an_empty_group_form() == ["Compila il campo «nome»."]


def test_a_form_error_names_the_field_in_english_by_default(db):
    assert _name_error_of_an_empty_group_form() == ["Enter the name."]


def test_form_errors_follow_the_language_of_each_form_built_in_turn(db):
    english = _name_error_of_an_empty_group_form()
    with translation.override("it"):
        italian = _name_error_of_an_empty_group_form()
    assert (english, italian, _name_error_of_an_empty_group_form()) == (
        ["Enter the name."], ["Compila il campo «nome»."], ["Enter the name."])


def _syntax_error(query: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as refused:
        parse(query)
    return refused.value


def test_a_search_syntax_error_is_in_italian_but_keeps_lucene_s_syntax():
    with translation.override("it"):
        error = _syntax_error("owner:(rossi")
        text = str(error)
    assert error.message == "Manca la parentesi di chiusura ')'"
    assert text.startswith("Manca la parentesi di chiusura ')' (alla posizione 13). Chiudi ogni '(' con ')'")
    with translation.override("it"):
        unknown = _syntax_error("proprietario:rossi")
    assert unknown.message.startswith("Campo sconosciuto 'proprietario'. Campi validi: ")
    assert "owner" in unknown.message  # field names stay Lucene's, untranslated


def test_a_search_syntax_error_is_in_english_by_default():
    error = _syntax_error("owner:(rossi")
    assert str(error).startswith("Missing closing parenthesis ')' (at position 13). Close every '(' with ')'")


def _create_with_a_taken_username(personas, **headers):
    make_account(personas.group, username="4100000002")
    api = ApiClient(issue_token(personas.operator))
    body = {"username": "4100000002", "password": "Sup3r-secret-sip", "virtual_number": "+390211111111"}
    return api.post(f"/api/v1/groups/{personas.group.pk}/accounts/", body, headers=headers)


def test_an_api_problem_follows_an_italian_accept_language(personas):
    from accounts.models import Account

    response = _create_with_a_taken_username(personas, **{"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})
    problem = response.json()
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert problem["type"] == "about:blank"
    assert problem["title"] == "Richiesta non valida"
    assert problem["detail"] == "Il nome utente 4100000002 è già in uso."
    assert Account.objects.filter(virtual_number="+390211111111").count() == 0


def test_an_api_problem_is_in_english_without_accept_language(personas):
    response = _create_with_a_taken_username(personas)
    problem = response.json()
    assert response.status_code == 400
    assert problem["title"] == "Bad Request"
    assert problem["detail"] == "The username 4100000002 is taken."


def test_the_audit_log_stores_its_message_in_the_console_s_language_and_names_the_action_in_the_reader_s(personas):
    from django.utils import timezone

    from accounts.models import Account
    from accounts.services import StatusChange, accounts_set_status
    from console.audit import Actor, action_label
    from console.models import AuditEntry
    from console.templatetags.console_tags import audit_value

    account = make_account(personas.group)
    with translation.override("it"):  # an Italian operator's request
        accounts_set_status(actor=Actor.of(personas.operator), changes=[
            StatusChange(account_id=account.pk, status=Account.Status.INSTALLED, at=timezone.now())])
    entry = AuditEntry.objects.get(action="account.status", account_id=account.pk)
    assert entry.message == "Installed"
    assert entry.after == {"status": "installed"}
    with translation.override("it"):
        assert (action_label(entry.action), audit_value(entry, "status", "installed")) == ("Stato modificato", "Installato")
    assert (action_label(entry.action), audit_value(entry, "status", "installed")) == ("Status changed", "Installed")
