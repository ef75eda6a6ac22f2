"""Schema for batch import jobs (owned by the batch work)."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_sipserver")]

    operations: list = []
