"""Statements of a hot path that PostgreSQL parses and plans once per database session.

Every API request looks its token up and counts it, a request under /groups/<id>/ reads its
group in the operator's scope, and an idempotent create claims its key and keeps its answer:
small statements for which PostgreSQL spent about as long planning as running them
(bench/api.py). A PreparedStatement is PREPAREd on its first use on a connection and then
EXECUTEd by name with the request's values; elsewhere (the SQLite trial run) its SQL is sent as
it is. Its SQL is written once, with `%s` placeholders, for both. A PreparedQuery is one whose
SQL the ORM writes, from a queryset, once per process.

A prepared statement lives as long as its database session (a rollback does not undo a PREPARE):
as for the licence service's statement (licensing/lookup.py), a pooler between the app and the
database must keep sessions (pgbouncer's session pooling), and app servers are restarted after a
migration that changes a table such a statement reads.
"""
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.db import connection
from django.db.models import Model, QuerySet

_NAMES: set[str] = set()


class PreparedStatement:
    def __init__(self, name: str, sql: Callable[[], str]):
        """`name` is the statement's name in each session; `sql` builds its text, with `%s`
        placeholders, when it is first needed (quoting needs the connection). Make each statement
        once, at import: a second one of the same name would be refused by a session that has
        the first."""
        if name in _NAMES:
            raise ValueError(f"A prepared statement named {name} exists already.")
        _NAMES.add(name)
        self.name = name
        self._sql = sql
        self._text: str | None = None
        self._prepared_on: weakref.WeakSet = weakref.WeakSet()

    @property
    def sql(self) -> str:
        if self._text is None:
            self._text = self._sql()
        return self._text

    def execute(self, cursor, params: Sequence) -> None:
        """Run the statement with `params` on `cursor` (a Django cursor); read its rows from the cursor."""
        db = cursor.db
        if db.vendor != "postgresql":
            cursor.execute(self.sql, params)
            return
        if db.connection not in self._prepared_on:
            numbered = self.sql % tuple(f"${number}" for number in range(1, len(params) + 1))
            cursor.execute(f"PREPARE {self.name} AS {numbered}")
            self._prepared_on.add(db.connection)
        cursor.execute(f"EXECUTE {self.name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {self.name}", params)


def converted(row: Sequence, converters: Sequence[tuple[int, list, object]]) -> list:
    """`row` with the backend's converters applied to the columns that have some, as the ORM
    applies them (SQLite's time stamps come back without their zone, for instance)."""
    values = list(row)
    for index, functions, expression in converters:
        for function in functions:
            values[index] = function(values[index], expression, connection)
    return values


@dataclass(frozen=True)
class _CompiledQuery:
    sql: str
    order: list[int]  # the index among the placeholders of each parameter of `sql`
    names: list[str]  # the model's attribute of each column
    converters: list[tuple[int, list, object]]
    model: type[Model]


class PreparedQuery:
    """A queryset of one model's rows, compiled by the ORM once per process and then run as a
    PreparedStatement: for a lookup made on every request of a kind, whose query building cost
    more than its round trip. The ORM stays the source of truth of what it asks (a scope, for
    instance): `queryset` is called once, with `placeholders` (values no constant of the query
    equals) in place of the values that change, and each placeholder's place among the compiled
    parameters is remembered."""

    def __init__(self, name: str, queryset: Callable[..., QuerySet], placeholders: Sequence):
        self._queryset = queryset
        self._placeholders = tuple(placeholders)
        self._statement = PreparedStatement(name, lambda: self._compiled.sql)

    @cached_property
    def _compiled(self) -> _CompiledQuery:
        queryset = self._queryset(*self._placeholders)
        compiler = queryset.query.get_compiler(connection.alias)
        sql, params = compiler.as_sql()
        if not set(params) <= set(self._placeholders):
            raise ValueError(f"{self._statement.name}: every parameter of the query must be a placeholder, not {params}.")
        columns = [column for column, _sql, _alias in compiler.select]
        return _CompiledQuery(
            sql=sql,
            order=[self._placeholders.index(value) for value in params],
            names=[column.target.attname for column in columns],
            converters=[(index, found, column) for index, (found, column) in compiler.get_converters(columns).items()],
            model=queryset.model,
        )

    def rows(self, *values) -> list[Model]:
        """The model's instances the queryset finds with `values` in place of the placeholders."""
        compiled = self._compiled
        with connection.cursor() as cursor:
            self._statement.execute(cursor, [values[index] for index in compiled.order])
            rows = cursor.fetchall()
        return [compiled.model.from_db(connection.alias, compiled.names, converted(row, compiled.converters)) for row in rows]
