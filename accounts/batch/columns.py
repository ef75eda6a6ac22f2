"""The CSV template's columns and how values are spelled in them.

Spreadsheets read a cell starting with = + - @ (or a tab or carriage return) as a formula, so the
export writes such cells with a leading apostrophe, the spreadsheet convention for "this is text".
Virtual numbers start with "+", so most numbers are written that way. To keep a file
round-trippable the import removes ONE leading apostrophe from every cell, and the export also
doubles the apostrophe of a value that itself starts with one: export then import gives back the
exact value, and a file saved by a spreadsheet (which drops the apostrophe) reads the same.
"""
import csv
import io

from accounts.models import Account
from licensing.models import Licence

COLUMNS = (
    "username", "owner", "caller_id", "email", "description", "virtual_number", "secondary_number",
    "account_type", "security_model", "obfuscation", "obfuscation_key", "keepalive", "profile",
    "licence_edition", "licence_valid_until", "password", "allow", "deny",
)
REQUIRED_COLUMNS = ("virtual_number",)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_PREFIX = "'"

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "on"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "off"})
BOOLEAN_DEFAULTS = {"obfuscation": True, "keepalive": False}

# Choice columns accept the stored value or the label, in any case ("end_to_site", "End to Site").
CHOICE_COLUMNS = {
    "account_type": Account.AccountType.choices,
    "security_model": Account.SecurityModel.choices,
    "licence_edition": Licence.Edition.choices,
}

TEMPLATE_EXAMPLES = (
    {
        "username": "", "owner": "Marco Rossi", "caller_id": '"Marco Rossi" <+390212345678>',
        "email": "marco.rossi@example.com", "description": "Sales, Milan", "virtual_number": "+390212345678",
        "secondary_number": "", "account_type": "pgsm", "security_model": "end_to_end", "obfuscation": "yes",
        "obfuscation_key": "9", "keepalive": "no", "profile": "", "licence_edition": "professional",
        "licence_valid_until": "", "password": "", "allow": "", "deny": "",
    },
    {
        "username": "3902100200", "owner": "Front desk", "caller_id": "", "email": "",
        "description": "Desk phone, created enabled", "virtual_number": "+390221002000",
        "secondary_number": "+390221002001", "account_type": "snom", "security_model": "end_to_site",
        "obfuscation": "no", "obfuscation_key": "9", "keepalive": "yes", "profile": "",
        "licence_edition": "enterprise", "licence_valid_until": "2030-12-31", "password": "change-me-1234",
        "allow": "10.0.0.0/8 192.168.0.0/255.255.0.0", "deny": "10.9.0.0/16",
    },
)


def neutralise(value: str) -> str:
    """The cell as written to an exported file (see the module docstring)."""
    if value.startswith(FORMULA_STARTS) or value.startswith(TEXT_PREFIX):
        return TEXT_PREFIX + value
    return value


def unneutralise(value: str) -> str:
    """The value of a cell read from an imported file: one leading apostrophe removed."""
    return value[1:] if value.startswith(TEXT_PREFIX) else value


def parse_boolean(value: str) -> bool | None:
    """yes/no, true/false, 1/0, on/off in any case; None when the value is none of these."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def choice_value(column: str, text: str) -> str:
    """The stored value of a choice column's cell; unknown spellings are returned unchanged so
    the form reports them with its own message."""
    wanted = text.strip().lower()
    for value, label in CHOICE_COLUMNS[column]:
        if wanted in (value.lower(), str(label).lower()) or wanted == str(label).split(" (")[0].lower():
            return value
    return text.strip()


def choices_help(column: str) -> str:
    return ", ".join(value for value, _ in CHOICE_COLUMNS[column])


def template_csv() -> str:
    """The downloadable template: the header and two example rows (a wizard one and a plain one)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for example in TEMPLATE_EXAMPLES:
        writer.writerow([neutralise(example[column]) for column in COLUMNS])
    return buffer.getvalue()
