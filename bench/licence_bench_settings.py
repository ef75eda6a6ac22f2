"""Settings of the licence benchmark's gunicorn: the console's, plus a trivial view as the
framework's ceiling (bench/licence_bench_urls.py). Never used in production."""
from console.settings import *  # noqa: F401,F403

ROOT_URLCONF = "licence_bench_urls"
