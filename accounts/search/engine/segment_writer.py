"""Writing many accounts at once: Whoosh segments from account rows without Whoosh's per-token path.

Whoosh's SegmentWriter turns every token into an object, pickles every posting into a sorting
pool and encodes every position list with pickle: about 700 accounts a second here, 25 minutes
for a million. This writer analyzes each value once (the pair field reuses its
terms), keeps postings in a dictionary per segment, sorts only the distinct terms, and encodes
the usual single position per term through a cache. A term in one document (most of them:
usernames, numbers, emails) goes straight into the term file with its posting inlined, a run
of such terms at a time (term_file.py); the others' posting lists are handed to Whoosh's
postings writer a block at a time. It produces ordinary Whoosh segments in the schema's own
formats, so searching and incremental updates use them like any other, and saves each
segment's lexicons (lexicon_files.py), built from the postings it holds rather than read back
from the files it wrote.

Full rebuilds use it (`write_ranges`: several processes at once on PostgreSQL, each with its own
connection), and so does applying a large change-log backlog (a batch import):
`segments_without` marks the changed accounts' old documents deleted in the existing segments,
the new documents go into one new segment, and `commit_segments` publishes both in one commit.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import compress, count, repeat
from pathlib import Path

from django.db import connection, connections
from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.codec.base import Segment
from whoosh.reading import SegmentReader
from whoosh.system import emptybytes
from whoosh.writing import SegmentWriter

from accounts.search.engine.documents import account_document, account_rows
from accounts.search.engine.lexicon import Lexicon
from accounts.search.engine.lexicon_files import LEXICON_DIRECTORY, save_field_lexicons
from accounts.search.engine.schema import (
    ANALYZED,
    BOOKKEEPING_FIELDS,
    FORWARD_FIELDS,
    HAS_FIELD,
    PAIR_FIELDS,
    lexicon_fields,
    search_schema,
)
from accounts.search.engine.term_file import BulkTermTable, inlined_term_info
from accounts.search.engine.whoosh_boundary import FIELD_NUMBER, read_id_column
from accounts.search.language.analyzer import word_pairs
from accounts.search.language.fields import FIELDS, FieldKind

# Processes writing the segments of a rebuild or a large backlog at once (PostgreSQL only).
REBUILD_PROCESSES = max(1, min(4, os.cpu_count() or 1))



@lru_cache(maxsize=4096)
def _single_position_value(position: int) -> bytes:
    return formats.Positions().encode([position])


# The encoded positions of a term found once, at position 0, 1, 2, ...: the value of most
# postings of a text field.
_FIRST_POSITIONS = tuple(_single_position_value(position) for position in range(64))


@lru_cache(maxsize=256)
def _frequency_value(count: int) -> bytes:
    return formats.pack_uint(count)


@lru_cache(maxsize=4096)
def _weight(value: bytes) -> float:
    """A posting's weight, as Whoosh's formats give it: its number of occurrences, which the
    encodings of Frequency and Positions start with, as an unsigned big-endian int of four
    bytes (Existence: one)."""
    return float(int.from_bytes(value[:4], "big")) if value else 1.0


# A term's postings while a segment is written: its documents and the encoded value of each,
# interleaved in one list ([document, value, document, value, ...], in the order added). Most
# terms are in one document, so most of these lists hold two items, and the values are shared
# objects (nearly all one of a few cached encodings); weights are derived from the values when
# the segment is flushed.
PendingPostings = list


class BulkSegmentWriter(SegmentWriter):
    """A SegmentWriter fed with `add_account` instead of `add_document` (see module docstring).

    Given a `lexicon_directory`, it also saves there the lexicons of the segment's fields, built
    from the postings it holds in memory rather than read back from the files it wrote.
    """

    def __init__(self, ix, lexicon_directory: Path | None = None, **kwargs):
        super().__init__(ix, **kwargs)
        self.lexicon_directory = lexicon_directory
        # Field name -> term -> postings. Terms are kept as text: Python orders text by code
        # point, as Whoosh orders terms by their UTF-8 bytes.
        self._postings: dict[str, dict[str, PendingPostings]] = defaultdict(dict)
        # The encoded value of a keyword posting in each field (its format's, for one occurrence).
        self.keyword_values = {name: emptybytes if isinstance(field.format, formats.Existence)
                                else _frequency_value(1) for name, field in self.schema.items()}
        BulkTermTable.adopt(self.fieldwriter._tindex)

    def add_account(self, document: dict) -> None:
        """Add one document as built by documents.account_document."""
        docnum = self.docnum
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        for name in ("pk", "fingerprint"):
            field = self.schema[name]
            perdoc.add_column_value(name, field.column_type, field.to_column_value(document[name]))
        self._add_keyword("group_id", document["group_id"], docnum)
        for word in document[HAS_FIELD].split():
            self._add_keyword(HAS_FIELD, word, docnum)
        analyzed = document[ANALYZED]
        for search_field in FIELDS.values():
            value = document.get(search_field.name)
            if not value:
                continue
            if search_field.kind is FieldKind.TEXT:
                terms = analyzed[search_field.name]
                self._add_positions(search_field.name, terms, docnum)
                if search_field.word_pairs:
                    self._add_frequencies(search_field.pairs_name, word_pairs(terms), docnum)
            else:
                self._add_keyword(search_field.name, value, docnum)
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _add(self, fieldname: str, term_values: Iterable[tuple[str, bytes]], docnum: int) -> None:
        """Add the document to the postings of each term, with the term's encoded value."""
        field_postings = self._postings[fieldname]
        for term, value in term_values:
            postings = field_postings.get(term)
            if postings is None:
                field_postings[term] = [docnum, value]
            else:
                postings += (docnum, value)

    def _add_keyword(self, fieldname: str, term: str, docnum: int) -> None:
        """A term without positions, in the encoding of the field's format (`_add` for one term,
        written out: most of a rebuild's postings come this way)."""
        field_postings = self._postings[fieldname]
        postings = field_postings.get(term)
        if postings is None:
            field_postings[term] = [docnum, self.keyword_values[fieldname]]
        else:
            postings += (docnum, self.keyword_values[fieldname])

    def _add_positions(self, fieldname: str, terms: Sequence[str], docnum: int) -> None:
        if len(terms) <= len(_FIRST_POSITIONS) and len(set(terms)) == len(terms):  # the usual case
            self._add(fieldname, zip(terms, _FIRST_POSITIONS), docnum)
            return
        positions: dict[str, list[int]] = {}
        for position, term in enumerate(terms):
            positions.setdefault(term, []).append(position)
        self._add(fieldname, ((term, _single_position_value(where[0]) if len(where) == 1
                               else formats.Positions().encode(where)) for term, where in positions.items()), docnum)

    def _add_frequencies(self, fieldname: str, terms: Sequence[str], docnum: int) -> None:
        if len(set(terms)) == len(terms):  # the usual case: each pair once
            self._add(fieldname, zip(terms, repeat(_frequency_value(1))), docnum)
            return
        counts: dict[str, int] = {}
        for term in terms:
            counts[term] = counts.get(term, 0) + 1
        self._add(fieldname, ((term, _frequency_value(occurrences)) for term, occurrences in counts.items()), docnum)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lexicons = _SegmentLexicons(self.lexicon_directory, self.newsegment.segment_id(), self.docnum)
        for fieldname in sorted(self._postings):
            field_postings = self._postings.pop(fieldname)
            terms = sorted(field_postings)
            postings = list(map(field_postings.pop, terms))
            _write_field_terms(self.fieldwriter, fieldname, self.schema[fieldname], terms, postings)
            lexicons.add(fieldname, terms, postings)
        self.fieldwriter.close()
        lexicons.save_the_rest()


