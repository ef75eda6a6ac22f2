"""Lighthouse 12 scores of the console's main pages and the customer's two pages, on a live server
with demo data: a report (a table to read), not a timed test.

    npm install --prefix /tmp/lh lighthouse@12
    LIGHTHOUSE=/tmp/lh/node_modules/.bin/lighthouse CHROME_PATH=/usr/bin/chromium python bench/lighthouse.py

It builds a throw-away trial in a temporary folder (SQLite, `generate_demo_data`, the search index),
creates an Administrator, queues an installation and an activation SMS for a wizard account and
reads their links from the worker's output (the trial's `console` SMS backend prints them), serves
the console with `runserver` and DEBUG off, logs in, and runs Lighthouse on: the login page, the
groups, a group's account list, an account page and a search (desktop preset, logged in), and the
installation and activation pages (Lighthouse's default mobile emulation, throttled). Prints a
markdown table of the performance, accessibility and best-practices scores, and the bytes each
page transferred. `--keep` leaves the reports (JSON) in the temporary folder.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "lighthouse-bench-passphrase-1"
SETUP = """
from accounts.models import Account
from activation.models import ProvisioningProfile
from activation.services import account_create_wizard, activation_send_sms
from console.audit import Actor
from console.models import Operator
from groups.models import Group

Operator.objects.create_user(username="lighthouse", password={password!r}, role=Operator.Role.ADMINISTRATOR)
profile = ProvisioningProfile.objects.get(is_default=True)
profile.ios_download_url, profile.android_download_url = "https://apps.example.net/ios", "https://apps.example.net/android"
profile.support_phone, profile.support_email = "+390212345678", "help@example.net"
profile.save()
group = Group.objects.order_by("pk").first()
account = account_create_wizard(actor=Actor.system(), group=group, fields={{
    "owner": "Giulia Verdi", "email": "giulia@example.com", "virtual_number": "+393339990001", "profile": profile}})
for purpose in ("installation", "activation"):
    activation_send_sms(actor=Actor.system(), account_id=account.pk, purpose=purpose)
print("ACCOUNT", account.pk, account.group_id)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    sys.exit(f"the console did not answer at {url}")


def session_cookie(base: str) -> str:
    session = requests.Session()
    form = session.get(f"{base}/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    answer = session.post(f"{base}/login/", data={"csrfmiddlewaretoken": token, "username": "lighthouse", "password": PASSWORD},
                          headers={"Referer": f"{base}/login/"}, timeout=10, allow_redirects=False)
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        sys.exit(f"could not log in: {answer.status_code}")
    return f"sessionid={session.cookies['sessionid']}"


def lighthouse(binary: str, url: str, report: Path, *, desktop: bool, cookie: str | None) -> dict:
    command = [binary, url, "--quiet", "--output=json", f"--output-path={report}",
               "--only-categories=performance,accessibility,best-practices",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"]
    if desktop:
        command.append("--preset=desktop")
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, check=True, timeout=300)
    result = json.loads(report.read_text())
    scores = {key: round(category["score"] * 100) for key, category in result["categories"].items()}
    failed = [audit["id"] for audit in result["audits"].values()
              if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") == "binary"]
    return {**scores, "bytes": result["audits"]["total-byte-weight"]["numericValue"], "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2600)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and the JSON reports")
    options = parser.parse_args()
    binary = os.environ.get("LIGHTHOUSE", "lighthouse")
    folder = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VAR_DIR": str(folder), "DATABASE_URL": f"sqlite:///{folder}/console.sqlite3",
           "SEARCH_INDEX_DIR": str(folder / "search-index"), "PUBLIC_BASE_URL": base, "SMS_BACKEND": "console",
           "DEBUG": "false"}
    env.pop("SECRET_KEY", None)
    manage(env, "migrate", "--noinput")
    manage(env, "generate_demo_data", "--groups", "12", "--accounts", str(options.accounts))
    manage(env, "rebuild_search_index")
    account_id, group_id = manage(env, "shell", "-c", SETUP.format(password=PASSWORD)).split("ACCOUNT")[1].split()
    printed = manage(env, "run_worker", "--rounds", "1")
    install = re.search(rf"{re.escape(base)}/i/\S+", printed).group(0)
    activate = re.search(rf"{re.escape(base)}/a/\S+", printed).group(0)
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"{base}/login/")
        cookie = session_cookie(base)
        pages = [
            ("Login", f"{base}/login/", True, None),
            ("Groups", f"{base}/groups/", True, cookie),
            ("Account list", f"{base}/accounts/group/{group_id}/", True, cookie),
            ("Account page", f"{base}/accounts/{account_id}/", True, cookie),
            ("Search", f"{base}/accounts/search/?q=owner%3Aro*", True, cookie),
            ("Installation page (customer)", install, False, None),
            ("Activation page (customer)", activate, False, None),
        ]
        print("| page | form factor | performance | accessibility | best practices | transferred | failed audits |")
        print("|---|---|---|---|---|---|---|")
        for number, (name, url, desktop, page_cookie) in enumerate(pages):
            scores = lighthouse(binary, url, folder / f"report-{number}.json", desktop=desktop, cookie=page_cookie)
            print(f"| {name} | {'desktop' if desktop else 'mobile'} | {scores['performance']} | {scores['accessibility']} | "
                  f"{scores['best-practices']} | {scores['bytes'] / 1024:.0f} KB | {', '.join(scores['failed']) or '—'} |",
                  flush=True)
    finally:
        server.terminate()
        server.wait(10)
    if options.keep:
        print(f"\nReports kept in {folder}")


if __name__ == "__main__":
    main()
