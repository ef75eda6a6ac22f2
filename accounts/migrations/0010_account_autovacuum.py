"""PostgreSQL vacuums the accounts table after 2 % of its rows changed instead of 20 %.

A bulk action rewrites tens of thousands of accounts at once. Until vacuum has passed, the
index-only scans that count a group's accounts (the dashboard's licences of a group, a filtered
list's size) visit every rewritten row in the table: the group dashboard at 1,000,000 accounts
took 339 ms right after the bulk benchmark's actions and 53 ms after a vacuum. With the default
scale factor a table of 1,000,000 accounts waits for 200,000 changed rows; now 20,000, so the
next autovacuum round (a minute) takes it up, where autovacuum is on (PostgreSQL's default).
"""
from django.db import migrations

SOONER = "ALTER TABLE accounts_account SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)"
AS_DEFAULT = "ALTER TABLE accounts_account RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)"


def on_postgresql(statement: str):
    """A migration step running `statement` on PostgreSQL; SQLite (the trial database) has no autovacuum."""
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_field_labels")]

    operations = [migrations.RunPython(on_postgresql(SOONER), on_postgresql(AS_DEFAULT))]
