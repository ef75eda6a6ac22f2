"""A default provisioning profile exists after installation (P1)."""
from django.db import migrations


def create_default_profile(apps, schema_editor):
    ProvisioningProfile = apps.get_model("activation", "ProvisioningProfile")
    if not ProvisioningProfile.objects.filter(is_default=True).exists():
        ProvisioningProfile.objects.create(name="Default", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("activation", "0002_links_and_sms")]

    operations = [migrations.RunPython(create_default_profile, migrations.RunPython.noop)]