class _SegmentLexicons:
    """Saves the lexicons of a segment being written, a field at a time as its terms are
    written (and the field's postings still in memory), then empty ones for the fields no
    document of the segment holds. Nothing when there is no directory to save them in."""

    def __init__(self, directory: Path | None, segment_id: str, doc_count: int):
        self.directory = directory
        self.segment_id = segment_id
        self.doc_count = doc_count
        self.forward_fields = set(lexicon_fields()) - set(FORWARD_FIELDS)

    def add(self, fieldname: str, terms: list[str], postings: list[PendingPostings]) -> None:
        if self.directory is None or fieldname not in self.forward_fields:
            return
        save_field_lexicons(self.directory, self.segment_id, fieldname,
                            Lexicon.of_postings(fieldname, terms, postings, self.doc_count))
        self.forward_fields.discard(fieldname)

    def save_the_rest(self) -> None:
        if self.directory is None:
            return
        for fieldname in self.forward_fields:
            save_field_lexicons(self.directory, self.segment_id, fieldname, Lexicon.empty())


# Fields whose posting lists are only ever read whole (the word pairs; the bookkeeping fields),
# in blocks of this many postings instead of Whoosh's 128: each block costs a decompression, two
# unpicklings and a dozen Python steps to read, which, for the common pairs of a long phrase
# ("head of", "in the"), was most of its time. Positional fields keep short blocks, which lets
# a phrase read the positions of its few candidates without decoding whole lists.
WHOLE_LIST_FIELDS = PAIR_FIELDS | BOOKKEEPING_FIELDS
WHOLE_LIST_BLOCK = 1024


