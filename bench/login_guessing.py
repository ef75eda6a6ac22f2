"""Password guessing against a live console on loopback: how far login throttling lets a guesser
go, and whether the real Administrator still gets in.

    python bench/login_guessing.py [--guesses 50] [--pace-seconds 60]

Starts the console (`manage.py runserver`) on a free loopback port with a fresh SQLite database in
a temporary folder and the throttling settings of the environment (the defaults unless set),
creates the Administrator `admin` and a colleague, then, with different loopback source addresses
standing for different client addresses (127.0.0.0/8 is all loopback):
  1. the guesser sends --guesses wrong passwords for `admin` from 127.0.0.1 as fast as it can and
     counts how many the console checked and how many it refused unchecked (429);
  2. the real Administrator logs in from 127.0.0.2 at once;
  3. a colleague logs in from 127.0.0.1 (the guesser's address: a shared NAT) at once;
  4. the real Administrator logs in from 127.0.0.1 after the wait the console announced;
  5. with --pace-seconds N > 0, a patient guesser at 127.0.0.3 sends a wrong password whenever
     the console allows, for N seconds, and its count is compared with the bound of the policy;
  6. prints the most guesses per hour and per day the delays allow per (username, address) and
     per address. Exits 1 when the real Administrator was kept out or the guesser beat the bound.
Only loopback, a bounded number of requests; the server is stopped at the end.
"""
import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))
PASSWORD = "real-administrator-passphrase-8"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One client at one loopback source address, keeping its cookies, speaking to the console."""

    def __init__(self, port: int, source: str):
        self.port, self.source, self.cookies = port, source, SimpleCookie()

    def _request(self, method: str, path: str, body: str | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{key}={morsel.value}" for key, morsel in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        connection.close()
        return response

    def log_in(self, username: str, password: str) -> http.client.HTTPResponse:
        page = self._request("GET", "/login/")
        token = TOKEN.search(page.text).group(1)
        return self._request("POST", "/login/", urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_console(folder: Path, port: int) -> subprocess.Popen:
    environment = {**os.environ, "VAR_DIR": str(folder), "DATABASE_URL": f"sqlite:///{folder}/console.sqlite3",
                   "DJANGO_SETTINGS_MODULE": "console.settings", "LOG_LEVEL": "ERROR"}
    os.environ.update(environment)
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=environment, check=True)
    subprocess.run([*manage, "shell", "--no-imports", "-c", (
        "from console.models import Operator; "
        f"Operator.objects.create_user(username='admin', password='{PASSWORD}', role='administrator'); "
        f"Operator.objects.create_user(username='colleague', password='{PASSWORD}', role='operator')"
    )], env=environment, check=True)
    server = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("the console did not start")


def burst(port: int, guesses: int) -> tuple[int, int, int]:
    """Step 1: (checked, refused, the last Retry-After)."""
    guesser = Browser(port, "127.0.0.1")
    statuses, retry_after = [], 0
    for n in range(guesses):
        response = guesser.log_in("admin", f"guess-{n:04d}")
        statuses.append(response.status)
        retry_after = int(response.headers.get("Retry-After") or 0) or retry_after
    return statuses.count(200), statuses.count(429), retry_after


def patient_guesser(port: int, seconds: float) -> int:
    """Step 5: wrong passwords whenever allowed for `seconds`; returns how many were checked."""
    guesser, checked, end = Browser(port, "127.0.0.3"), 0, time.monotonic() + seconds
    while time.monotonic() < end:
        response = guesser.log_in("admin", f"patient-{checked:04d}")
        if response.status == 429:
            time.sleep(min(float(response.headers["Retry-After"]), max(0.0, end - time.monotonic())))
        else:
            checked += 1
    return checked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guesses", type=int, default=50)
    parser.add_argument("--pace-seconds", type=float, default=60.0)
    arguments = parser.parse_args()
    folder, port = Path(tempfile.mkdtemp(prefix="login-guessing-")), free_port()
    server = start_console(folder, port)
    try:
        import django

        django.setup()
        from django.conf import settings

        from console.throttle import address_policy, pair_policy

        checked, refused, retry_after = burst(port, arguments.guesses)
        print(f"1. guesser at 127.0.0.1: {arguments.guesses} wrong passwords for admin -> {checked} checked, "
              f"{refused} refused unchecked (next attempt in {retry_after} s)")
        elsewhere = Browser(port, "127.0.0.2").log_in("admin", PASSWORD).status
        print(f"2. admin from 127.0.0.2 at once: {'logged in' if elsewhere == 302 else f'REFUSED ({elsewhere})'}")
        colleague = Browser(port, "127.0.0.1").log_in("colleague", PASSWORD).status
        print(f"3. colleague from 127.0.0.1 at once: {'logged in' if colleague == 302 else f'REFUSED ({colleague})'}")
        time.sleep(retry_after)
        same = Browser(port, "127.0.0.1").log_in("admin", PASSWORD).status
        print(f"4. admin from 127.0.0.1 after {retry_after} s: {'logged in' if same == 302 else f'REFUSED ({same})'}")
        pair, address = pair_policy(), address_policy()
        beaten = False
        if arguments.pace_seconds > 0:
            patient = patient_guesser(port, arguments.pace_seconds)
            bound = pair.max_attempts(arguments.pace_seconds)
            beaten = patient > bound
            print(f"5. patient guesser at 127.0.0.3 for {arguments.pace_seconds:.0f} s: {patient} passwords checked "
                  f"(the policy allows at most {bound})")
        print(f"6. policy: {settings.LOGIN_FAILURE_LIMIT} free failures per (username, address), "
              f"{settings.LOGIN_ADDRESS_FAILURE_LIMIT} per address, then {settings.LOGIN_DELAY_BASE} s doubling to "
              f"{settings.LOGIN_DELAY_MAX} s; forgotten after {settings.LOGIN_FAILURE_WINDOW} s without failure")
        for label, policy in (("one username from one address", pair), ("any usernames from one address", address)):
            print(f"   {label}: at most {policy.max_attempts(3600)} guesses in the first hour, "
                  f"{policy.max_attempts(86400)} in the first day, then {3600 / policy.cap:.0f} per hour")
        kept_out = (elsewhere, colleague, same) != (302, 302, 302)
        return 1 if kept_out or beaten else 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
