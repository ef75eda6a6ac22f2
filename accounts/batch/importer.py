"""The import service: a file of accounts into a group, all rows or none (SPEC B1).

`accounts_import` reads the file once, validating every row (the account forms' rules, then
usernames and numbers against the rest of the file and the database, a chunk of rows per query)
and staging the valid rows on disk. A dry run (the preview) stops there. A commit then writes the
staged rows in one transaction, in bulk, doing what `account_create` does for one account: the
account with its digests, access rules, licence, "Created" status event, its own
`account.create` audit entry (so its timeline shows its creation) and search change-log row,
plus one `accounts.import` audit entry for the whole import; optionally it queues the
installation and activation SMS. A commit re-validates everything, so a preview that went stale
(someone created a clashing account since) is refused with the report and nothing is written.
"""
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.batch.reader import CsvRows, FileProblem, RowShapeProblem
from accounts.batch.report import ImportReport
from accounts.batch.rows import CleanRow, RowProblem, RowValidator
from accounts.batch.staging import Staging
from accounts.digests import sip_digests
from accounts.models import AccessRule, Account, StatusEvent
from accounts.search.changelog import record_account_changes
from accounts.services import USERNAME_DIGITS, account_creation_entry
from activation.models import ProvisioningProfile
from console.audit import Actor, audit_record, audit_record_many
from console.audit_text import AuditText, Count, audit_text
from console.errors import ServiceError
from console.row_batches import full_rows, insert, insert_returning_ids
from groups.services import group_hold_for_new_accounts
from licensing.services import licences_create_bulk

CHUNK_ROWS = 1000
WRITE_CHUNK_ROWS = 2000
DEFAULT_MAX_ROWS = 200_000


@dataclass(frozen=True)
class ImportOptions:
    """What to do besides creating the accounts."""

    send_installation_sms: bool = False
    send_activation_sms: bool = False

    @property
    def sms_purposes(self) -> list[str]:
        from activation.models import SmsMessage

        purposes = []
        if self.send_installation_sms:
            purposes.append(SmsMessage.Purpose.INSTALLATION)
        if self.send_activation_sms:
            purposes.append(SmsMessage.Purpose.ACTIVATION)
        return purposes


Progress = Callable[[str, int], None]


