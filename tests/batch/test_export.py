"""Export (B2) and the round trip: export a group, import the file into a new group."""
import csv
import io
from datetime import date

import pytest

from accounts.access_lists import parse_entries
from accounts.batch.columns import COLUMNS
from accounts.batch.export import account_cells
from accounts.batch.importer import accounts_import
from accounts.models import Account
from accounts.services import account_delete, account_update
from activation.services import account_create_wizard
from console.audit import Actor
from groups.models import Group
from tests.conftest import make_account

PASSWORD = "s3cret-pass"  # make_account's


def exported_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def comparable(account: Account) -> dict:
    cells = account_cells(account)
    return {**cells, "creation_method": account.creation_method, "enabled": account.enabled,
            "ha1": account.ha1, "ha1_sha256": account.ha1_sha256, "licence_state": account.licence.state}


def populate(group, profile):
    plain = make_account(group, owner="=HYPERLINK(\"http://evil\")", email="rossi@example.com", description="-VIP @home",
                         secondary_number="+390299999999", security_model="end_to_site", obfuscation=False,
                         obfuscation_key=5, keepalive=True, account_type="snom", profile=profile)
    account_update(actor=Actor.system(), account_id=plain.pk, expected_version=plain.version, fields={},
                   access_rules=parse_entries("allow", "10.0.0.0/8 192.168.1.7/255.255.255.255"),
                   licence_edition="enterprise", licence_valid_until=date(2031, 5, 1))
    make_account(group, owner="Bianchi, Anna", caller_id='"Anna" <+390211111111>', description="'quoted'")
    account_create_wizard(actor=Actor.system(), group=group, fields={"virtual_number": "+393471234567", "owner": "Wizard Wendy", "profile": profile})


def test_the_export_has_the_template_columns_no_secret_and_neutralised_formulas(personas, profile, client_for):
    populate(personas.group, profile)
    response = client_for(personas.operator).get(f"/accounts/group/{personas.group.pk}/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="accounts-Acme.csv"' in response["Content-Disposition"]
    rows = exported_rows(response)
    assert list(rows[0]) == list(COLUMNS) and len(rows) == 3
    assert all(row["password"] == "" for row in rows)
    by_owner = {row["owner"]: row for row in rows}
    formula = by_owner["'=HYPERLINK(\"http://evil\")"]
    assert formula["virtual_number"].startswith("'+") and formula["description"] == "'-VIP @home"
    assert formula["allow"] == "10.0.0.0/8 192.168.1.7/255.255.255.255" and formula["profile"] == profile.name
    assert by_owner["Bianchi, Anna"]["description"] == "''quoted'"
    body = b"".join(client_for(personas.operator).get(f"/accounts/group/{personas.group.pk}/export.csv").streaming_content)
    for secret in [Account.objects.first().ha1, PASSWORD.encode()]:
        assert (secret if isinstance(secret, bytes) else secret.encode()) not in body


def test_export_then_import_into_a_new_group_gives_the_same_accounts_field_for_field(personas, profile, client_for):
    populate(personas.group, profile)
    originals = {a.username: comparable(a) for a in Account.objects.select_related("licence", "profile")}
    rows = exported_rows(client_for(personas.operator).get(f"/accounts/group/{personas.group.pk}/export.csv"))
    # Usernames and numbers are unique: the originals go first, as an operator moving accounts would.
    for account in Account.objects.all():
        account_delete(actor=Actor.system(), account_id=account.pk)
    for row in rows:  # the operator types the passwords of plain accounts again: the export never has them
        if originals[row["username"]]["creation_method"] == "plain":
            row["password"] = PASSWORD
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    target = Group.objects.create(name="Moved")
    report = accounts_import(actor=Actor.system(), group=target, stream=io.BytesIO(buffer.getvalue().encode()), dry_run=False)
    assert report.committed, report.problems
    imported = {a.username: comparable(a) for a in Account.objects.select_related("licence", "profile")}
    assert imported == originals
    assert set(Account.objects.values_list("group_id", flat=True)) == {target.pk}


def test_outsiders_cannot_export_a_group_and_anonymous_must_log_in(personas, client_for):
    make_account(personas.group)
    url = f"/accounts/group/{personas.group.pk}/export.csv"
    assert client_for(personas.outsider).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    assert client_for(personas.auditor).get(url).status_code == 200


def test_the_csv_template_lists_every_column_and_validates(personas, profile, client_for):
    response = client_for(personas.operator).get("/accounts/batch/template.csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    personas.group.profile = profile
    personas.group.save()
    report = accounts_import(actor=Actor.system(), group=personas.group, stream=io.BytesIO(response.content), dry_run=True)
    assert report.ok and report.rows == 2


@pytest.mark.django_db(transaction=True)  # the search index applies only committed changes
def test_a_search_result_exports_only_the_matching_accounts_the_operator_may_see(personas, client_for):
    make_account(personas.group, owner="Marco Rossi")
    make_account(personas.group, owner="Anna Bianchi")
    make_account(personas.other_group, owner="Luca Rossi")
    operator = client_for(personas.operator)
    group_rows = exported_rows(operator.get(f"/accounts/group/{personas.group.pk}/export.csv", {"q": "rossi"}))
    assert [row["owner"] for row in group_rows] == ["Marco Rossi"]
    everywhere = exported_rows(operator.get("/accounts/search/export.csv", {"q": "rossi"}))
    assert [row["owner"] for row in everywhere] == ["Marco Rossi"]
    admin_rows = exported_rows(client_for(personas.administrator).get("/accounts/search/export.csv", {"q": "rossi"}))
    assert sorted(row["owner"] for row in admin_rows) == ["Luca Rossi", "Marco Rossi"]
    refused = operator.get("/accounts/search/export.csv", {"q": "owner:(rossi"}, follow=True)
    assert "Nothing exported: the search is not valid" in refused.content.decode()
    assert client_for(None).get("/accounts/search/export.csv", {"q": "rossi"}).status_code == 302
