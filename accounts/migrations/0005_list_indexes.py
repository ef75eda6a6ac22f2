"""The account list's sort indexes end with the id tie-breaker, so every sort of a group's list,
in either direction, reads a page's ids from an index-only scan (bench/list_pages.py)."""
from django.db import migrations, models

SORT_INDEXES = {
    "account_group_username": ["group", "username", "id"],
    "account_group_owner": ["group", "owner", "id"],
    "account_group_callerid": ["group", "caller_id", "id"],
    "account_group_number": ["group", "virtual_number", "id"],
    "account_group_type": ["group", "account_type", "username", "id"],
    "account_group_enabled": ["group", "enabled", "username", "id"],
    "account_group_status": ["group", "status", "username", "id"],
    "account_group_statusdate": ["group", "status_changed_at", "id"],
}


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_batch")]

    operations = [
        operation
        for name, fields in SORT_INDEXES.items()
        for operation in (
            migrations.RemoveIndex(model_name="account", name=name),
            migrations.AddIndex(model_name="account", index=models.Index(fields=fields, name=name)),
        )
    ]
