"""Statements prepared once per database session (console/prepared_statements.py): the answer of
their SQL sent as it is, one PREPARE a session on PostgreSQL (a rollback keeps it), none elsewhere;
and querysets compiled once whose rows are the ORM's."""
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from console.prepared_statements import PreparedQuery, PreparedStatement
from groups.models import Group
from tests.conftest import on_postgresql, requires_postgresql


def _group_names() -> PreparedStatement:
    """A statement of its own (each test's session may still hold another test's)."""
    quote = connection.ops.quote_name
    return PreparedStatement(
        f"test_group_names_{uuid.uuid4().hex}",
        lambda: f"SELECT {quote('name')} FROM {quote(Group._meta.db_table)} WHERE {quote('id')} >= %s ORDER BY {quote('id')}",
    )


def _rows(statement: PreparedStatement, params: list) -> tuple[list, list[str]]:
    """The statement's rows and the first word of each statement sent for them."""
    with CaptureQueriesContext(connection) as sent, connection.cursor() as cursor:
        statement.execute(cursor, params)
        rows = cursor.fetchall()
    return rows, [query["sql"].split(" ", 1)[0] for query in sent.captured_queries]


def test_a_prepared_statement_answers_as_its_sql_sent_as_it_is(personas):
    statement = _group_names()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [personas.group.pk])
        expected = cursor.fetchall()
    assert expected == [("Acme",), ("Globex",)]
    assert _rows(statement, [personas.group.pk])[0] == expected
    assert _rows(statement, [personas.other_group.pk])[0] == [("Globex",)]


def test_postgresql_prepares_a_statement_at_its_first_use_on_a_session_and_then_runs_it_by_name(personas):
    statement = _group_names()
    sent = [_rows(statement, [personas.group.pk])[1] for _ in range(2)]
    assert sent == ([["PREPARE", "EXECUTE"], ["EXECUTE"]] if on_postgresql() else [["SELECT"], ["SELECT"]])


@requires_postgresql
def test_a_new_session_prepares_the_statement_again(transactional_db, personas):
    statement = _group_names()
    _rows(statement, [personas.group.pk])
    connection.close()  # a new session knows nothing of the last one's statements
    assert _rows(statement, [personas.group.pk]) == ([("Acme",), ("Globex",)], ["PREPARE", "EXECUTE"])
    assert _rows(statement, [personas.group.pk])[1] == ["EXECUTE"]


@requires_postgresql
def test_a_statement_first_prepared_in_a_transaction_that_rolled_back_stays_prepared(personas):
    statement = _group_names()
    with transaction.atomic():
        _rows(statement, [personas.group.pk])
        transaction.set_rollback(True)
    assert _rows(statement, [personas.group.pk]) == ([("Acme",), ("Globex",)], ["EXECUTE"])


def test_a_second_statement_of_the_same_name_is_refused(db):
    statement = _group_names()
    with pytest.raises(ValueError, match="exists already"):
        PreparedStatement(statement.name, lambda: "SELECT 1")


def test_a_prepared_query_reads_the_rows_the_orm_would(personas):
    """Every field of every row, of the type the ORM gives it (the backend's converters applied:
    SQLite returns time stamps without their zone)."""
    query = PreparedQuery(f"test_groups_from_{uuid.uuid4().hex}", lambda first: Group.objects.filter(pk__gte=first).order_by("pk"),
                          placeholders=(-9_000_000_001,))
    for first in (personas.group.pk, personas.other_group.pk, personas.other_group.pk + 1):
        found, expected = query.rows(first), list(Group.objects.filter(pk__gte=first).order_by("pk"))
        assert [group.pk for group in found] == [group.pk for group in expected]
        for row, oracle in zip(found, expected, strict=True):
            for field in Group._meta.concrete_fields:
                assert getattr(row, field.attname) == getattr(oracle, field.attname), field.name
                assert type(getattr(row, field.attname)) is type(getattr(oracle, field.attname)), field.name
            assert not row._state.adding


def test_a_query_that_keeps_a_value_of_its_own_is_refused(db):
    query = PreparedQuery(f"test_named_acme_{uuid.uuid4().hex}", lambda first: Group.objects.filter(pk__gte=first, name="Acme"),
                          placeholders=(-9_000_000_001,))
    with pytest.raises(ValueError, match="must be a placeholder"):
        query.rows(1)
