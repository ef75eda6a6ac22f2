import pytest


@pytest.fixture(autouse=True)
def batch_var_dir(settings, tmp_path):
    """Uploads and progress files of each test go to a directory of its own."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


@pytest.fixture
def profile(db):
    from activation.models import ProvisioningProfile

    return ProvisioningProfile.objects.create(name="Field staff", sip_host="sip.example.net")
