"""Comparing an index with the database (`check_search_index`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from accounts.search.engine.documents import account_fingerprint, account_rows
from accounts.search.engine.index_files import IndexFiles
from accounts.search.engine.sync import sync


@dataclass
class CheckReport:
    """Differences between the index and the database (all empty when they agree)."""

    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    extra: list[int] = field(default_factory=list)  # in the index, no longer in the database
    stale: list[int] = field(default_factory=list)  # indexed with other values
    duplicated: list[int] = field(default_factory=list)  # indexed more than once
    accounts: int = 0

    @property
    def difference_count(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale) + len(self.duplicated)


def check(files: IndexFiles) -> CheckReport:
    """Compare the index with the database, after applying the change log.

    A difference is confirmed by applying the log once more and looking again, so a change
    committed while the check ran is not reported.
    """
    report = _compare(files)
    if report.difference_count:
        sync(files)
        report = _compare(files)
    return report


def _compare(files: IndexFiles) -> CheckReport:
    sync(files)
    state = files.read_state()
    with files.open(state["generation"]).reader() as reader:
        indexed: dict[int, int] = {}
        duplicated: set[int] = set()
        for leaf, _offset in reader.leaf_readers():
            if leaf.doc_count_all() == 0:
                continue
            pks = leaf.column_reader("pk")
            fingerprints = leaf.column_reader("fingerprint")
            deleted = leaf.deleted_docs_set if leaf.has_deletions() else frozenset()
            for docnum in range(leaf.doc_count_all()):
                if docnum in deleted:
                    continue
                pk = pks[docnum]
                if pk in indexed:
                    duplicated.add(pk)
                indexed[pk] = fingerprints[docnum]
    report = CheckReport(duplicated=sorted(duplicated))
    with transaction.atomic():
        for row in account_rows():
            report.accounts += 1
            fingerprint = indexed.pop(row["id"], None)
            if fingerprint is None:
                report.missing.append(row["id"])
            elif fingerprint != account_fingerprint(row):
                report.stale.append(row["id"])
    report.extra = sorted(indexed)
    return report
