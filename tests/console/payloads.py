"""Form submissions an operator's browser would send, for the foundation's views."""
import re
from datetime import date
from html.parser import HTMLParser
from itertools import count

from django.db.models import Model

_numbers = count(1)


def as_post_data(values: dict) -> dict:
    """Turn form values (booleans, models, dates, None) into what a browser posts."""
    data = {}
    for key, value in values.items():
        if value is None:
            data[key] = ""
        elif value is True:
            data[key] = "on"
        elif value is False:
            continue
        elif isinstance(value, Model):
            data[key] = str(value.pk)
        elif isinstance(value, date):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)
    return data


def account_create_data(**overrides) -> dict:
    """A complete, valid plain-way account form with unused username and numbers."""
    serial = next(_numbers)
    values = {
        "username": f"7{serial:08d}",
        "password1": "Sup3r-secret-sip",
        "password2": "Sup3r-secret-sip",
        "virtual_number": f"+3906{serial:07d}",
        "secondary_number": "",
        "account_type": "pgsm",
        "security_model": "end_to_end",
        "obfuscation": "on",
        "obfuscation_key": "9",
        "owner": "Giulia Bianchi",
        "caller_id": "",
        "email": "giulia@example.com",
        "description": "",
        "profile": "",
        "licence_edition": "professional",
        "licence_valid_until": "",
        "allow": "",
        "deny": "",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def account_edit_data(account, **overrides) -> dict:
    """The edit form of `account` as the page shows it, with `overrides` typed in."""
    from accounts.forms import AccountEditForm

    data = as_post_data(AccountEditForm.initial_for(account))
    data.update({"password1": "", "password2": ""})
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def group_data(group=None, **overrides) -> dict:
    """The group form: a new group, or `group`'s edit form as shown."""
    if group is None:
        values = {"name": "Initech", "admin_email": "it@initech.example", "description": "", "profile": "", "version": ""}
    else:
        values = as_post_data({
            "name": group.name, "admin_email": group.admin_email, "description": group.description,
            "profile": group.profile, "version": group.version,
        })
    values.update(overrides)
    return values


class _PostForms(HTMLParser):
    """Collects, for each POST form of a page, what a browser submits for it (the HTML form
    submission algorithm, for the controls the console uses)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: list | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: "" if value is None else value for key, value in attrs}
        if tag == "form":
            self._fields = [] if attrs.get("method", "get").lower() == "post" else None
        elif self._fields is None or "disabled" in attrs:
            return
        elif tag == "input" and attrs.get("name"):
            self._input(attrs)
        elif tag == "select":
            self._select = (attrs.get("name", ""), [])
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, ""]
        elif tag == "textarea":
            self._textarea = [attrs.get("name", ""), ""]

    def _input(self, attrs: dict) -> None:
        kind, value = attrs.get("type", "text").lower(), attrs.get("value", "")
        if kind in ("checkbox", "radio"):
            if "checked" in attrs:
                self._fields.append((attrs["name"], value or "on"))
            return
        if kind in ("submit", "button", "image", "reset", "file"):
            return
        if kind == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            value = ""  # the value sanitization of a date input: anything but YYYY-MM-DD is dropped
        if kind == "number" and not re.fullmatch(r"-?(\d+|\d*\.\d+)([eE][-+]?\d+)?", value):
            value = ""
        self._fields.append((attrs["name"], value.replace("\r", "").replace("\n", "") if kind != "hidden" else value))

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        elif self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select[1].append((text if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            self._fields.extend((name, value) for value in chosen[-1:])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            text = text.removeprefix("\n")  # the HTML parser drops a newline right after <textarea>
            self._fields.append((name, text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "form" and self._fields is not None:
            self.forms.append(self._fields)
            self._fields = None


def form_as_submitted(html: str, containing: str) -> dict[str, str | list[str]]:
    """What a browser submits when the page's POST form holding a control named `containing` is
    saved untouched: each control's value as the page renders it, after the browser's own rules
    (a date input drops a value not written YYYY-MM-DD; line breaks of a text area go as CR LF)."""
    parser = _PostForms()
    parser.feed(html)
    fields = next(form for form in parser.forms if any(name == containing for name, _ in form))
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in data.items()}
