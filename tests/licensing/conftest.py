import pytest

from licensing import signing
from licensing.clientcache import client_cache
from licensing.ratelimit import batched_counter


@pytest.fixture(scope="session")
def licensing_var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("licensing-var")


@pytest.fixture(autouse=True)
def fast_operator_passwords(settings):
    """Operator passwords hashed cheaply: the personas' PBKDF2 hashing would dominate these tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def own_signing_key(settings, licensing_var_dir):
    """Licensing tests sign with a key generated in a temporary VAR_DIR, never the developer's."""
    settings.VAR_DIR = licensing_var_dir
    settings.LICENCE_SIGNING_KEY = ""
    signing.clear_cache()
    yield
    signing.clear_cache()


@pytest.fixture(autouse=True)
def fresh_licence_cache_and_rate_counts():
    """Each test starts as a new process would: nothing remembered, no rate counts in memory. The
    cache's listening connection is closed afterwards, so the test database can be dropped."""
    batched_counter.reset()
    client_cache.close()
    yield
    client_cache.close()
    batched_counter.reset()
