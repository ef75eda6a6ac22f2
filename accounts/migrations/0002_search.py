"""Search change log: on PostgreSQL, each row records the transaction that wrote it.

The column is filled by a database default (Django never names it), so the model and the
migration state stay unchanged; accounts/search/changelog.py explains why readers need it.
SQLite serializes writers and needs nothing.
"""
from django.db import migrations

ADD_TXID = (
    "ALTER TABLE accounts_searchchange "
    "ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint)",
    "CREATE INDEX accounts_searchchange_txid ON accounts_searchchange (txid)",
)
DROP_TXID = ("ALTER TABLE accounts_searchchange DROP COLUMN txid",)


def add_transaction_id(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in ADD_TXID:
            schema_editor.execute(statement)


def drop_transaction_id(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP_TXID:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(add_transaction_id, drop_transaction_id)]
