"""Schema for batch import jobs (owned by the batch work)."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_sipserver"),
        ("groups", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file_name', models.CharField(max_length=200)),
                ('stored_name', models.CharField(max_length=64, unique=True)),
                ('sha256', models.CharField(max_length=64)),
                ('size', models.PositiveBigIntegerField()),
                ('send_installation_sms', models.BooleanField(default=False)),
                ('send_activation_sms', models.BooleanField(default=False)),
                ('state', models.CharField(choices=[('check_queued', 'Waiting for the worker to check the file'), ('checking', 'Checking the file'), ('previewed', 'Checked'), ('queued', 'Waiting for the worker'), ('running', 'Importing'), ('done', 'Imported'), ('refused', 'Refused: nothing was written'), ('failed', 'Failed: nothing was written')], default='check_queued', max_length=16)),
                ('row_count', models.PositiveIntegerField(default=0)),
                ('report', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='import_jobs', to='groups.group')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['state', 'created_at'], name='importjob_state')],
            },
        ),
    ]
