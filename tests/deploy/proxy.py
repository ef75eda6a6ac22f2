"""gunicorn behind nginx for the reverse-proxy test: a self-signed certificate made with openssl,
gunicorn (console.wsgi, 2 sync workers) on the test database, and nginx running the shipped
deploy/nginx/sipconsole.conf rendered with loopback ports and paths of the test's own.

Both run in their own process groups, on free loopback ports, as the current user, and are stopped
by their process ids.
"""
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.sipserver.harness import database_url, free_port, stop_process_group

BASE_DIR = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = BASE_DIR / "deploy" / "nginx" / "sipconsole.conf"
HOST_NAME = "console.example.net"
START_TIMEOUT_SECONDS = 30


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST_NAME and 127.0.0.1, valid for a day."""
    certificate, key = directory / "console.pem", directory / "console.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST_NAME}", "-addext", f"subjectAltName=DNS:{HOST_NAME},IP:127.0.0.1",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=30,
    )
    return certificate, key


@dataclass
class Server:
    """A process started here and the log it writes to."""

    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        stop_process_group(self.process)


def _wait_until_answering(server: Server, url: str, **options) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited:\n{server.log_tail()}")
        try:
            if requests.get(url, timeout=2, **options).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_SECONDS} s:\n{server.log_tail()}")


def start_gunicorn(directory: Path, settings_dict: dict) -> tuple[Server, int]:
    """gunicorn serving the console on the database of `settings_dict`, as the README's
    Production section runs it behind a TLS-terminating proxy; returns it and its port."""
    port = free_port(socket.SOCK_STREAM)
    environment = {
        "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), "LANG": "C.UTF-8",
        "DATABASE_URL": database_url(settings_dict), "VAR_DIR": str(directory / "var"),
        "SEARCH_INDEX_DIR": str(directory / "var" / "search-index"), "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"127.0.0.1,{HOST_NAME}", "HTTPS": "true", "BEHIND_PROXY": "true", "DEBUG": "false",
    }
    log_path = directory / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "console.wsgi:application", "--workers", "2", "--worker-class", "sync",
             "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
            cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = Server(process, log_path)
    _wait_until_answering(server, f"http://127.0.0.1:{port}/healthz")
    return server, port


@dataclass(frozen=True)
class NginxPorts:
    http: int
    https: int


def render_config(*, ports: NginxPorts, upstream_port: int, certificate: Path, key: Path, log_dir: Path) -> str:
    """The shipped site configuration with this test's ports and paths; every line it replaces must
    be there, so a change to the shipped file cannot leave the test running something else."""
    config = SHIPPED_CONFIG.read_text()
    replacements = [
        ("    listen 80;\n", f"    listen 127.0.0.1:{ports.http};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{ports.https} ssl http2;\n"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("/etc/ssl/certs/console.example.net.pem", str(certificate)),
        ("/etc/ssl/private/console.example.net.key", str(key)),
        ("/var/log/nginx/", f"{log_dir}/"),
        ("alias /srv/sipconsole/static/;", f"alias {BASE_DIR / 'static'}/;"),
    ]
    for old, new in replacements:
        assert old in config, f"the shipped nginx configuration no longer has {old!r}"
        config = config.replace(old, new)
    return config


def start_nginx(directory: Path, *, upstream_port: int, certificate: Path, key: Path) -> tuple[Server, NginxPorts]:
    """nginx with the rendered site in a main configuration of its own (pid, logs, temp paths)."""
    ports = NginxPorts(http=free_port(socket.SOCK_STREAM), https=free_port(socket.SOCK_STREAM))
    log_dir = directory / "log"
    log_dir.mkdir()
    (directory / "temp").mkdir()
    (directory / "sipconsole.conf").write_text(
        render_config(ports=ports, upstream_port=upstream_port, certificate=certificate, key=key, log_dir=log_dir)
    )
    temp_paths = "\n".join(f"    {kind}_temp_path {directory / 'temp' / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root nginx would hand its workers to "nobody": keep them this user's, who owns the files.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (directory / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\nerror_log {log_dir / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n{temp_paths}\n"
        f"    access_log {log_dir / 'other.access.log'};\n    include {directory / 'sipconsole.conf'};\n}}\n"
    )
    log_path = log_dir / "nginx.out"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [nginx_binary(), "-p", str(directory), "-e", str(log_dir / "error.log"), "-c", str(directory / "nginx.conf")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = Server(process, log_dir / "error.log")
    _wait_until_answering(server, f"https://127.0.0.1:{ports.https}/healthz", verify=str(certificate))
    return server, ports
