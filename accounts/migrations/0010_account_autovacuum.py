"""PostgreSQL vacuums the accounts table after 2 % of its rows changed instead of 20 %.

A bulk action rewrites tens of thousands of accounts at once. Until vacuum has passed, the
index-only scans that count a group's accounts (the dashboard's licences of a group, a filtered
list's size) visit every rewritten row in the table: the group dashboard at 1,000,000 accounts
took 339 ms right after the bulk benchmark's actions and 53 ms after a vacuum. With the default
scale factor a table of 1,000,000 accounts waits for 200,000 changed rows; now 20,000, so the
next autovacuum round (a minute) takes it up, where autovacuum is on (PostgreSQL's default).
"""
from django.db import migrations

ACCOUNT_TABLES = ("accounts_account",)


def vacuum_sooner(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (the trial database) has no autovacuum
    for table in ACCOUNT_TABLES:
        schema_editor.execute(
            f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)"
        )


def vacuum_as_default(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ACCOUNT_TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_field_labels")]

    operations = [migrations.RunPython(vacuum_sooner, vacuum_as_default)]