def max_rows() -> int:
    return getattr(settings, "BATCH_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def accounts_import(
    *,
    actor: Actor,
    group,
    stream: BinaryIO,
    dry_run: bool,
    options: ImportOptions = ImportOptions(),
    source_name: str = "",
    progress: Progress | None = None,
    before_commit: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Validate the CSV `stream` for `group` and, unless `dry_run`, import it: every row or none.

    `progress(phase, rows)` is called after each chunk ("validating" then "writing");
    `before_commit(report)` runs inside the import's transaction once every row is written, so
    what it records commits (or rolls back) with the accounts.
    """
    report = ImportReport()
    with Staging() as staging:
        _validate(group, stream, options, staging, report, progress)
        report.problems.sort(key=lambda problem: problem.line)
        if dry_run or not report.ok:
            return report
        try:
            with transaction.atomic():
                _write(actor, group, options, staging, report, source_name, progress)
                if before_commit:
                    before_commit(report)
        except IntegrityError:
            # Another transaction created a clashing account between our checks and our writes.
            report.imported, report.committed = 0, False
            report.add([RowProblem(0, "", gettext("Another account with one of these usernames or numbers was created while "
                                          "the file was being imported. Nothing was written: import the file again."))])
        except ServiceError as error:
            # The group was deleted while the file was being checked.
            report.imported, report.committed = 0, False
            report.add([RowProblem(0, "", error.message)])
        return report


def _validate(group, stream, options, staging: Staging, report: ImportReport, progress: Progress | None) -> None:
    validator = RowValidator(group)
    chunk: list[CleanRow] = []
    limit = max_rows()
    try:
        for item in CsvRows(stream):
            report.rows += 1
            if progress and report.rows % CHUNK_ROWS == 0:
                progress("validating", report.rows)
            if report.rows > limit:
                report.rows -= 1
                report.file_problem = gettext("The file has more than %(limit)s rows: split it into several files.") % {
                    "limit": f"{limit:,}"}
                return
            if isinstance(item, RowShapeProblem):
                report.add([RowProblem(item.line, "", item.message)])
                continue
            result = validator.clean(item.line, item.cells)
            if isinstance(result, list):
                report.add(result)
                continue
            chunk.append(result)
            if len(chunk) >= CHUNK_ROWS:
                _check_chunk(chunk, group, options, staging, report)
                chunk = []
        _check_chunk(chunk, group, options, staging, report)
        if progress:
            progress("validating", report.rows)
        if not report.rows:
            report.file_problem = gettext("The file holds no account rows: add one line per account under the header.")
    except FileProblem as problem:
        report.file_problem, report.file_problem_line = problem.message, problem.line


def _keys(row: CleanRow) -> list[tuple[str, str]]:
    keys = [("username", f"u:{row.username}")] if row.username else []
    column_of = {row.fields["virtual_number"]: "virtual_number", row.fields["secondary_number"]: "secondary_number"}
    keys += [(column_of[number], f"n:{number}") for number in row.numbers]
    return keys


def _check_chunk(chunk: list[CleanRow], group, options, staging: Staging, report: ImportReport) -> None:
    """Duplicates inside the file and clashes with existing accounts, then stage the good rows."""
    if not chunk:
        return
    problems: dict[int, list[RowProblem]] = {}
    earlier = staging.lines_of([key for row in chunk for _, key in _keys(row)])
    in_chunk: dict[str, int] = {}
    for row in chunk:
        for column, key in _keys(row):
            first = earlier.get(key, in_chunk.get(key))
            if first is not None and first != row.line:
                if key.startswith("u:"):
                    text = gettext("The username %(value)s is also in row %(row)d of this file.")
                else:
                    text = gettext("The number %(value)s is also in row %(row)d of this file.")
                problems.setdefault(row.line, []).append(RowProblem(row.line, column, text % {"value": key[2:], "row": first}))
            else:
                in_chunk.setdefault(key, row.line)
    _check_database(chunk, problems)
    if options.sms_purposes:
        _check_sms(chunk, group, options, problems)
    staging.remember([(key, line) for key, line in in_chunk.items()])
    good = []
    for row in chunk:
        if row.line in problems:
            report.add(problems[row.line])
        else:
            good.append(row)
    staging.stage(good)


def _check_database(chunk: list[CleanRow], problems: dict[int, list[RowProblem]]) -> None:
    usernames = {row.username for row in chunk if row.username}
    numbers = {number for row in chunk for number in row.numbers}
    taken_usernames = set(Account.objects.filter(username__in=usernames).values_list("username", flat=True))
    taken_numbers: set[str] = set()
    clashes = Account.objects.holding_numbers(numbers)
    for primary, secondary in clashes.values_list("virtual_number", "secondary_number"):
        taken_numbers.update(n for n in (primary, secondary) if n)
    for row in chunk:
        if row.username in taken_usernames:
            problems.setdefault(row.line, []).append(RowProblem(row.line, "username", gettext("The username %(username)s is taken.") % {"username": row.username}))
        for column in ("virtual_number", "secondary_number"):
            number = row.fields[column]
            if number and number in taken_numbers:
                problems.setdefault(row.line, []).append(
                    RowProblem(row.line, column, gettext("The number %(number)s already belongs to another account.") % {"number": number}))


def _check_sms(chunk: list[CleanRow], group, options: ImportOptions, problems: dict[int, list[RowProblem]]) -> None:
    """Rows whose SMS the console would refuse (P5) are reported before anything is written."""
    from activation.services import sms_refusal

    for row in chunk:
        probe = Account(group=group, username=row.username or "(generated)", **row.fields)
        for purpose in options.sms_purposes:
            refusal = sms_refusal(probe, purpose)
            if refusal:
                problems.setdefault(row.line, []).append(RowProblem(row.line, "", gettext("No SMS can be sent: %(refusal)s") % {"refusal": refusal}))
                break


def _import_message(rows: int, source_name: str) -> AuditText:
    if source_name:
        return audit_text(gettext_noop("Accounts imported from %(source)s: %(count)s"), source=source_name, count=Count(rows))
    return audit_text(gettext_noop("Accounts imported from a CSV file: %(count)s"), count=Count(rows))


def _write(actor, group, options, staging: Staging, report: ImportReport, source_name: str, progress) -> None:
    group_hold_for_new_accounts(group.pk)
    now = timezone.now()
    audit_record(
        actor=actor, action="accounts.import", obj=group, group_id=group.pk,
        after={"rows": report.rows, "file": source_name[:200], "sms": [str(p) for p in options.sms_purposes]},
        message=_import_message(report.rows, source_name),
    )
    for chunk in staging.staged(WRITE_CHUNK_ROWS):
        _generate_usernames(chunk, staging)
        account_ids = _create_accounts(actor, group, chunk, now)
        if options.sms_purposes:
            _queue_sms(actor, account_ids, options)
        report.imported += len(account_ids)
        if progress:
            progress("writing", report.imported)
    report.committed = True


def _generate_usernames(chunk: list[CleanRow], staging: Staging) -> None:
    """Random unused usernames (the format of accounts.services.generate_username) for rows
    without one, unused by the database and by every row of the file."""
    missing = [row for row in chunk if not row.username]
    while missing:
        candidates = {row.line: str(secrets.randbelow(9 * 10 ** (USERNAME_DIGITS - 1)) + 10 ** (USERNAME_DIGITS - 1)) for row in missing}
        keys = [f"u:{name}" for name in candidates.values()]
        used = set(staging.lines_of(keys)) | {
            f"u:{name}" for name in Account.objects.filter(username__in=candidates.values()).values_list("username", flat=True)}
        if len(set(keys)) < len(keys):
            used |= {key for key in keys if keys.count(key) > 1}
        for row in missing:
            if f"u:{candidates[row.line]}" not in used:
                row.username = candidates[row.line]
        staging.remember([(f"u:{row.username}", row.line) for row in missing if row.username])
        missing = [row for row in missing if not row.username]


def _create_accounts(actor: Actor, group, chunk: list[CleanRow], now) -> list[int]:
    """What account_create writes, for a chunk of rows at once and with its audit row builder;
    returns the new accounts' ids."""
    rows = list(full_rows(Account, (_account_values(group, row, now) for row in chunk), with_pk=False))
    ids = insert_returning_ids(Account, rows)
    accounts = _unsaved_accounts(group, rows)
    rules = [[AccessRule(account=account, action=rule.action, network=rule.canonical, prefix_length=rule.network.prefixlen,
                         as_typed=rule.as_typed, position=position) for position, rule in enumerate(row.access_rules)]
             for account, row in zip(accounts, chunk, strict=True)]
    insert(AccessRule, list(full_rows(AccessRule, (
        {field.attname: getattr(rule, field.attname) for field in AccessRule._meta.concrete_fields if not field.primary_key}
        for account_rules in rules for rule in account_rules), with_pk=False)))
    licences = licences_create_bulk(terms=((account, row.licence_edition, row.licence_valid_until)
                                           for account, row in zip(accounts, chunk, strict=True)))
    insert(StatusEvent, list(full_rows(StatusEvent, (
        {"account_id": account.pk, "status": Account.Status.CREATED, "at": now,
         "cause": f"created the {account.creation_method} way by a CSV import"} for account in accounts), with_pk=False)))
    audit_record_many([
        account_creation_entry(actor=actor, account=account, rules=account_rules, licence=licence,
                               message=audit_text(gettext_noop("created by CSV import, row %(line)s"), line=row.line))
        for account, account_rules, licence, row in zip(accounts, rules, licences, chunk, strict=True)])
    record_account_changes(ids)
    return ids


def _unsaved_accounts(group, rows: list[dict]) -> list[Account]:
    """The inserted rows as Account instances, with their group and profile at hand (no query each)."""
    profiles = ProvisioningProfile.objects.in_bulk({row["profile_id"] for row in rows if row["profile_id"]})
    accounts = []
    for row in rows:
        account = Account(**row)
        account.group = group
        account.profile = profiles.get(row["profile_id"])
        accounts.append(account)
    return accounts


def _account_values(group, row: CleanRow, now) -> dict:
    ha1, ha1_sha256 = sip_digests(row.username, row.password) if row.password else ("!", "!")
    return {
        **row.fields, "username": row.username, "group_id": group.pk, "ha1": ha1, "ha1_sha256": ha1_sha256,
        "creation_method": Account.CreationMethod.WIZARD if row.is_wizard else Account.CreationMethod.PLAIN,
        "enabled": not row.is_wizard, "status": Account.Status.CREATED, "status_changed_at": now,
    }


def _queue_sms(actor: Actor, account_ids: list[int], options: ImportOptions) -> None:
    from activation.services import activation_send_sms

    for account_id in account_ids:
        for purpose in options.sms_purposes:
            activation_send_sms(actor=actor, account_id=account_id, purpose=purpose)
