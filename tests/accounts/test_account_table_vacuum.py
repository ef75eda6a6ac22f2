"""PostgreSQL vacuums the accounts table after 2 % of its rows changed (migration 0010): a bulk
action's rewritten rows otherwise keep a group's counts slow until 20 % of the table changed."""
import pytest
from django.db import connection

from tests.conftest import requires_postgresql

pytestmark = [requires_postgresql, pytest.mark.django_db]


def test_the_accounts_table_is_vacuumed_and_analyzed_after_two_percent_of_its_rows_changed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'accounts_account'")
        options = set(cursor.fetchone()[0] or [])
    assert {"autovacuum_vacuum_scale_factor=0.02", "autovacuum_analyze_scale_factor=0.02"} <= options
