"""Triggers that tell every process's licence cache (licensing/clientcache.py) that what a licence
check reads has changed, whoever changes it. PostgreSQL only: the SQLite trial run has no cache.

An update of a watched column notifies the account's id: each process forgets that account
only, so a device binding or an operator's change costs the other remembered accounts nothing.
Deletions, truncation and new licences notify an empty payload: forget every account (PostgreSQL
folds identical notifications of one transaction into one, so a bulk deletion is one flush).
"""
from django.db import migrations

CHANNEL = "licensing_client_cache"
FUNCTION = "licensing_client_cache_notify"
# What licensing.lookup.ClientAccount holds of an account.
ACCOUNT_FIELDS = ("id", "group", "username", "ha1", "enabled")
# Written by licence checks themselves at most once a minute, without a lock: not a change to announce.
LICENCE_FIELDS_NOT_WATCHED = ("last_checked_at",)
TRIGGERS = {
    "licensing_cache_account_update": "accounts.Account",
    "licensing_cache_account_delete": "accounts.Account",
    "licensing_cache_licence_update": "licensing.Licence",
    "licensing_cache_licence_change": "licensing.Licence",
}


def _changed(columns: list[str], quote) -> str:
    return " OR ".join(f"OLD.{quote(column)} IS DISTINCT FROM NEW.{quote(column)}" for column in columns)


def _row_update_trigger(name: str, table: str, columns: list[str], account_id_column: str, quote) -> str:
    return (
        f"CREATE TRIGGER {name} AFTER UPDATE OF {', '.join(quote(column) for column in columns)} ON {quote(table)} "
        f"FOR EACH ROW WHEN ({_changed(columns, quote)}) EXECUTE FUNCTION {FUNCTION}('{account_id_column}')"
    )


def _statement_trigger(name: str, events: str, table: str, quote) -> str:
    return f"CREATE TRIGGER {name} AFTER {events} ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    account, licence = apps.get_model("accounts", "Account")._meta, apps.get_model("licensing", "Licence")._meta
    account_columns = [account.get_field(name).column for name in ACCOUNT_FIELDS]
    licence_columns = [field.column for field in licence.concrete_fields if field.name not in LICENCE_FIELDS_NOT_WATCHED]
    # A row trigger names the column holding the account's id (its argument); a statement
    # trigger has no row to name.
    schema_editor.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM pg_notify('{CHANNEL}', CASE WHEN TG_LEVEL = 'ROW' THEN to_jsonb(OLD) ->> TG_ARGV[0] ELSE '' END); "
        f"RETURN NULL; END $$"
    )
    schema_editor.execute(_row_update_trigger(
        "licensing_cache_account_update", account.db_table, account_columns, account.pk.column, quote))
    schema_editor.execute(_statement_trigger("licensing_cache_account_delete", "DELETE OR TRUNCATE", account.db_table, quote))
    schema_editor.execute(_row_update_trigger(
        "licensing_cache_licence_update", licence.db_table, licence_columns, licence.get_field("account").column, quote))
    schema_editor.execute(
        _statement_trigger("licensing_cache_licence_change", "INSERT OR DELETE OR TRUNCATE", licence.db_table, quote)
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, model in TRIGGERS.items():
        table = apps.get_model(*model.split("."))._meta.db_table
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {schema_editor.quote_name(table)}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("licensing", "0002_validation"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
