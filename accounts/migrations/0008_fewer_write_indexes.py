"""Fewer indexes on the accounts, so that every write of an account (a bulk action's UPDATE of a
chunk, an import's COPY) maintains fewer of them: the group's own index (every list index leads
with the group) and, on PostgreSQL, the pattern indexes (varchar_pattern_ops) Django adds beside
the unique username and numbers for LIKE 'prefix%' queries, which nothing runs on these columns
(the search has its own index; the SIP server looks usernames up by equality, which the unique
indexes serve)."""
import django.db.models.deletion
from django.db import migrations, models

PATTERN_COLUMNS = ("username", "virtual_number", "secondary_number")


def _pattern_indexes(schema_editor) -> list[tuple[str, str]]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'accounts_account' AND indexdef LIKE %s",
            ["%varchar_pattern_ops%"],
        )
        return cursor.fetchall()


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in _pattern_indexes(schema_editor):
        if any(f"({column} varchar_pattern_ops)" in definition for column in PATTERN_COLUMNS):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in PATTERN_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS accounts_account_{column}_like ON accounts_account ({column} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_recent_status_index'),
        ('groups', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='group',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='accounts', to='groups.group'),
        ),
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
