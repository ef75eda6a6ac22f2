"""accounts.batch.importer.accounts_import: the checks, the per-row report, all rows or none."""
import io

from accounts.batch.importer import ImportOptions, accounts_import
from accounts.digests import sip_digests
from accounts.models import AccessRule, Account, SearchChange, StatusEvent
from accounts.services import account_audit_snapshot
from activation.models import SmsMessage
from console.audit import Actor, Secret
from console.models import AuditEntry, ServiceSettings
from licensing.models import Licence
from tests.batch.helpers import csv_bytes, plain_row, wizard_row
from tests.batch.state import database_state
from tests.conftest import make_account


def run(group, data: bytes, *, dry_run=False, **options):
    return accounts_import(actor=Actor.system(), group=group, stream=io.BytesIO(data), dry_run=dry_run,
                           options=ImportOptions(**options), source_name="test.csv")


def problems(report):
    return [(p.line, p.column) for p in report.problems]


def test_a_row_with_a_password_is_created_the_plain_way_with_everything_account_create_records(personas):
    data = csv_bytes([plain_row(1, allow="10.0.0.0/8 192.168.0.38/255.255.255.255", deny="10.9.0.0/16",
                                licence_edition="Enterprise", licence_valid_until="2031-01-31", keepalive="yes",
                                obfuscation="no", security_model="End to Site", caller_id="")])
    report = run(personas.group, data)
    assert report.committed and report.imported == 1
    account = Account.objects.get(username="7700000001")
    assert account.enabled and account.creation_method == "plain" and account.group == personas.group
    assert (account.ha1, account.ha1_sha256) == sip_digests("7700000001", "pass-word-1")
    assert account.caller_id == "+493000000001" and account.keepalive and not account.obfuscation
    assert account.security_model == "end_to_site"
    assert [(r.action, r.network, r.as_typed) for r in account.access_rules.order_by("action", "position")] == [
        ("allow", "10.0.0.0/8", "10.0.0.0/8"), ("allow", "192.168.0.38/32", "192.168.0.38/255.255.255.255"),
        ("deny", "10.9.0.0/16", "10.9.0.0/16")]
    assert (account.licence.edition, str(account.licence.valid_until), account.licence.state) == ("enterprise", "2031-01-31", "not_validated")
    assert list(StatusEvent.objects.filter(account=account).values_list("status", flat=True)) == ["created"]
    assert SearchChange.objects.filter(account_id=account.pk).count() == 1
    creation = AuditEntry.objects.get(account_id=account.pk)
    assert creation.action == "account.create" and creation.after["allow"] == "10.0.0.0/8, 192.168.0.38/255.255.255.255"
    assert "ha1" not in creation.after and "password" not in creation.after
    # What account_create records: the account as the audit shows it, secrets left out.
    shown = {key: value for key, value in account_audit_snapshot(account).items() if not isinstance(value, Secret)}
    assert creation.after == shown and creation.after["licence_state"] == "not_validated"
    assert AuditEntry.objects.filter(action="accounts.import", group_id=personas.group.pk).count() == 1


def test_a_row_without_a_password_is_created_the_wizard_way_disabled(personas, profile):
    report = run(personas.group, csv_bytes([wizard_row(1, profile="field STAFF")]))
    assert report.committed, report.problems
    account = Account.objects.get(virtual_number="+494000000001")
    assert account.creation_method == "wizard" and not account.enabled and account.ha1 == "!"
    assert account.profile == profile and account.account_type == "pgsm"
    assert len(account.username) == 10 and account.username.isdigit()


def test_wizard_rows_need_a_profile_an_international_number_and_pgsm(personas):
    from activation.models import ProvisioningProfile

    # Without a profile of the group's own, a row gets the system default: here there is none.
    ProvisioningProfile.objects.filter(is_default=True).update(is_default=False)
    report = run(personas.group, csv_bytes([wizard_row(1), {"virtual_number": "0301234567", "account_type": "snom"}]))
    assert not report.ok
    assert set(problems(report)) == {(2, "profile"), (3, "profile"), (3, "virtual_number"), (3, "account_type")}


def test_the_preview_is_a_dry_run_that_writes_nothing(personas):
    before = database_state()
    report = run(personas.group, csv_bytes([plain_row(n) for n in range(20)]), dry_run=True)
    assert report.ok and report.rows == 20 and not report.committed
    assert database_state() == before


def test_the_report_names_row_column_and_reason_for_every_problem(personas):
    existing = make_account(personas.group, username="5550001", number="+39021111111")
    rows = [
        plain_row(1),
        plain_row(2, username="7700000001"),  # username also in row 2
        plain_row(3, secondary_number="+493000000001"),  # row 2's primary number as a secondary
        plain_row(4, username=existing.username),
        plain_row(5, virtual_number=existing.virtual_number),
        plain_row(6, email="not-an-address", obfuscation="maybe", allow="10.0.0.1/8", password="short"),
        plain_row(7, account_type="fax", licence_valid_until="31/31/2030", profile="nope"),
    ]
    report = run(personas.group, csv_bytes(rows))
    assert not report.ok and report.rows == 7 and report.rows_with_problems == 6
    assert sorted(problems(report)) == [
        (3, "username"), (4, "secondary_number"), (5, "username"), (6, "virtual_number"),
        (7, "allow"), (7, "email"), (7, "obfuscation"), (7, "password"),
        (8, "account_type"), (8, "licence_valid_until"), (8, "profile"),
    ]
    messages = {(p.line, p.column): p.message for p in report.problems}
    assert messages[(3, "username")] == "The username 7700000001 is also in row 2 of this file."
    assert messages[(5, "username")] == f"The username {existing.username} is taken."
    assert messages[(6, "virtual_number")] == f"The number {existing.virtual_number} already belongs to another account."
    assert "host bits are set" in messages[(7, "allow")]
    assert Account.objects.count() == 1


