"""The audit log's sentences in the reader's language: each entry keeps its sentence translatable
(msgid and values) beside the English message that search, filters and exports read, and the
timeline and the audit log show it in the operator's language; older entries show their message."""
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from activation.services import activation_send_sms
from console.audit import Actor, audit_record
from console.audit_text import Count, audit_text
from console.models import AuditEntry, Operator
from console.templatetags.console_tags import audit_message
from fleet.selection import Selection
from fleet.services import bulk_parameters, bulk_start
from groups.models import Group
from licensing.models import Licence
from licensing.services import licences_mark_expired
from tests.conftest import make_account


def _speaks_italian(*operators) -> None:
    Operator.objects.filter(pk__in=[operator.pk for operator in operators]).update(language="it")


def _history_written_in_an_italian_request(personas, account) -> Group:
    """An SMS queued, the licence expired and the account moved by a bulk action, all while
    Italian is the active language (as in a request of an Italian operator); returns the new group."""
    north = Group.objects.create(name="Acme North")
    personas.operator.account_groups.add(north)
    Licence.objects.filter(account=account).update(valid_until=timezone.localdate() - timedelta(days=3))
    with translation.override("it"):
        activation_send_sms(actor=Actor.of(personas.operator), account_id=account.pk, purpose="installation")
        licences_mark_expired(actor=Actor.system(), today=timezone.localdate())
        bulk_start(operator=personas.operator, action="move", selection=Selection(account_ids=(account.pk,)),
                   parameters=bulk_parameters(operator=personas.operator, action="move", group_id=str(north.pk)))
    return north


def test_the_timeline_tells_an_italian_operator_the_sms_the_licence_expiry_and_the_move_in_italian(
    personas, client_for, services_row
):
    account = make_account(personas.group, number="+393331234567")
    _history_written_in_an_italian_request(personas, account)
    _speaks_italian(personas.operator)
    expiry = f"{timezone.localdate() - timedelta(days=3):%Y-%m-%d}"

    page = client_for(personas.operator).get(reverse("accounts:account_detail", args=[account.pk]) + "?tab=activity")

    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="it">' in html
    sms = AuditEntry.objects.get(action="sms.queue", account_id=account.pk)
    batch_id = AuditEntry.objects.get(action="bulk.move").object_id
    assert f"SMS di installazione n. {sms.object_id} in coda per +393331234567." in html
    assert f"Licenza scaduta (valida fino al {expiry})." in html
    assert f"Spostato da Acme a Acme North. Azione di massa n. {batch_id}." in html
    assert "queued for" not in html and "Licence expired" not in html and "Moved from" not in html


def test_the_stored_message_stays_english_for_search_filters_and_exports(personas, services_row):
    account = make_account(personas.group, number="+393331234568")
    _history_written_in_an_italian_request(personas, account)

    messages = dict(AuditEntry.objects.filter(account_id=account.pk).values_list("action", "message"))
    sms = AuditEntry.objects.get(action="sms.queue", account_id=account.pk)
    batch_id = AuditEntry.objects.get(action="bulk.move").object_id
    assert messages["sms.queue"] == f"Installation SMS #{sms.object_id} queued for +393331234568."
    assert messages["licence.expire"].startswith("Licence expired (valid until ")
    assert messages["account.move"] == f"Moved from Acme to Acme North. Bulk action #{batch_id}."
    assert sms.message_text["msgid"] == "%(purpose)s #%(sms)s queued for %(recipient)s. %(reason)s"


def test_the_audit_log_shows_an_italian_administrator_the_sentences_in_italian(personas, client_for, services_row):
    account = make_account(personas.group, number="+393331234569")
    _history_written_in_an_italian_request(personas, account)
    _speaks_italian(personas.administrator)
    batch_id = AuditEntry.objects.get(action="bulk.move").object_id

    html = client_for(personas.administrator).get(reverse("audit_list")).content.decode()

    assert "Licenza scaduta (valida fino al " in html
    assert f"Sposta in un altro gruppo (azione di massa n. {batch_id}), account: 1." in html
    assert "Azione di massa: sposta in un altro gruppo" in html
    assert "Licence expired (" not in html and "(bulk action #" not in html


def test_an_entry_written_before_sentences_were_kept_shows_its_stored_message(personas, client_for):
    account = make_account(personas.group)
    AuditEntry.objects.create(actor_kind=AuditEntry.ActorKind.SYSTEM, actor_label="system", action="account.update",
                              object_type="account", object_id=account.pk, account_id=account.pk,
                              message="Written in English before the sentences were kept")
    _speaks_italian(personas.operator)

    html = client_for(personas.operator).get(reverse("accounts:account_detail", args=[account.pk]) + "?tab=activity").content.decode()

    assert "Written in English before the sentences were kept" in html


def test_a_sentence_whose_translation_names_a_missing_value_falls_back_to_the_stored_message(personas):
    entry = audit_record(actor=Actor.system(), action="account.update", object_type="account",
                         message=audit_text(gettext_noop("Moved from %(old_group)s to %(new_group)s. %(reason)s"),
                                            old_group="A", new_group="B", reason=""))
    entry.message_text["values"].pop("new_group")

    with translation.override("it"):
        assert audit_message(entry) == "Moved from A to B."


def test_counts_follow_the_reader_s_digit_grouping_and_typed_text_stays_as_typed():
    sentence = audit_text(gettext_noop("%(action)s (bulk action #%(batch)s), accounts: %(count)s."),
                          action="Quarantena — as typed", batch=1240, count=Count(1240))
    with translation.override("it"):
        assert str(sentence) == "Quarantena — as typed (azione di massa n. 1240), account: 1.240."
    with translation.override("en-gb"):
        assert str(sentence) == "Quarantena — as typed (bulk action #1240), accounts: 1,240."
