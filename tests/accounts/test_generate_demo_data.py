"""generate_demo_data: groups, accounts with licences, one audit entry, no clashes (bench/)."""
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from accounts.demo_data import DEMO_PASSWORD, demo_data_generate, demo_username
from accounts.digests import sip_digests
from accounts.models import Account, SearchChange
from console.audit import Actor
from console.models import AuditEntry
from groups.models import Group
from licensing.models import Licence
from tests.conftest import make_account, requires_postgresql

pytestmark = pytest.mark.django_db


def generate(**options) -> str:
    out = StringIO()
    call_command("generate_demo_data", stdout=out, **options)
    return out.getvalue()


def test_the_command_creates_the_groups_and_accounts_asked_for_with_the_largest_group_as_asked():
    output = generate(groups=4, accounts=150, largest_group=60)

    groups = list(Group.objects.filter(name__startswith="Demo ").order_by("pk"))
    sizes = Counter(Account.objects.values_list("group_id", flat=True))
    assert len(groups) == 4
    assert Account.objects.count() == 150
    assert [sizes[group.pk] for group in groups] == [60, 30, 30, 30]
    assert f"Largest group: {groups[0].name} (id {groups[0].pk}) with 60 accounts." in output
    assert "rebuild_search_index" in output


def test_every_generated_account_has_exactly_one_licence():
    generate(groups=2, accounts=80)

    assert Licence.objects.count() == 80
    assert set(Licence.objects.values_list("account_id", flat=True)) == set(Account.objects.values_list("pk", flat=True))


def test_usernames_and_numbers_are_unique_and_valid():
    generate(groups=3, accounts=300)

    accounts = list(Account.objects.all())
    usernames = [account.username for account in accounts]
    numbers = [account.virtual_number for account in accounts]
    secondary = [account.secondary_number for account in accounts if account.secondary_number]
    assert len(set(usernames)) == 300
    assert len(set(numbers + secondary)) == len(numbers) + len(secondary)
    for account in accounts:
        account.full_clean(exclude=["ha1", "ha1_sha256"])


def test_plain_accounts_get_the_digests_of_the_demo_password_and_wizard_accounts_none():
    generate(groups=2, accounts=200)

    plain = Account.objects.filter(creation_method=Account.CreationMethod.PLAIN)
    wizard = Account.objects.filter(creation_method=Account.CreationMethod.WIZARD)
    assert plain.exists() and wizard.exists()
    for account in plain:
        assert (account.ha1, account.ha1_sha256) == sip_digests(account.username, DEMO_PASSWORD)
    assert set(wizard.values_list("ha1", flat=True)) == {"!"}
    assert not Account.objects.filter(account_type=Account.AccountType.SNOM, creation_method=Account.CreationMethod.WIZARD).exists()


def test_the_data_looks_real_accented_owners_emails_caller_ids_and_every_status():
    generate(groups=2, accounts=400)

    owners = " ".join(Account.objects.values_list("owner", flat=True))
    assert any(letter in owners for letter in "éüñøłç")
    assert Account.objects.exclude(email="").filter(email__contains="@").count() > 300
    assert Account.objects.filter(caller_id__startswith='"').exists()
    assert set(Account.objects.values_list("status", flat=True)) == set(Account.Status.values)
    assert Account.objects.filter(enabled=False).exists() and Account.objects.filter(enabled=True).exists()
    assert not Account.objects.filter(created_at__gt=F("status_changed_at")).exists()


def test_a_run_writes_one_audit_entry_and_no_search_change_rows():
    generate(groups=3, accounts=120)

    entries = AuditEntry.objects.all()
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.actor_kind, entry.actor_label, entry.action) == ("command", "manage.py generate_demo_data", "demo_data.generate")
    assert entry.after["accounts"] == 120
    assert SearchChange.objects.count() == 0


def test_a_second_run_adds_accounts_without_clashing_with_the_first():
    generate(groups=2, accounts=100)
    generate(groups=2, accounts=100)

    assert Account.objects.count() == 200
    assert Group.objects.count() == 4
    assert AuditEntry.objects.count() == 2


def test_a_clash_with_an_existing_username_is_refused_and_nothing_is_written(personas):
    existing = make_account(personas.group)
    make_account(personas.group, username=demo_username(existing.pk + 5))
    groups_before, accounts_before = Group.objects.count(), Account.objects.count()

    with pytest.raises(CommandError, match="demo usernames are already taken"):
        generate(groups=2, accounts=50)

    assert (Group.objects.count(), Account.objects.count()) == (groups_before, accounts_before)
    assert not AuditEntry.objects.filter(action="demo_data.generate").exists()


def test_a_largest_group_bigger_than_the_run_is_refused():
    with pytest.raises(CommandError, match="largest group cannot hold more"):
        generate(groups=2, accounts=10, largest_group=11)

    assert not Group.objects.exists()


@requires_postgresql
@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "bulk_create"])
def test_on_postgresql_both_writers_produce_the_same_rows(use_copy):
    assert connection.vendor == "postgresql"
    result = demo_data_generate(actor=Actor.command("generate_demo_data"), groups=3, accounts=90, use_copy=use_copy)

    assert Account.objects.filter(group__in=result.groups).count() == 90
    assert Licence.objects.filter(account__group__in=result.groups).count() == 90
    first = Account.objects.get(pk=result.first_account_id)
    assert first.username == demo_username(result.first_account_id)
    assert first.created_at <= first.status_changed_at


def table_layout() -> list:
    """The indexes and foreign keys of the account and licence tables, as definitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN "
            "('accounts_account'::regclass, 'licensing_licence'::regclass) "
            "UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid IN ('accounts_account'::regclass, 'licensing_licence'::regclass) ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


@requires_postgresql
def test_on_postgresql_a_large_load_rebuilds_exactly_the_indexes_and_foreign_keys_it_dropped(personas):
    make_account(personas.group)
    before = table_layout()

    result = demo_data_generate(actor=Actor.command("generate_demo_data"), groups=2, accounts=60, rebuild_indexes=True)

    assert table_layout() == before
    assert len([definition for definition in before if "FOREIGN KEY" in definition]) == 3
    assert Licence.objects.filter(account__group__in=result.groups).count() == 60
    with pytest.raises(IntegrityError), transaction.atomic():
        Licence.objects.create(account_id=10**9)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@requires_postgresql
def test_on_postgresql_the_id_sequence_moves_past_the_generated_accounts(personas):
    generate(groups=2, accounts=40)

    account = make_account(personas.group)

    assert account.pk > Account.objects.exclude(pk=account.pk).order_by("-pk").values_list("pk", flat=True)[0]
