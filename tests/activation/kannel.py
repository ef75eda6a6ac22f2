"""A throwaway Kannel on loopback ports of its own: bearerbox, smsbox and Kannel's fakesmsc test
SMSC, configured from deploy/kannel/kannel-test.conf.template. Used by the integration tests and
bench/sms.py. Every process is started here and stopped here, by its pid."""
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from string import Template

import requests

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "kannel" / "kannel-test.conf.template"
RECEIVED = re.compile(r"Got message \d+: <(\S+) (\S+) (text|data) (.*)>$")


def kannel_available() -> bool:
    return all(os.access(path, os.X_OK) for path in (BEARERBOX, SMSBOX, FAKESMSC))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class LocalKannel:
    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.username, self.password = "console", secrets.token_hex(8)
        self.admin_password = secrets.token_hex(8)
        self.ports = {name: free_port() for name in ("admin_port", "smsbox_port", "fake_smsc_port", "sendsms_port")}
        self.config = self.run_dir / "kannel.conf"
        self.config.write_text(Template(TEMPLATE.read_text()).substitute(
            **self.ports, admin_password=self.admin_password, run_dir=self.run_dir,
            sms_username=self.username, sms_password=self.password,
        ))
        self.fakesmsc_output = self.run_dir / "fakesmsc.out"
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms_port']}/cgi-bin/sendsms"

    def _spawn(self, name: str, argv: list[str], output: Path) -> None:
        with open(output, "ab") as sink:
            self.processes[name] = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, cwd=self.run_dir)

    def start(self) -> "LocalKannel":
        self._spawn("bearerbox", [BEARERBOX, str(self.config)], self.run_dir / "bearerbox.out")
        wait_for(lambda: _port_open(self.ports["smsbox_port"]), 15, "bearerbox")
        self.start_smsbox()
        self._spawn(
            "fakesmsc", [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["fake_smsc_port"]), "-m", "0", "1 2 text unused"],
            self.fakesmsc_output,
        )
        wait_for(self._smsc_online, 15, "the fake SMSC to connect")
        return self

    def start_smsbox(self) -> None:
        self._spawn("smsbox", [SMSBOX, str(self.config)], self.run_dir / "smsbox.out")
        wait_for(lambda: _port_open(self.ports["sendsms_port"]), 15, "smsbox")

    def stop_smsbox(self) -> None:
        self._stop(self.processes.pop("smsbox"))
        wait_for(lambda: not _port_open(self.ports["sendsms_port"]), 10, "smsbox to stop")

    def pause_smsbox(self) -> None:
        self.processes["smsbox"].send_signal(signal.SIGSTOP)

    def resume_smsbox(self) -> None:
        self.processes["smsbox"].send_signal(signal.SIGCONT)

    def _smsc_online(self) -> bool:
        try:
            status = requests.get(
                f"http://127.0.0.1:{self.ports['admin_port']}/status.txt",
                params={"password": self.admin_password}, timeout=2,
            ).text
        except requests.RequestException:
            return False
        return "online" in status and "fake" in status

    def received(self) -> list[tuple[str, str, str]]:
        """(sender, recipient, text) of every message the fake SMSC got so far."""
        messages = []
        for line in self.fakesmsc_output.read_text(errors="replace").splitlines():
            match = RECEIVED.search(line)
            if match:
                messages.append((match.group(1), match.group(2), match.group(4)))
        return messages

    @staticmethod
    def _stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop(self) -> None:
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            if name in self.processes:
                self._stop(self.processes.pop(name))
