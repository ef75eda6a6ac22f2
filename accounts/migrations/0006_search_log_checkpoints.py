"""Checkpoints of the search change log, so it can be pruned (accounts/search/changelog.py)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_list_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchLogCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('taken_at', models.DateTimeField()),
                ('position', models.JSONField()),
                ('pruned', models.BooleanField(default=False)),
            ],
        ),
    ]
