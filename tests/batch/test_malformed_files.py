"""Malformed files: a clear report, nothing written, never an exception (property tests)."""
import codecs
import io

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.batch.columns import COLUMNS
from accounts.batch.importer import accounts_import
from accounts.models import Account
from console.audit import Actor
from groups.models import Group
from tests.batch.helpers import csv_bytes, plain_row

HYPOTHESIS = hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def run(group, data: bytes, dry_run=False):
    return accounts_import(actor=Actor.system(), group=group, stream=io.BytesIO(data), dry_run=dry_run)


@pytest.fixture
def group(db):
    return Group.objects.create(name="Malformed")


GOOD = csv_bytes([plain_row(1), plain_row(2)])


def mutations():
    """A valid file damaged in one of the ways files arrive damaged."""
    cut = st.integers(min_value=0, max_value=len(GOOD))
    return st.one_of(
        st.binary(max_size=2000),
        st.builds(lambda i, junk: GOOD[:i] + junk + GOOD[i:], cut, st.binary(min_size=1, max_size=50)),
        st.builds(lambda i: GOOD[:i] + b'"' + GOOD[i:], cut),
        st.builds(lambda i: GOOD[:i], cut),
        st.builds(lambda text: text.encode("utf-8", "surrogatepass"), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=500)),
        st.builds(lambda cols: csv_bytes([plain_row(1)], columns=cols), st.lists(st.sampled_from(COLUMNS + ("extra", "")), max_size=20)),
        st.builds(lambda enc: GOOD.decode().encode(enc), st.sampled_from(["utf-16", "utf-16-le", "latin-1", "utf-32", "cp1252"])),
    )


@HYPOTHESIS
@given(data=mutations())
def test_a_damaged_file_gives_a_report_and_writes_nothing_unless_it_is_entirely_valid(group, data):
    report = run(group, data)
    if report.ok:
        assert report.committed and Account.objects.count() == report.imported
        Account.objects.all().delete()
    else:
        assert report.summary() and not report.committed
        assert report.file_problem or report.problems
        assert Account.objects.count() == 0


def test_a_byte_order_mark_is_accepted(group):
    assert run(group, codecs.BOM_UTF8 + GOOD).imported == 2


def test_utf16_with_its_byte_order_mark_is_read(group):
    assert run(group, GOOD.decode().encode("utf-16")).imported == 2


def test_a_latin1_file_is_refused_with_advice(group):
    report = run(group, csv_bytes([plain_row(1, owner="José Müller")], encoding="latin-1"))
    assert "not UTF-8" in report.file_problem and "CSV UTF-8" in report.file_problem
    assert Account.objects.count() == 0


def test_semicolon_separated_files_are_read(group):
    assert run(group, csv_bytes([plain_row(1)], delimiter=";")).imported == 1


def test_a_file_with_another_delimiter_is_refused_naming_the_unknown_column(group):
    report = run(group, csv_bytes([plain_row(1)], delimiter="|"))
    assert "Unknown column" in report.file_problem and "comma-separated" in report.file_problem
    assert report.file_problem_line == 1


def test_an_unbalanced_quote_is_reported_with_its_line(group):
    data = GOOD + b'7700000009,"Unclosed owner,,,,+493000000009,,,,,,,,,,,pass-word-9,,\r\n'
    report = run(group, data)
    assert "not valid CSV" in report.file_problem and "quote" in report.file_problem
    assert report.file_problem_line == 4
    assert Account.objects.count() == 0


def test_missing_and_extra_columns(group):
    assert "lacks the required column: virtual_number" in run(group, csv_bytes([{}], columns=("owner",))).file_problem
    assert "'colour'" in run(group, csv_bytes([plain_row(1)], columns=COLUMNS + ("colour",))).file_problem
    assert "named twice" in run(group, csv_bytes([plain_row(1)], columns=COLUMNS + ("owner",))).file_problem
    short_row = GOOD + b"7700000003,owner only\r\n"
    report = run(group, short_row)
    assert [(p.line, p.message) for p in report.problems] == [(4, "This row has 2 cells, the header has 18 columns.")]


def test_a_file_with_only_the_needed_columns_is_enough(group):
    assert run(group, csv_bytes([plain_row(1)], columns=("username", "virtual_number", "password"))).imported == 1


def test_a_huge_field_is_refused_without_reading_it_all_into_a_row(group):
    data = GOOD + b"7700000003," + b"x" * 300_000 + b",,,,+493000000003,,,,,,,,,,,pass-word-3,,\r\n"
    report = run(group, data)
    assert "field larger than field limit" in report.file_problem
    long_owner = run(group, csv_bytes([plain_row(1, owner="y" * 5000)]))
    assert [(p.line, p.column) for p in long_owner.problems] == [(2, "owner")]
    assert Account.objects.count() == 0


def test_a_hundred_thousand_empty_lines_are_skipped(group):
    report = run(group, GOOD + b"\r\n" * 50_000 + b",,,,,,,,,,,,,,,,,\r\n" * 50_000, dry_run=True)
    assert report.ok and report.rows == 2


def test_an_empty_file_says_so(group):
    assert "empty" in run(group, b"").file_problem
    assert "empty" in run(group, b"\r\n\r\n").file_problem
    assert "no account rows" in run(group, csv_bytes([])).file_problem


def test_nul_bytes_are_reported(group):
    report = run(group, GOOD + b"7700000003,\x00,,,,+493000000003\r\n")
    assert report.file_problem or report.problems
    assert Account.objects.count() == 0