def _write_field_terms(fieldwriter, fieldname: str, field, terms: list[str],
                       postings: list[PendingPostings]) -> None:
    """Write one field's `terms` (sorted), each with its `postings`, through Whoosh's field writer (W3FieldWriter): a run
    of terms in one document each straight into its term table as inlined term infos, the
    others' posting lists through its postings writer."""
    fieldwriter.start_field(fieldname, field)
    if fieldname in WHOLE_LIST_FIELDS:
        fieldwriter._postwriter._blocklimit = WHOLE_LIST_BLOCK
    term_table = fieldwriter._tindex
    key_start = FIELD_NUMBER.pack(fieldwriter._fieldid)
    inlined: list[tuple[bytes, bytes]] = []
    for term, pending in zip(terms, postings):
        if len(pending) == 2:
            docnum, value = pending
            inlined.append((key_start + term.encode("utf-8"), inlined_term_info(docnum, _weight(value), value)))
            continue
        term_table.add_in_order(inlined)
        inlined.clear()
        _write_posting_list(fieldwriter, term.encode("utf-8"), pending)
    term_table.add_in_order(inlined)
    fieldwriter.finish_field()


def _write_posting_list(fieldwriter, btext: bytes, pending: PendingPostings) -> None:
    """Write a term's postings a block at a time: each block's documents, weights and values are
    handed to Whoosh's postings writer (W3PostingsWriter) as the buffers its `add_posting` would
    have filled one posting at a time, and written by its own `_write_block`."""
    fieldwriter.start_term(btext)
    postings_writer = fieldwriter._postwriter
    step = 2 * postings_writer._blocklimit
    for start in range(0, len(pending), step):
        if start:
            postings_writer._write_block()
        values = pending[start + 1:start + step:2]
        weights = array("f", map(_weight, values))
        postings_writer._ids = array("I", pending[start:start + step:2])
        postings_writer._weights = weights
        postings_writer._values = values if values[0] else []  # add_posting keeps no empty value
        postings_writer._maxweight = max(weights)
    fieldwriter.finish_term()


