"""Writing Whoosh's term file (the W3 codec's ordered hash file of term infos) faster than
Whoosh's own writer, with the same bytes: a term in one document as a compact inlined term info,
runs of such terms added with one write, and the hash tables written a table at a time. The
bulk segment writer (segment_writer.py) uses it; the layouts are in whoosh_boundary.py, and
tests/search/test_whoosh_boundary.py compares every byte with Whoosh's writer.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence
from hashlib import md5
from itertools import starmap

from whoosh.filedb.filetables import OrderedHashWriter

from accounts.search.engine.whoosh_boundary import HASH_SLOT, TERM_INFO, TERM_RECORD_LENGTHS


def inlined_term_info(docnum: int, weight: float, value: bytes) -> bytes:
    """The term info of a term in one document, with its one posting inlined: what Whoosh's
    W3TermInfo.to_bytes writes for it (Whoosh 2.7's own writer never inlines: it calls a method
    that does not exist), except that the postings are pickled with protocol 3 and no memo, which
    Whoosh's reader (pickle.loads) reads the same: 36 bytes instead of 87 (protocol 2 pickles
    bytes as a call to `_codecs.encode`). Most terms of account data are in one document
    (usernames, numbers, emails), so this is most of the index's size and of the writing time."""
    return (TERM_INFO.pack(1, weight, 1, 0, 0, weight, docnum, docnum)
            + b"\x80\x03" + _pickled_int(docnum) + b"\x85G" + _DOUBLE.pack(weight) + b"\x85"
            + _pickled_bytes(value) + b"\x85\x87.")


_DOUBLE = struct.Struct(">d")
_INT = struct.Struct("<i")


def _pickled_int(number: int) -> bytes:
    if number < 256:
        return b"K" + bytes((number,))
    if number < 65536:
        return b"M" + number.to_bytes(2, "little")
    return b"J" + _INT.pack(number)


def _pickled_bytes(value: bytes) -> bytes:
    if len(value) < 256:
        return b"C" + bytes((len(value),)) + value
    return b"B" + len(value).to_bytes(4, "little") + value



class BulkTermTable(OrderedHashWriter):
    """Whoosh's writer of the term file (OrderedHashWriter) with a way to add a run of records
    in key order with one write, and hash tables written with one write each instead of one
    per slot: the bytes are the same (tests/search/test_whoosh_boundary.py compares them), in a
    fifth of the time. Adding one record at a time (Whoosh's field writer does, for a term with
    a posting list) works as before."""

    @classmethod
    def adopt(cls, table: OrderedHashWriter) -> BulkTermTable:
        """Make the term table a field writer already opened (and wrote the header of) one of these."""
        if type(table) is not OrderedHashWriter or table.hashtype != 0:
            raise TypeError(f"not a term table of Whoosh's layout: {table!r}")
        table.__class__ = cls
        return table

    def add_in_order(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Add (key, value) records whose keys increase, and follow every key added before."""
        if not records:
            return
        if records[0][0] <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{records[0][0]!r}")
        position = self.dbfile.tell()
        positions = array("q")
        chunks = []
        for key, value in records:
            positions.append(position)
            chunk = TERM_RECORD_LENGTHS.pack(len(key), len(value)) + key + value
            chunks.append(chunk)
            position += len(chunk)
        self.dbfile.write(b"".join(chunks))
        self._remember_positions(positions)
        buckets = self.buckets
        for (key, _value), at in zip(records, positions):
            hashed = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
            buckets[hashed & 255].append((hashed, at))
        self.lastkey = records[-1][0]

    def _remember_positions(self, positions: array) -> None:
        """Append to the key index as its one-at-a-time appends would (widening its type when
        a position outgrows it)."""
        index = self.index
        try:
            typed = array(index.array.typecode, positions)
        except OverflowError:
            index._retype(positions[-1])
            typed = array(index.array.typecode, positions)
        index.array.extend(typed)

    def _write_hashes(self) -> None:
        null = (0, 0)
        for entries in self.buckets:
            slots = 2 * len(entries)
            self.directory.append((self.dbfile.tell(), slots))
            table = [null] * slots
            for hashed, position in entries:
                slot = (hashed >> 8) % slots
                while table[slot] != null:
                    slot = (slot + 1) % slots
                table[slot] = (hashed, position)
            self.dbfile.write(b"".join(starmap(HASH_SLOT.pack, table)))
