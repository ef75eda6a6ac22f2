"""What the search index holds of each account, and account rows written as index segments.

The schema and the document of an account (with the fingerprint that tells a stale document),
the account rows as the index reads them, and the segments written from ranges of them: in
several processes at once on PostgreSQL (each with its own connection), by the bulk segment
writer (bulk.py). index.py decides when; this module knows how.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import connection, connections
from django.utils import timezone
from whoosh import columns, index as whoosh_index
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema

from accounts.models import Account
from accounts.search import query as q
from accounts.search.analyzer import AccountTextTokenizer
from accounts.search.bulk import write_segment
from accounts.search.fields import ALWAYS_PRESENT, FIELDS, FieldKind, keyword_value

REBUILD_BATCH = 5000  # account rows read per query
REBUILD_PROCESSES = max(1, min(4, os.cpu_count() or 1))

# The account columns the index reads (account_rows).
ACCOUNT_COLUMNS = (
    "id", "group_id", "username", "owner", "caller_id", "email", "description",
    "virtual_number", "secondary_number", "account_type", "status", "enabled", "created_at",
)


def search_schema() -> Schema:
    """The Whoosh schema: every field of fields.FIELDS, plus bookkeeping fields."""
    forward = AccountTextTokenizer()
    backward = AccountTextTokenizer(reverse=True)
    pairs = AccountTextTokenizer(pairs=True)
    spec = {
        "account_id": ID(unique=True),
        "pk": COLUMN(columns.NumericColumn("q")),
        "fingerprint": COLUMN(columns.NumericColumn("q")),
        "group_id": ID(),
        q.HAS_FIELD: KEYWORD(),
    }
    for search_field in FIELDS.values():
        if search_field.name == "group":
            continue  # resolved against group names at query time, see GroupNode
        if search_field.kind is FieldKind.TEXT:
            spec[search_field.name] = TEXT(analyzer=forward, phrase=True)
            if search_field.reversed_terms:
                spec[search_field.reversed_name] = TEXT(analyzer=backward, phrase=False)
            if search_field.word_pairs:
                spec[search_field.pairs_name] = TEXT(analyzer=pairs, phrase=False)
        else:
            spec[search_field.name] = ID()
    return Schema(**spec)


def _field_values(row: dict) -> dict[str, str]:
    """The searchable text of each field for one account row (see ACCOUNT_COLUMNS)."""
    numbers = " ".join(n for n in (row["virtual_number"], row["secondary_number"]) if n)
    return {
        "owner": row["owner"] or "",
        "username": row["username"] or "",
        "callerid": row["caller_id"] or "",
        "email": row["email"] or "",
        "description": row["description"] or "",
        "number": numbers,
        "status": row["status"] or "",
        "enabled": "true" if row["enabled"] else "false",
        "type": row["account_type"] or "",
        "created": timezone.localtime(row["created_at"]).date().isoformat(),
    }


def account_fingerprint(row: dict) -> int:
    """A 63-bit digest of everything the index holds for the account, to detect drift."""
    values = _field_values(row)
    text = "\x1f".join([str(row["id"]), str(row["group_id"])] + [values[k] for k in sorted(values)])
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def account_document(row: dict) -> dict:
    """The Whoosh document of one account row."""
    values = _field_values(row)
    document: dict = {
        "account_id": str(row["id"]),
        "pk": row["id"],
        "fingerprint": account_fingerprint(row),
        "group_id": str(row["group_id"]),
    }
    present = []
    for name, value in values.items():
        search_field = FIELDS[name]
        if not value:
            continue
        if name not in ALWAYS_PRESENT:
            present.append(name)
        if search_field.kind is FieldKind.TEXT:
            document[name] = value
            if search_field.reversed_terms:
                document[search_field.reversed_name] = value
            if search_field.word_pairs:
                document[search_field.pairs_name] = value
        else:
            document[name] = keyword_value(search_field, value)
    document[q.HAS_FIELD] = " ".join(present)
    return document


def account_rows(account_ids: Iterable[int] | None = None, *,
                 id_range: tuple[int, int] | None = None) -> Iterator[dict]:
    """Account rows as the index needs them, streamed in id order (optionally low <= id < high)."""
    queryset = Account.objects.order_by("id").values(*ACCOUNT_COLUMNS)
    if id_range is not None:
        queryset = queryset.filter(id__gte=id_range[0], id__lt=id_range[1])
    if account_ids is None:
        return queryset.iterator(chunk_size=REBUILD_BATCH)
    return _rows_of(queryset, sorted(account_ids))


def _rows_of(queryset, sorted_ids: list[int]) -> Iterator[dict]:
    """The rows of `sorted_ids`, one query per REBUILD_BATCH ids (a backlog may name 100,000)."""
    for start in range(0, len(sorted_ids), REBUILD_BATCH):
        yield from queryset.filter(id__in=sorted_ids[start:start + REBUILD_BATCH])


def _write_range(path: str, low: int, high: int, only: list[int] | None = None):
    """Index the accounts with low <= id < high (only those named by `only`, if given) as one
    segment of the index at `path`, without committing it.

    The segment is written in a staging directory of its own, because Whoosh writers of one
    index share a temporary directory that each removes when it finishes, and then moved in
    (segment files are named after the segment, so they keep their meaning).
    """
    staging = Path(path) / f"staging-{low}-{high}"
    staging.mkdir()
    try:
        rows = account_rows(id_range=(low, high)) if only is None else account_rows(only)
        documents = (account_document(row) for row in rows)
        segment = write_segment(whoosh_index.create_in(str(staging), search_schema()), documents)
        if segment is not None:
            for file in staging.glob(f"{segment.indexname}_{segment.segid}*"):
                os.replace(file, Path(path) / file.name)
        return segment
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_range_task(arguments: tuple[str, int, int, list[int] | None]):
    try:
        return _write_range(*arguments)
    finally:
        connections.close_all()


def _forget_inherited_connections() -> None:
    """In a forked worker: drop the parent's database connections without closing them (closing
    would end the parent's session); the worker opens connections of its own."""
    for wrapper in connections.all(initialized_only=True):
        wrapper.connection = None


def write_ranges(path: str, ranges: list[tuple[int, int, list[int] | None]]) -> list:
    """`_write_range` for each (low, high, only) range: in worker processes (each with its own
    connection) on PostgreSQL when there are several, else here. Returns the non-empty segments."""
    if connection.vendor == "postgresql" and len(ranges) > 1 and REBUILD_PROCESSES > 1:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(REBUILD_PROCESSES, initializer=_forget_inherited_connections) as pool:
            segments = pool.map(_write_range_task, [(path, *piece) for piece in ranges], chunksize=1)
    else:
        segments = [_write_range(path, *piece) for piece in ranges]
    return [segment for segment in segments if segment is not None]
