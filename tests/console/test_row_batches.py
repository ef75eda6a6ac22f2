"""Writing a batch of rows in one statement (console.row_batches): updating rows each with values of its
own, and inserting many audit entries at once exactly as they are recorded one by one."""
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activation.models import SmsMessage
from console.audit import Actor, audit_entry, audit_record, audit_record_many
from console.models import AuditEntry
from console.row_batches import rows_update


def _outbox_rows(count: int) -> list[SmsMessage]:
    now = timezone.now()
    return [
        SmsMessage.objects.create(purpose="test", recipient=f"+3900000000{n}", text="Hello", created_at=now, next_attempt_at=now)
        for n in range(count)
    ]


def test_each_row_gets_its_own_values_in_one_statement_as_save_would_store_them(db):
    first, second, bystander = _outbox_rows(3)
    sent_at = timezone.now() - timedelta(minutes=5)
    first.state, first.attempts, first.gateway_id, first.sent_at = "sent", 1, "gw-1", sent_at
    second.state, second.attempts, second.last_error, second.sent_at = "queued", 4, "it's 'quoted'", None
    first.text = second.text = "not saved: not among the fields"
    with CaptureQueriesContext(connection) as queries:
        assert rows_update([first, second], ["state", "attempts", "gateway_id", "last_error", "sent_at"]) == 2
    assert len(queries.captured_queries) == 1
    stored = {sms.pk: sms for sms in SmsMessage.objects.all()}
    assert (stored[first.pk].state, stored[first.pk].attempts, stored[first.pk].gateway_id, stored[first.pk].sent_at) == ("sent", 1, "gw-1", sent_at)
    assert (stored[second.pk].state, stored[second.pk].attempts, stored[second.pk].last_error, stored[second.pk].sent_at) == ("queued", 4, "it's 'quoted'", None)
    assert stored[first.pk].text == stored[second.pk].text == "Hello"
    assert (stored[bystander.pk].state, stored[bystander.pk].attempts) == ("queued", 0)


def test_no_rows_cost_no_statement(db):
    with CaptureQueriesContext(connection) as queries:
        assert rows_update([], ["state"]) == 0
    assert queries.captured_queries == []


def _stored(entry_ids) -> list[dict]:
    return [{key: value for key, value in row.items() if key not in ("id", "at")}
            for row in AuditEntry.objects.filter(pk__in=entry_ids).order_by("pk").values()]


def test_audit_entries_recorded_together_are_stored_as_each_recorded_alone(personas):
    awkward = "Tab\there, line\nbreak, back\\slash, 'quotes', \"double\", Müller & Söhne, \\N, 100%"
    fields = [
        {"actor": Actor.of(personas.operator), "action": "account.update", "obj": personas.group, "account_id": 7,
         "group_id": personas.group.pk, "before": {"owner": awkward, "nested": {"list": [1, None, True]}},
         "after": {"owner": "plain"}, "message": awkward},
        {"actor": Actor.worker(), "action": "sms.queue", "object_type": "smsmessage", "object_id": 9, "object_repr": awkward,
         "before": None, "after": None, "message": ""},
    ]
    alone = [audit_record(**entry).pk for entry in fields]
    known = set(AuditEntry.objects.values_list("pk", flat=True))

    audit_record_many([audit_entry(**entry) for entry in fields])

    together = AuditEntry.objects.exclude(pk__in=known).values_list("pk", flat=True)
    assert len(together) == 2
    assert _stored(together) == _stored(alone)
    assert AuditEntry.objects.filter(pk__in=together, at__isnull=True).count() == 0
