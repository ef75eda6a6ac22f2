"""CPU cost of one licence validation (POST /client/v1/licence) against the trivial view, through
the real WSGI handler and middleware, in this one process, on PostgreSQL: what the load benchmark's
"CPU per request" shows, without a server or a load generator in between.

    DATABASE_URL=postgres://USER@127.0.0.1:5432/sip_licensing_bench \
        python bench/licence_bench_profile.py [--requests 5000] [--profile licence|trivial] [--top 40]

Uses the accounts and bound licences that bench/licence_load.py writes (run that first, or pass
--prepare). For each endpoint it prints the process CPU time per request, the PostgreSQL backend's
CPU time per request (from /proc, the database on this machine) and the database round trips per
request (statements sent by psycopg2, the health check's included). With --profile it prints
cProfile's busiest functions for that endpoint.
"""
import argparse
import base64
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ["DJANGO_SETTINGS_MODULE"] = "licence_bench_settings"
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="licence-profile-"))
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["LICENCE_RATE_LIMIT_PER_USERNAME"] = os.environ["LICENCE_RATE_LIMIT_PER_ADDRESS"] = str(10**9)

from licence_load import PASSWORD, ensure_database, prepare_data  # noqa: E402


class RoundTrips:
    """Counts the statements psycopg2 sends (each is one round trip in autocommit mode)."""

    count = 0


def counting_connections() -> None:
    import psycopg2.extensions
    from django.db.backends.signals import connection_created

    class CountingCursor(psycopg2.extensions.cursor):
        def execute(self, query, params=None):
            RoundTrips.count += 1
            return super().execute(query, params)

    def install(sender, connection, **kwargs):
        connection.connection.cursor_factory = CountingCursor

    connection_created.connect(install, weak=False)


def environ(path: str, username: str, device: str) -> dict:
    body = json.dumps({"device_id": device}).encode()
    auth = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": f"Basic {auth}",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }


def backend_cpu_seconds() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(application, path: str, clients: list[tuple[str, str]], count: int, profiler=None) -> dict:
    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise SystemExit(f"{path} answered {status}")

    requests = [environ(path, *clients[index % len(clients)]) for index in range(count)]
    db_before, trips_before = backend_cpu_seconds(), RoundTrips.count
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for request in requests:
        response = application(request, start_response)
        b"".join(response)
        response.close()
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
    trips = RoundTrips.count - trips_before
    db = backend_cpu_seconds() - db_before
    return {"cpu_ms": cpu * 1000 / count, "wall_ms": wall * 1000 / count, "db_ms": db * 1000 / count, "trips": trips / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--prepare", action="store_true", help="Write the bench accounts first (as licence_load.py does).")
    parser.add_argument("--profile", choices=["licence", "trivial"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--only", choices=["licence", "trivial"], help="Run one endpoint (e.g. under valgrind --tool=callgrind).")
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://.../sip_licensing_bench (the database bench/licence_load.py writes).")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    counting_connections()
    if arguments.prepare:
        prepare_data(arguments.accounts)
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    connection.close()
    clients = [(f"77{index:08d}", f"device-77{index:08d}") for index in range(arguments.accounts)]
    application = get_wsgi_application()
    paths = {"trivial": "/bench/trivial", "licence": "/client/v1/licence"}
    if arguments.only:
        paths = {arguments.only: paths[arguments.only]}
    for path in paths.values():
        run(application, path, clients, min(500, arguments.requests))
    for name, path in paths.items():
        profiler = cProfile.Profile() if arguments.profile == name else None
        figures = run(application, path, clients, arguments.requests, profiler)
        print(f"{name:8s} CPU {figures['cpu_ms']:.3f} ms/request (wall {figures['wall_ms']:.3f} ms), "
              f"PostgreSQL backend CPU {figures['db_ms']:.3f} ms/request, {figures['trips']:.2f} round trips/request")
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(arguments.top)
            stats.sort_stats("cumulative").print_stats(arguments.top)


if __name__ == "__main__":
    main()
