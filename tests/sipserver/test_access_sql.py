"""The SQL that Kamailio runs agrees with the console: credentials view and allow/deny decision."""
import random

import pytest
from django.db import connection

from accounts.access_lists import (
    ALLOW,
    DENY,
    AccessEntry,
    decide,
    parse_entries,
    parse_network,
)
from accounts.services import account_create, account_set_enabled, account_update
from console.audit import Actor
from tests.conftest import make_account, requires_postgresql

pytestmark = [requires_postgresql, pytest.mark.django_db]

NETWORKS = [
    "0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "192.168.0.0/16",
    "::/0", "2001:db8::/32", "2001:db8:1::/48",
]
ADDRESSES = [
    "10.1.2.3", "10.1.2.4", "10.1.9.9", "10.9.9.9", "192.168.1.1", "8.8.8.8", "127.0.0.2",
    "2001:db8:1::5", "2001:db8:2::5", "::1",
]


def sql_decision(account_id: int, address: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sip_source_allowed(%s, %s::inet)", [account_id, address])
        return cursor.fetchone()[0]


def register_check(username: str, address: str) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ha1, ha1_sha256, enabled, allowed FROM sip_register_check(%s, %s::inet)", [username, address])
        return cursor.fetchone()


def credentials(username: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM sip_credentials WHERE username = %s", [username])
        columns = [column.name for column in cursor.description]
        return dict(zip(columns, cursor.fetchone()))


def test_the_sql_decision_agrees_with_the_console_on_random_allow_and_deny_lists(personas):
    chooser = random.Random(2026)
    for index in range(30):
        entries = [
            AccessEntry(action=chooser.choice([ALLOW, DENY]), network=parse_network(network), as_typed=network)
            for network in chooser.sample(NETWORKS, chooser.randint(0, 4))
        ]
        if index % 5 == 0 and entries:  # the same network allowed and denied: a tie, which denies
            twin = entries[0]
            entries.append(AccessEntry(action=ALLOW if twin.action == DENY else DENY, network=twin.network, as_typed=twin.as_typed))
        account = account_create(
            actor=Actor.system(), group=personas.group, password="s3cret-pass", access_rules=entries,
            fields={"username": f"77{index:06d}", "virtual_number": f"+3977{index:06d}"},
        )
        for address in ADDRESSES:
            expected = decide(address, entries)
            assert sql_decision(account.pk, address) is expected.allowed, (address, entries, expected.reason)


def test_an_account_without_rules_is_allowed_from_anywhere(personas):
    account = make_account(personas.group)

    assert sql_decision(account.pk, "203.0.113.9") is True
    assert sql_decision(account.pk, "2001:db8::9") is True


def test_the_register_check_gives_kamailio_digests_enabled_flag_and_decision_in_one_row(personas):
    account = make_account(personas.group)
    account_update(
        actor=Actor.system(), account_id=account.pk, expected_version=account.version, fields={},
        access_rules=parse_entries("deny", "192.0.2.0/24"),
    )
    account_set_enabled(actor=Actor.system(), account_id=account.pk, enabled=False)
    account.refresh_from_db()

    assert register_check(account.username, "192.0.2.7") == (account.ha1, account.ha1_sha256, 0, 0)
    assert register_check(account.username, "198.51.100.7") == (account.ha1, account.ha1_sha256, 0, 1)
    assert register_check("4999999999", "198.51.100.7") is None


def test_the_credentials_view_gives_kamailio_the_digests_and_integer_flags(personas):
    account = make_account(personas.group)
    account_set_enabled(actor=Actor.system(), account_id=account.pk, enabled=False)
    account.refresh_from_db()

    row = credentials(account.username)

    assert row["ha1"] == account.ha1 and row["ha1_sha256"] == account.ha1_sha256
    assert row["enabled"] == 0
    assert row["domain"] == "" and row["ha1b"] == ""


def test_kamailio_finds_the_table_versions_it_checks(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, table_version FROM version ORDER BY table_name")
        versions = dict(cursor.fetchall())

    assert versions["location"] == 9 and versions["location_attrs"] == 1 and versions["sip_credentials"] == 7
