"""Accounts to CSV (SPEC B2): the template's columns, never a secret, formulas neutralised.

`export_response(accounts, filename)` streams any queryset of accounts (a group's, a search's)
as a download; it reads them in chunks, so memory does not grow with the number of accounts.
The password column is always empty: passwords are never stored, only digests, and those are
secrets too. Re-importing an exported file therefore creates wizard-way (passwordless) accounts
unless passwords are filled in first.
"""
import csv
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet
from django.http import StreamingHttpResponse

from accounts.batch.columns import COLUMNS, neutralise
from accounts.models import AccessRule, Account

EXPORT_CHUNK = 2000


class _Line:
    """A file-like object whose write() returns the line, for csv.writer in a streaming response."""

    def write(self, value: str) -> str:
        return value


def account_cells(account: Account) -> dict[str, str]:
    """An account as the template's cells (before neutralisation)."""
    rules = list(account.access_rules.all())
    licence = getattr(account, "licence", None)
    return {
        "username": account.username,
        "owner": account.owner,
        "caller_id": account.caller_id,
        "email": account.email,
        "description": account.description,
        "virtual_number": account.virtual_number,
        "secondary_number": account.secondary_number or "",
        "account_type": account.account_type,
        "security_model": account.security_model,
        "obfuscation": "yes" if account.obfuscation else "no",
        "obfuscation_key": str(account.obfuscation_key),
        "keepalive": "yes" if account.keepalive else "no",
        "profile": account.profile.name if account.profile_id else "",
        "licence_edition": licence.edition if licence else "",
        "licence_valid_until": licence.valid_until.isoformat() if licence and licence.valid_until else "",
        "password": "",
        "allow": " ".join(rule.as_typed for rule in rules if rule.action == AccessRule.Action.ALLOW),
        "deny": " ".join(rule.as_typed for rule in rules if rule.action == AccessRule.Action.DENY),
    }


def export_lines(accounts: QuerySet) -> Iterator[str]:
    """The CSV file, line by line: the header, then one line per account in username order."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(COLUMNS)  # the byte-order mark makes spreadsheets read UTF-8
    queryset = (
        accounts.order_by("username").select_related("profile", "licence")
        .prefetch_related(Prefetch("access_rules", queryset=AccessRule.objects.order_by("action", "position", "id")))
    )
    for account in queryset.iterator(chunk_size=EXPORT_CHUNK):
        cells = account_cells(account)
        yield writer.writerow([neutralise(cells[column]) for column in COLUMNS])


def export_response(accounts: QuerySet, filename: str) -> StreamingHttpResponse:
    """A download of `accounts` as CSV. The caller scopes the queryset to the operator."""
    response = StreamingHttpResponse(_encoded(export_lines(accounts)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
    response["Cache-Control"] = "no-store"
    return response


def _encoded(lines: Iterable[str]) -> Iterator[bytes]:
    for line in lines:
        yield line.encode("utf-8")


def _safe_filename(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.") or "accounts"
    return cleaned[:100] + ("" if cleaned.endswith(".csv") else ".csv")
