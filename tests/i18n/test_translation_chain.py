"""The languages' catalogues carry no fallback that translates nothing (console/apps.py), and the
answers are those the full chain gives."""
import gettext
import json
import os
import subprocess
import sys
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, trans_real

from console.apps import drop_empty_fallbacks

ROOT = Path(__file__).resolve().parents[2]


def chain(catalogue) -> list:
    links = []
    while catalogue._fallback is not None:
        catalogue = catalogue._fallback
        links.append(catalogue)
    return links


# What a freshly started console process (a web server, the worker) has: the catalogues of its
# languages, each with the kinds of its fallbacks (tests that change language settings make Django
# build them again, unshortened, so this is read in a process of its own).
FALLBACK_KINDS = """
import django, json
django.setup()
from django.conf import settings
from django.utils.translation import trans_real
kinds = {}
for code, _name in settings.LANGUAGES:
    link, kinds[code] = trans_real.translation(code), []
    while link._fallback is not None:
        link = link._fallback
        kinds[code].append([type(link).__name__, sorted(link._catalog) == [""] if type(link).__name__ == "GNUTranslations" else None])
print(json.dumps(kinds))
"""


def test_no_language_keeps_a_fallback_catalogue_holding_only_its_header():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings"}
    answer = subprocess.run([sys.executable, "-c", FALLBACK_KINDS], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    kinds = json.loads(answer.stdout.strip().splitlines()[-1])
    assert set(kinds) == {"en-gb", "it"}
    assert kinds["it"] == [["DjangoTranslation", None]]  # Italian, then British English, then nothing
    assert kinds["en-gb"] == []


def answers(catalogue) -> list[str]:
    texts = ["Send installation SMS", "Log in", "This field is required.", "a text no catalogue holds"]
    return [catalogue.gettext(text) for text in texts] + [catalogue.ngettext("%d account", "%d accounts", n) for n in (1, 3)]


def test_the_shortened_chain_answers_as_the_full_one():
    italian = trans_real.DjangoTranslation("it")
    italian._fallback = trans_real.DjangoTranslation("en-gb")  # built afresh: Django's chain, empty English catalogues included
    assert sum(type(link) is gettext.GNUTranslations for link in chain(italian)) >= 2
    before = answers(italian), answers(italian._fallback)
    drop_empty_fallbacks(italian)
    assert (answers(italian), answers(italian._fallback)) == before
    assert before[0][0] == "Invia SMS di installazione" and before[0][3] == "a text no catalogue holds"
    assert before[1][:2] == ["Send installation SMS", "Log in"]
    assert all(type(link) is not gettext.GNUTranslations for link in chain(italian))


def test_british_english_passes_the_console_texts_through_unchanged():
    with translation.override("en-gb"):
        assert _("Send installation SMS") == "Send installation SMS"
        assert ngettext("%d account", "%d accounts", 2) == "%d accounts"
