"""Kamailio and sipp for the integration tests and bench/register.py.

Kamailio runs in the foreground (-DD) from deploy/kamailio/kamailio.cfg, on loopback ports of its
own chosen at run time, against a given PostgreSQL database; it is stopped by its process id.
sipp (package sip-tester) drives it with the scenarios in deploy/kamailio/sipp/.
"""
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from accounts.sipserver.rpc import RpcError, rpc_call

BASE_DIR = Path(__file__).resolve().parents[2]
KAMAILIO_CFG = BASE_DIR / "deploy" / "kamailio" / "kamailio.cfg"
SIPP_SCENARIOS = BASE_DIR / "deploy" / "kamailio" / "sipp"
START_TIMEOUT_SECONDS = 15


def missing_sip_tools() -> str | None:
    """Why Kamailio cannot be started and driven here (None when it can)."""
    if not shutil.which("kamailio"):
        return "needs Kamailio 5.6 (Debian packages kamailio, kamailio-postgres-modules)"
    if not shutil.which("sipp"):
        return "needs sipp (Debian package sip-tester)"
    probe = subprocess.run(["kamailio", "-I"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        return "kamailio -I failed: the Kamailio binary does not run here"
    return None


def free_port(kind: int = socket.SOCK_DGRAM, host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """Kamailio's db_url for a Django PostgreSQL database."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{settings_dict['NAME']}"


@dataclass
class Kamailio:
    process: subprocess.Popen
    sip_port: int
    rpc_port: int
    workdir: Path
    time_zone: str
    log_path: Path = field(repr=False)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}/RPC"

    @property
    def sip_address(self) -> str:
        return f"127.0.0.1:{self.sip_port}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the Kamailio started here."""
        stop_process_group(self.process)


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a process started here in a session of its own: TERM to its process group, KILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def start_kamailio(
    *, db_url: str, workdir: Path, sip_domain: str, time_zone: str = "UTC", workers: int = 2,
    defines: tuple[str, ...] = (),
) -> Kamailio:
    """Start Kamailio on free loopback ports and wait until its JSON-RPC answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    sip_port, rpc_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    command = [
        "kamailio", "-DD", "-E", "-f", str(KAMAILIO_CFG), "-Y", str(workdir), "-P", str(workdir / "kamailio.pid"),
        "-w", str(workdir), "-m", "64", "-M", "8",
        f"--substdefs=!DBURL!{db_url}!g",
        "-A", f'SIP_DOMAIN="{sip_domain}"',
        "-A", f"SIP_LISTEN=udp:127.0.0.1:{sip_port}",
        "-A", f"RPC_LISTEN=tcp:127.0.0.1:{rpc_port}",
        "-A", f"RPC_PORT={rpc_port}",
        "-A", f"WORKERS={workers}",
    ]
    for define in defines:
        command += ["-A", define]
    log_path = workdir / "kamailio.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "TZ": time_zone},
        )
    kamailio = Kamailio(process, sip_port, rpc_port, workdir, time_zone, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"Kamailio exited with status {process.returncode}:\n{kamailio.log_tail()}")
        try:
            rpc_call(kamailio.rpc_url, "core.version")
            return kamailio
        except RpcError as error:
            if time.monotonic() > deadline:
                kamailio.stop()
                raise RuntimeError(f"Kamailio did not answer JSON-RPC within {START_TIMEOUT_SECONDS}s:\n{kamailio.log_tail()}") from error
            time.sleep(0.2)


def write_users(path: Path, users: list[tuple[str, str]], sip_domain: str) -> Path:
    """An sipp injection file: username;domain;[authentication ...] (the whole keyword in the field)."""
    lines = ["SEQUENTIAL"]
    lines += [f"{username};{sip_domain};[authentication username={username} password={password}]" for username, password in users]
    path.write_text("\n".join(lines) + "\n")
    return path


def sipp_register(
    kamailio: Kamailio, users: list[tuple[str, str]], *, workdir: Path, sip_domain: str,
    source: str = "127.0.0.1", expires: int = 300,
) -> dict[str, str]:
    """REGISTER each (username, password) once, from `source`; returns username -> final answer
    ("200", "401" for a second challenge, "403"), or "none" when sipp saw no such answer."""
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.monotonic_ns()}"
    users_file = write_users(workdir / f"users-{stamp}.csv", users, sip_domain)
    log_file = workdir / f"answers-{stamp}.log"
    command = [
        "sipp", kamailio.sip_address, "-sf", str(SIPP_SCENARIOS / "register_outcome.xml"),
        "-inf", str(users_file), "-i", source, "-p", str(free_port(socket.SOCK_DGRAM, source)),
        "-m", str(len(users)), "-l", "1", "-r", "50", "-set", "expires", str(expires),
        "-trace_logs", "-log_file", str(log_file), "-nostdin", "-timeout", "20s", "-recv_timeout", "5s",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=40, cwd=workdir)
    answers = {username: "none" for username, _ in users}
    if log_file.exists():
        for line in log_file.read_text().splitlines():
            username, _, code = line.strip().partition(" answered ")
            if username in answers and code:
                answers[username] = code
    if "none" in answers.values() and completed.returncode not in (0, 1):
        raise RuntimeError(f"sipp failed ({completed.returncode}): {completed.stderr[-2000:]}\n{kamailio.log_tail()}")
    return answers
