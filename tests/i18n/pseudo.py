"""A pseudo-locale for finding text nobody marked for translation.

While `pseudo_translation()` is active every translated string comes back wrapped in ⟦ ⟧ (in
whatever language the request asks for), so the text a page shows outside those markers was
never translated: it is either data (names, numbers, dates) or a string nobody marked.
"""
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

from django.apps import apps
from django.db import models
from django.utils.translation import trans_real

OPEN, CLOSE = "⟦", "⟧"
# Not prose: code samples, keys and query examples (<code>, <kbd>, <pre>), scripts and styles, icons.
SKIPPED_ELEMENTS = {"script", "style", "code", "kbd", "pre", "svg"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PROJECT_APPS = ("console", "groups", "accounts", "activation", "licensing", "fleet")


class _PseudoTranslation:
    """A translation object that wraps what the real one answers in markers."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    @staticmethod
    def _mark(result: str) -> str:
        # A message with a context the catalogue lacks comes back with its context: keep the message.
        return OPEN + result.split(trans_real.CONTEXT_SEPARATOR)[-1] + CLOSE

    def gettext(self, message: str) -> str:
        return self._mark(self._real.gettext(message))

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self._mark(self._real.ngettext(singular, plural, number))


@contextmanager
def pseudo_translation() -> Iterator[None]:
    """Every gettext-family call answers ⟦translation⟧ while this is active (this thread)."""
    real_translation, real_default = trans_real.translation, trans_real._default
    wrapped: dict[str, _PseudoTranslation] = {}

    def translation(language: str) -> _PseudoTranslation:
        if language not in wrapped:
            wrapped[language] = _PseudoTranslation(real_translation(language))
        return wrapped[language]

    trans_real.translation, trans_real._default = translation, None
    trans_real.activate(trans_real.get_language() or "en-gb")
    try:
        yield
    finally:
        trans_real.translation, trans_real._default = real_translation, real_default
        trans_real.deactivate()


class _VisibleText(HTMLParser):
    """The text nodes of a page a reader sees, in order (attribute values left out), but those of
    elements that are not prose or say translate="no" (the search syntax's field names)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._open: list[tuple[str, bool]] = []  # each open element, and whether its text is skipped

    def handle_starttag(self, tag, attrs):
        if tag in VOID_ELEMENTS:
            return
        skipped = tag in SKIPPED_ELEMENTS or ("translate", "no") in attrs or bool(self._open and self._open[-1][1])
        self._open.append((tag, skipped))

    def handle_endtag(self, tag):
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == tag:
                del self._open[depth:]
                return

    def handle_data(self, data):
        if not (self._open and self._open[-1][1]) and data.strip():
            self.nodes.append(data)


def outside_markers(html: str) -> list[str]:
    """The pieces of a page's visible text that no marker encloses, one per text node (a marked
    string may span several nodes: "⟦<strong>1.2.3.4 is allowed</strong>: …⟧")."""
    parser = _VisibleText()
    parser.feed(html)
    pieces, depth = [], 0
    for node in parser.nodes:
        kept = []
        for character in node:
            if character == OPEN:
                depth += 1
            elif character == CLOSE:
                depth = max(depth - 1, 0)
            elif depth == 0:
                kept.append(character)
        pieces.append(" ".join("".join(kept).split()))
    return [piece for piece in pieces if piece]


def stored_values() -> set[str]:
    """Every text the project's tables hold now (names, numbers, e-mails...): data,
    shown as it was typed, never translated."""
    values = set()
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            fields = [field.attname for field in model._meta.concrete_fields
                      if isinstance(field, models.CharField | models.TextField | models.GenericIPAddressField)]
            if model._meta.label == "console.AuditEntry":
                # Not an audit entry's message: the pages render it from its translatable sentence
                # (the worlds these tests build hold no reason typed by an operator).
                fields.remove("message")
            for row in model.objects.values_list(*fields):
                values.update(str(value).strip() for value in row if value)
    return values


def unmarked(pieces: Iterable[str], data: set[str]) -> list[str]:
    """The pieces with words in them once the data they show is taken out."""
    ordered = sorted(data, key=len, reverse=True)
    found = []
    for piece in pieces:
        rest = piece
        for value in ordered:
            if value in rest:
                rest = rest.replace(value, " ")
        if re.search(r"[^\W\d_]{2,}", rest):
            found.append(piece)
    return found
