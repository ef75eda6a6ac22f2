"""The translation catalogues (locale/<language>/LC_MESSAGES/django.po) as the tests read them,
through GNU gettext's own tools (msgfmt, msgattrib) and Django's makemessages."""
import os
import re
import shutil
import subprocess
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po"))
# What makemessages leaves out, as the project runs it (README of the catalogue in DESIGN.md):
# the virtualenv, the tests and the benchmarks.
NOT_SCANNED = (".venv", "tests", "bench", ".git", "var", "static", "node_modules", "__pycache__", "locale")
MSGID = re.compile(r'^msgid "(.*)"$')


def gettext_tool(*args: str) -> str:
    """Run a gettext tool and return what it printed (stdout and stderr), failing on its errors."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stderr}"
    return done.stdout + done.stderr


def entries_matching(catalogue: Path, *attrib_options: str) -> list[str]:
    """The msgids msgattrib selects from `catalogue` (e.g. --only-fuzzy, --untranslated)."""
    selected = gettext_tool("msgattrib", "--no-wrap", *attrib_options, str(catalogue))
    return [text for text in _msgids(selected) if text]


def _msgids(po_text: str) -> list[str]:
    """The msgids of a .po text (each as its first line: enough to name and compare entries)."""
    ids, current = [], None
    for line in po_text.splitlines():
        match = MSGID.match(line)
        if match:
            current = match.group(1)
            ids.append(current)
        elif current == "" and line.startswith('"') and ids:
            ids[-1] += line[1:-1]
        else:
            current = None
    return ids


def msgids(catalogue: Path) -> set[str]:
    return {text for text in _msgids(gettext_tool("msgcat", "--no-wrap", str(catalogue))) if text}


def extracted_msgids(work_dir: Path, language: str) -> set[str]:
    """The msgids makemessages finds in the project today, extracted in a copy of the sources into a
    catalogue of the copy's own (the checkout's catalogues are left as they are)."""
    shutil.copytree(ROOT, work_dir, ignore=shutil.ignore_patterns(*NOT_SCANNED, "*.pyc", "*.mo"), symlinks=True)
    (work_dir / "locale").mkdir()
    previous = os.getcwd()
    os.chdir(work_dir)
    try:
        with override_settings(LOCALE_PATHS=[work_dir / "locale"]):
            call_command("makemessages", locale=[language], verbosity=0, add_location="file",
                         ignore_patterns=[".venv/*", "tests/*", "bench/*"])
    finally:
        os.chdir(previous)
    return msgids(work_dir / "locale" / language / "LC_MESSAGES" / "django.po")