def test_an_import_failing_at_its_last_row_leaves_the_database_exactly_as_before(personas):
    make_account(personas.group)
    before = database_state()
    rows = [plain_row(n) for n in range(2500)] + [plain_row(9999, virtual_number="not a number")]
    report = run(personas.group, csv_bytes(rows))
    assert not report.committed and problems(report) == [(2502, "virtual_number")]
    assert database_state() == before


def test_a_stale_preview_is_refused_at_commit_and_nothing_is_written(personas):
    data = csv_bytes([plain_row(n) for n in range(5)])
    assert run(personas.group, data, dry_run=True).ok
    make_account(personas.other_group, number="+493000000004")  # someone else, meanwhile
    before = database_state()
    report = run(personas.group, data)
    assert not report.committed and problems(report) == [(6, "virtual_number")]
    assert database_state() == before


def test_generated_usernames_are_unique_and_avoid_those_named_in_the_file(personas, profile, monkeypatch):
    import accounts.batch.importer as importer

    draws = iter([100, 100, 200, 300] + list(range(1000, 2000)))
    monkeypatch.setattr(importer.secrets, "randbelow", lambda _: next(draws))  # force collisions: a fault we cannot cause otherwise
    rows = [wizard_row(1, profile=profile.name), wizard_row(2, profile=profile.name), plain_row(3, username="1000000200")]
    report = run(personas.group, csv_bytes(rows))
    assert report.committed, report.problems
    usernames = sorted(Account.objects.values_list("username", flat=True))
    # Draw 1: both rows draw ...100, a clash inside the chunk: drawn again. Draw 2: ...200 is named
    # by row 4, so only the second row keeps its draw (...300); draw 3 gives the first ...1000.
    assert usernames == ["1000000200", "1000000300", "1000001000"]


def test_cells_keep_their_value_when_a_spreadsheet_marked_them_as_text(personas):
    report = run(personas.group, csv_bytes([plain_row(1, virtual_number="'+393331234567", owner="''quoted", description="'=1+1")]))
    assert report.committed, report.problems
    account = Account.objects.get()
    assert (account.virtual_number, account.owner, account.description) == ("+393331234567", "'quoted", "=1+1")


def test_the_sms_option_queues_both_sms_for_every_imported_account(personas, profile, settings):
    ServiceSettings.objects.update_or_create(pk=1, defaults={"public_base_url": "https://sip.example.net"})
    report = run(personas.group, csv_bytes([wizard_row(n, profile=profile.name) for n in range(3)]),
                 send_installation_sms=True, send_activation_sms=True)
    assert report.committed, report.problems
    assert SmsMessage.objects.filter(purpose="installation").count() == 3
    assert SmsMessage.objects.filter(purpose="activation").count() == 3
    assert AuditEntry.objects.filter(action="sms.queue").count() == 6


def test_rows_that_cannot_receive_sms_are_reported_when_the_sms_option_is_on(personas, profile):
    ServiceSettings.objects.update_or_create(pk=1, defaults={"public_base_url": "https://sip.example.net"})
    rows = [plain_row(1, account_type="snom"), plain_row(2, virtual_number="0301234567"), wizard_row(3, profile=profile.name)]
    report = run(personas.group, csv_bytes(rows), send_installation_sms=True)
    assert [(p.line, p.column) for p in report.problems] == [(2, ""), (3, "")]
    assert "SNOM" in report.problems[0].message and "international" in report.problems[1].message
    assert Account.objects.count() == 0 and SmsMessage.objects.count() == 0


def test_licences_with_a_past_end_date_start_expired(personas):
    run(personas.group, csv_bytes([plain_row(1, licence_valid_until="2001-01-01")]))
    assert Licence.objects.get().state == "expired"


def test_access_rules_are_stored_canonically_and_shown_as_typed(personas):
    run(personas.group, csv_bytes([plain_row(1, deny="2001:db8::/32 0.0.0.0/0.0.0.0")]))
    assert sorted(AccessRule.objects.values_list("network", "as_typed")) == [("0.0.0.0/0", "0.0.0.0/0.0.0.0"), ("2001:db8::/32", "2001:db8::/32")]


def test_an_import_into_a_group_deleted_meanwhile_is_refused_and_writes_nothing(personas):
    from groups.models import Group

    doomed = Group.objects.create(name="Doomed")
    data = csv_bytes([plain_row(n) for n in range(3)])
    assert run(doomed, data, dry_run=True).ok
    Group.objects.filter(pk=doomed.pk).delete()  # by another operator, meanwhile
    before = database_state()
    report = run(doomed, data)
    assert not report.committed and report.imported == 0
    assert any("deleted a moment ago" in problem.message for problem in report.problems)
    assert database_state() == before
