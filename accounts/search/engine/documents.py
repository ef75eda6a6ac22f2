"""What the search index holds of each account: the document of an account (with the fingerprint
that tells a stale document) and the account rows as the index reads them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from functools import lru_cache

from django.utils import timezone

from accounts.models import Account
from accounts.search.engine.schema import ANALYZED, HAS_FIELD, repeated_words_marker
from accounts.search.language.analyzer import analyze
from accounts.search.language.fields import (
    ALWAYS_PRESENT,
    FIELDS,
    FieldKind,
    keyword_value,
)

REBUILD_BATCH = 5000  # account rows read per query

# The account columns the index reads (account_rows).
ACCOUNT_COLUMNS = (
    "id", "group_id", "username", "owner", "caller_id", "email", "description",
    "virtual_number", "secondary_number", "account_type", "status", "enabled", "created_at",
)


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
        # The project's zone (no request activates another), without looking up the active one
        # per account: that lookup was a tenth of a rebuild.
        "created": timezone.localtime(row["created_at"], timezone.get_default_timezone()).date().isoformat(),
    }


def account_fingerprint(row: dict, values: dict[str, str] | None = None) -> int:
    """A 63-bit digest of everything the index holds for the account, to detect drift
    (`values`: the row's _field_values, if already worked out)."""
    values = _field_values(row) if values is None else values
    text = "\x1f".join([str(row["id"]), str(row["group_id"])] + [values[k] for k in sorted(values)])
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 1


@lru_cache(maxsize=1 << 16)
def _terms_of(value: str) -> tuple[str, ...]:
    """The terms of a text value, remembered: a caller id is mostly its owner's name, and names
    and descriptions recur from account to account (analysing them was a third of a rebuild)."""
    return tuple(analyze(value))


def account_document(row: dict) -> dict:
    """The Whoosh document of one account row, with the terms of its text fields (ANALYZED)."""
    values = _field_values(row)
    document: dict = {
        "pk": row["id"],
        "fingerprint": account_fingerprint(row, values),
        "group_id": str(row["group_id"]),
    }
    present = []
    analyzed: dict[str, tuple[str, ...]] = {}
    for (name, is_text, keeps_pairs, always_present), value in zip(_field_plan(tuple(values)), values.values()):
        if not value:
            continue
        if not always_present:
            present.append(name)
        if is_text:
            document[name] = value
            terms = analyzed[name] = _terms_of(value)
            if keeps_pairs:
                document[FIELDS[name].pairs_name] = value
                if len(terms) > 1 and len(set(terms)) < len(terms):
                    present.append(repeated_words_marker(name))
        else:
            document[name] = _keyword_term(name, value)
    document[HAS_FIELD] = " ".join(present)
    document[ANALYZED] = analyzed
    return document


@lru_cache(maxsize=4)
def _field_plan(names: tuple[str, ...]) -> tuple[tuple[str, bool, bool, bool], ...]:
    """For each of the fields `names`: its name, whether it is text, whether it keeps word pairs
    and whether every account has it (worked out once: a rebuild asks for each account)."""
    return tuple((name, FIELDS[name].kind is FieldKind.TEXT, FIELDS[name].word_pairs, name in ALWAYS_PRESENT)
                 for name in names)


@lru_cache(maxsize=1 << 14)
def _keyword_term(name: str, value: str) -> str:
    """The term of a keyword or date field's value, remembered: statuses, types and dates repeat."""
    return keyword_value(FIELDS[name], value)


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
