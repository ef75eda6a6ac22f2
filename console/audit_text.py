"""An audit entry's sentence kept translatable: its msgid and named values are stored with the
entry, so each reader sees the sentence in their own language; the entry's `message` keeps it
rendered once in the console's language for search, filters and exports."""
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext


@dataclass(frozen=True)
class Label:
    """A label inside a sentence (a choice's label, an action's name: text marked with
    gettext_lazy), kept as its msgid and shown in the reader's language; `lowercase` for a label
    in the middle of a sentence."""

    text: Promise | str
    lowercase: bool = False

    def as_json(self) -> dict[str, Any]:
        with translation.override(None):
            return {"label": str(self.text), "lowercase": self.lowercase}


@dataclass(frozen=True)
class Count:
    """A number of things, shown with the reader's digit grouping (1,240 or 1.240)."""

    value: int

    def as_json(self) -> dict[str, Any]:
        return {"count": self.value}


@dataclass(frozen=True)
class AuditText:
    """A sentence of the audit log: `msgid` (marked with gettext_noop where it is written) with
    `%(name)s` places, and their values. A value is a plain string or number (names, numbers,
    text an operator typed: shown as they are), a `Label`, a `Count`, or another `AuditText`
    (a reason given by the caller). Build one with `audit_text`."""

    msgid: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "values": {name: _value_as_json(value) for name, value in self.values.items()}}

    def __str__(self) -> str:
        return render_audit_text(self.as_json())


def audit_text(msgid: str | Promise, **values: Any) -> AuditText:
    """A translatable audit sentence: `audit_text(gettext_noop("Moved from %(old)s to %(new)s."), old=..., new=...)`.
    A lazily translated value (a choice's label) is taken as a `Label`; so is a lazily translated
    `msgid`, a sentence that is a label alone (a status's name)."""
    if isinstance(msgid, Promise):
        msgid = Label(msgid).as_json()["label"]
    return AuditText(msgid, values)


def _value_as_json(value: Any) -> Any:
    if isinstance(value, Promise):
        value = Label(value)
    if isinstance(value, (Label, Count, AuditText)):
        return value.as_json()
    if value is None or isinstance(value, (int, float)):
        return value
    return str(value)


def _rendered_value(value: Any) -> str:
    if isinstance(value, dict) and "msgid" in value:
        return render_audit_text(value)
    if isinstance(value, dict) and "label" in value:
        text = gettext(value["label"]) if value["label"] else ""
        return text.lower() if value.get("lowercase") else text
    if isinstance(value, dict) and "count" in value:
        return number_format(value["count"], force_grouping=True)
    return "" if value is None else str(value)


def render_audit_text(stored: dict[str, Any]) -> str:
    """A stored sentence (`AuditText.as_json()`) in the active language. Raises KeyError or
    ValueError for a malformed one (a translation naming a value the sentence lacks)."""
    values = {name: _rendered_value(value) for name, value in stored["values"].items()}
    return (gettext(stored["msgid"]) % values).strip()
