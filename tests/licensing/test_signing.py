"""The licence signing key: from LICENCE_SIGNING_KEY, or generated once per installation and kept."""
import base64
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from licensing import signing
from tests.licensing.helpers import verify_answer


def raw_public(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def test_a_key_generated_for_the_installation_is_kept_with_owner_only_permissions(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    signing.clear_cache()
    first = signing.public_key_b64()
    signing.clear_cache()

    assert signing.public_key_b64() == first
    key_file = tmp_path / signing.KEY_FILE_NAME
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(base64.b64decode(first)) == 32


def test_a_pem_key_from_the_environment_is_used(settings):
    key = Ed25519PrivateKey.generate()
    settings.LICENCE_SIGNING_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    signing.clear_cache()

    assert signing.public_key_b64() == raw_public(key)


def test_a_base64_raw_key_from_the_environment_is_used_and_signs_verifiable_answers(settings):
    key = Ed25519PrivateKey.generate()
    settings.LICENCE_SIGNING_KEY = base64.b64encode(
        key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    ).decode()
    signing.clear_cache()
    document = {"status": "valid", "device_id": "d", "nonce": None}

    assert verify_answer({**document, "signature": signing.sign(document)}, raw_public(key))


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"])
def test_an_unusable_configured_key_stops_with_a_message_naming_the_setting(settings, value):
    settings.LICENCE_SIGNING_KEY = value
    signing.clear_cache()

    with pytest.raises(ImproperlyConfigured, match="LICENCE_SIGNING_KEY"):
        signing.public_key_b64()


def test_processes_starting_at_once_agree_on_one_generated_key(tmp_path):
    script = (
        "import django, os; os.environ['VAR_DIR'] = sys.argv[1]; django.setup();"
        "from licensing import signing; print(signing.public_key_b64())"
    )
    root = Path(__file__).resolve().parents[2]
    env_script = f"import sys; {script}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", env_script, str(tmp_path)], cwd=root, stdout=subprocess.PIPE, text=True,
            env={"DJANGO_SETTINGS_MODULE": "console.settings", "PATH": "/usr/bin:/bin"},
        )
        for _ in range(4)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}

    assert len(keys) == 1 and keys != {""}
    assert len(list(tmp_path.glob(".*"))) == 0
