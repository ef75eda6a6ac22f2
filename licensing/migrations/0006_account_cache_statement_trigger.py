"""The licence cache's trigger on accounts fires once per statement instead of once per row.

It still notifies the id of every account whose watched columns (0003: id, group, username, ha1,
enabled) changed, so each process forgets exactly those accounts. A row trigger made each changed
row call a function that turned the whole old row into JSON to read its id: about an eighth of the
time of a bulk disable's 500-row UPDATE. The statement trigger reads the statement's old and new
rows (the transition tables the fleet's status-count trigger makes PostgreSQL keep anyway) and
notifies the changed ones in one query. PostgreSQL only, like 0003.
"""
from django.db import migrations

FUNCTION = "licensing_client_cache_notify_accounts"
TRIGGER = "licensing_cache_account_update"
WATCHED = ("group_id", "username", "ha1", "enabled")


def _statement_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("accounts", "Account")._meta.db_table)
    old = ", ".join(f"old_row.{column}" for column in WATCHED)
    new = ", ".join(f"new_row.{column}" for column in WATCHED)
    schema_editor.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM pg_notify('licensing_client_cache', old_row.id::text) "
        f"FROM old_rows AS old_row LEFT JOIN new_rows AS new_row ON new_row.id = old_row.id "
        f"WHERE new_row.id IS NULL OR ({old}) IS DISTINCT FROM ({new}); "
        f"RETURN NULL; END $$"
    )
    schema_editor.execute(f"DROP TRIGGER {TRIGGER} ON {table}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    )


def _row_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("accounts", "Account")._meta.db_table)
    columns = ("id", *WATCHED)
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in columns)
    schema_editor.execute(f"DROP TRIGGER {TRIGGER} ON {table}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION licensing_client_cache_notify('id')"
    )
    schema_editor.execute(f"DROP FUNCTION {FUNCTION}()")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0009_field_labels"),
        ("fleet", "0002_status_counts"),
        ("licensing", "0005_field_labels"),
    ]

    operations = [migrations.RunPython(_statement_trigger, _row_trigger)]
