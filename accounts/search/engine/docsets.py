"""Sets of document numbers of one segment, each held the cheaper of two ways ("doc sets").

A few documents are a Python `set`. Many documents are a "doc map": an int whose byte i is 1
when document i is in it (little-endian). Queries over a million accounts combine sets of
hundreds of thousands of documents; as Python sets each union or difference costs tens of
nanoseconds per element, as doc maps `|`, `&` and `& ~` run over the whole segment at memory
speed (a 250,000-document segment is a 250 kB int), and filling one or listing its documents
are single C-level loops. A doc map has a fixed cost of about a millisecond per segment,
which is why small results stay sets.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, repeat
from typing import TypeVar

DocSet = set[int] | int
T = TypeVar("T")

_ONE = re.compile(b"\x01")
SPARSE = 4  # a doc set with at most one document in this many of the segment is a set


def is_map(docs: DocSet) -> bool:
    return isinstance(docs, int)


def from_docs(size: int, *sources: Iterable[int]) -> int:
    """The doc map of the documents in `sources` (of a segment of `size` documents)."""
    marks = bytearray(size)
    for docnums in sources:
        mark(marks, docnums)
    return int.from_bytes(marks, "little")


def mark(marks: bytearray, docnums: Iterable[int], value: int = 1) -> None:
    """Set the byte of each document of `docnums` to `value`."""
    deque(map(marks.__setitem__, docnums, repeat(value)), maxlen=0)


def full(size: int) -> int:
    """The doc map of every document of a segment of `size` documents."""
    return int.from_bytes(b"\x01" * size, "little")


def collect(size: int, docnums: Iterable[int], expected: int) -> DocSet:
    """The documents of `docnums` (about `expected` of them) as a set or a doc map."""
    if expected * SPARSE <= size:
        return set(docnums)
    return from_docs(size, docnums)


def union(size: int, a: DocSet, b: DocSet) -> DocSet:
    if is_map(a) and is_map(b):
        return a | b
    if not is_map(a) and not is_map(b):
        if (len(a) + len(b)) * SPARSE <= size:
            return a | b
        return from_docs(size, a, b)
    docmap, docs = (a, b) if is_map(a) else (b, a)
    if not docs:
        return docmap
    marks = bytearray(docmap.to_bytes(size, "little"))
    mark(marks, docs)
    return int.from_bytes(marks, "little")


def intersection(size: int, a: DocSet, b: DocSet) -> DocSet:
    if is_map(a) and is_map(b):
        return a & b
    if not is_map(a) and not is_map(b):
        return a & b
    docmap, docs = (a, b) if is_map(a) else (b, a)
    if not docs or not docmap:
        return set()
    marks = docmap.to_bytes(size, "little")
    return {docnum for docnum in docs if marks[docnum]}


def difference(size: int, a: DocSet, b: DocSet) -> DocSet:
    """The documents of `a` not in `b`."""
    if not a or not b:
        return a
    if is_map(a) and is_map(b):
        return a & ~b
    if not is_map(a) and not is_map(b):
        return a - b
    if is_map(b):
        marks = b.to_bytes(size, "little")
        return {docnum for docnum in a if not marks[docnum]}
    marks = bytearray(a.to_bytes(size, "little"))
    mark(marks, b, 0)
    return int.from_bytes(marks, "little")


def count(docs: DocSet) -> int:
    """How many documents a doc set holds (a doc map's bytes are 0 or 1: one bit per document)."""
    return docs.bit_count() if is_map(docs) else len(docs)


def is_everything(size: int, docs: DocSet, everything: int) -> bool:
    return is_map(docs) and docs == everything


def docs(docset: DocSet, size: int) -> Iterator[int]:
    """The document numbers of a doc set (those of a doc map in increasing order)."""
    if not is_map(docset):
        return iter(docset)
    marks = docset.to_bytes(size, "little")
    if docset.bit_count() * 16 < size:
        # Few documents: jump from one to the next instead of visiting every byte.
        return (found.start() for found in _ONE.finditer(marks))
    return compress(range(size), marks)


def select(values: Sequence[T], docset: DocSet, size: int) -> Iterable[T]:
    """`values[docnum]` for each document of the doc set, in document order (a doc map selects
    in one C loop; a set is sorted first, so that the values, read in order, come in runs that
    a later sort of them merges instead of sorting, and a comprehension indexes an array three
    times faster than `map(values.__getitem__, ...)`)."""
    if is_map(docset):
        return compress(values, docset.to_bytes(size, "little"))
    return [values[docnum] for docnum in sorted(docset)]