def write_segment(ix, documents: Iterable[dict], lexicon_directory: Path | None = None) -> Segment | None:
    """Write `documents` as one new segment of `ix` without committing it (None if empty), and
    save its lexicons in `lexicon_directory` if given.

    Safe to run in several processes at once on one index: each writes its own segment files;
    `commit_segments` then publishes them together.
    """
    writer = BulkSegmentWriter(ix, lexicon_directory, _lk=False, compound=False)
    try:
        for document in documents:
            writer.add_account(document)
        if writer.doc_count() == 0:
            return None
        writer._finalize_segment()
        return writer.get_segment()
    finally:
        writer._finish()


def commit_segments(ix, segments: list[Segment]) -> None:
    """Make `segments` (from write_segment) the content of the index `ix`."""
    writer = SegmentWriter(ix)
    try:
        writer._commit_toc(segments)
    finally:
        writer._finish()


def segments_without(ix, account_ids: frozenset[int] | set[int]) -> tuple[list[Segment], list[int]]:
    """The segments of `ix` with the documents of `account_ids` marked deleted (not yet committed),
    and the accounts of the segments folded away, to be written again beside `account_ids`.

    Deleted documents stay in their segment until it is rewritten, and every large backlog adds
    a segment. So the segments left with the fewest live documents are folded (dropped, their
    live accounts returned) as long as they hold no more accounts together than `account_ids`:
    the work at most doubles, while empty, mostly deleted and small segments (those of Whoosh's
    own writer) are merged away. Backlogs of similar size still add a segment each; a rebuild
    compacts the index.
    """
    toc = ix._read_toc()
    candidates: list[tuple[int, Segment, array]] = []
    for segment in toc.segments:
        pks = _delete_accounts(ix.storage, toc.schema, segment, account_ids)
        candidates.append((segment.doc_count(), segment, pks))
    kept: list[Segment] = []
    folded: list[int] = []
    budget = len(account_ids)
    for live, segment, pks in sorted(candidates, key=lambda candidate: candidate[0]):
        if live <= budget:
            budget -= live
            deleted = set(segment.deleted_docs()) if segment.has_deletions() else ()
            folded.extend(pk for docnum, pk in enumerate(pks) if docnum not in deleted)
        else:
            kept.append(segment)
    return kept, folded


def delete_accounts(writer: SegmentWriter, account_ids: frozenset[int] | set[int]) -> None:
    """Mark deleted the documents of `account_ids` in the segments Whoosh's own `writer` will
    commit (the index has no term per account to delete by: each segment's id column says)."""
    for segment in writer.segments:
        _delete_accounts(writer.storage, writer.schema, segment, account_ids)


def _delete_accounts(storage, schema, segment: Segment, account_ids: frozenset[int] | set[int]) -> array:
    """Mark deleted the documents of `account_ids` in `segment`; returns the account id of each
    of its documents, deleted ones included."""
    reader = SegmentReader(storage, schema, segment)
    try:
        pks = read_id_column(reader, "pk")
    finally:
        reader.close()
    for docnum in compress(count(), map(account_ids.__contains__, pks)):
        segment.delete_document(docnum)
    return pks


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
        segment = write_segment(whoosh_index.create_in(str(staging), search_schema()), documents,
                                lexicon_directory=Path(path) / LEXICON_DIRECTORY)
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


def write_ranges(path: str, ranges: list[tuple[int, int, list[int] | None]], *,
                 processes: int = REBUILD_PROCESSES) -> list:
    """`_write_range` for each (low, high, only) range: in up to `processes` worker processes
    (each with its own connection) on PostgreSQL when there are several, else here. Returns the
    non-empty segments."""
    if connection.vendor == "postgresql" and len(ranges) > 1 and processes > 1:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(processes, initializer=_forget_inherited_connections) as pool:
            segments = pool.map(_write_range_task, [(path, *piece) for piece in ranges], chunksize=1)
    else:
        segments = [_write_range(path, *piece) for piece in ranges]
    return [segment for segment in segments if segment is not None]
