"""The terms of one field of one index segment, held in memory for multi-term queries.

Prefix, wildcard, regex, fuzzy and range queries match terms, not documents. Whoosh finds terms
by walking its on-disk term file one Python call per term, so a pattern over a field whose
terms are nearly unique per account (username, number, email, caller id) cost seconds on a
million accounts. A `Lexicon` reads the field's part of the term file once, in one piece, and
keeps it compactly: the terms in term order joined into one string, and per term its document
frequency and first and last document, and the posting lists of the frequent terms (those in
more than two documents), also by document (`FrequentColumns`). Ranges of terms are then found
by binary search, patterns are matched by C-speed regular expression calls, the documents of a
term found in at most two documents (nearly every term of those fields) come without reading
postings, and those of hundreds of frequent terms from a few whole-segment byte operations.

Segments never change once written (deletions are applied after matching), so a lexicon is
cached and saved beside its segment (lexicon_files.py). The reversed fields that answer leading
wildcards have no terms in the index: their lexicons are derived from their forward fields'.
"""

from __future__ import annotations

import bisect
import io
import operator
import pickle
import re
import struct
import sys
import zlib
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from itertools import accumulate, compress, count, islice, repeat

from accounts.search.engine.schema import FORWARD_FIELDS, PAIR_FIELDS
from accounts.search.engine.whoosh_boundary import FIELD_NUMBER, TERM_INFO, TERM_RECORD_LENGTHS

# Whoosh 3's term file: see whoosh_boundary for its layout.
_NO_DOC = 0xFFFFFFFF

# A term in at most this many documents is answered from its first and last document.
_FEW_DOCS = 2

class Lexicon:
    """The sorted terms of one field of one segment (see the module docstring)."""

    def __init__(self, joined: str, offsets: array, doc_frequency: array, first_doc: array,
                 last_doc: array, frequent: array | None = None,
                 posting_starts: array | None = None, postings: array | None = None,
                 columns: FrequentColumns | None = None):
        self.joined = joined  # the terms in term order, each followed by "\n" but the last
        self.offsets = offsets  # offsets[i]: where term i starts; offsets[-1]: len(joined) + 1
        self.doc_frequency = doc_frequency
        self.first_doc = first_doc
        self.last_doc = last_doc  # a term's second document if it is in exactly two, else its first
        # Terms whose documents are not all known from first and last: their postings are read.
        if frequent is None:
            frequent = array("q", compress(count(), map(operator.gt, doc_frequency,
                                                        repeat(_FEW_DOCS))))
        self.frequent = frequent
        self.frequent_set = frozenset(self.frequent)
        # Terms in exactly two documents: only theirs has a last document other than the first.
        self.twice = array("q", compress(count(), map(operator.eq, doc_frequency, repeat(2))))
        self.twice_set = frozenset(self.twice)
        # The document numbers of the frequent terms, one after the other: those of
        # frequent[k] are postings[posting_starts[k]:posting_starts[k + 1]]. None: not kept
        # (a reversed field, whose terms have the documents of their forward spelling).
        self.posting_starts = posting_starts
        self.postings = postings
        self.columns = columns  # the same documents, by document (None: not kept)
        self._terms_view = _TermSequence(self)

    @classmethod
    def of_postings(cls, fieldname: str, terms: list[str], postings: list[Sequence], doc_count: int) -> Lexicon:
        """The lexicon of a field of a segment of `doc_count` documents, built by the writer from
        what it wrote: its sorted `terms`, and for each the term's postings as the bulk writer
        holds them, its documents in ascending order each followed by the posting's value
        ([document, value, document, value, ...]). It is what read_lexicon reads back from the
        segment's files (tests/search/test_lexicon.py compares them)."""
        if not terms:
            return cls.empty()
        offsets = array("I", accumulate((len(term) + 1 for term in terms), initial=0))
        frequencies = array("I", [len(documents) >> 1 for documents in postings])
        firsts = array("I", map(operator.itemgetter(0), postings))
        lasts = array("I", [documents[2] if len(documents) == 4 else documents[0] for documents in postings])
        frequent = array("q", compress(count(), map(operator.gt, frequencies, repeat(_FEW_DOCS))))
        documents_of_frequent = array("I")
        starts = array("Q", [0])
        for index in frequent:
            documents_of_frequent.extend(postings[index][::2])
            starts.append(len(documents_of_frequent))
        return cls("\n".join(terms), offsets, frequencies, firsts, lasts, frequent, starts,
                   documents_of_frequent, _frequent_columns(fieldname, doc_count, starts, documents_of_frequent))

    @classmethod
    def empty(cls) -> Lexicon:
        return cls("", array("I", [0]), array("I"), array("I"), array("I"), array("q"),
                   array("Q", [0]), array("I"))

    def __len__(self) -> int:
        return len(self.doc_frequency)

    @property
    def memory_bytes(self) -> int:
        kept = 0 if self.postings is None else 8 * len(self.posting_starts) + 4 * len(self.postings)
        kept += 0 if self.columns is None else self.columns.memory_bytes
        return (len(self.joined) * (1 if self.joined.isascii() else 4) + 4 * len(self.offsets)
                + 4 * 3 * len(self.doc_frequency) + 8 * len(self.frequent) + kept
                + _set_bytes(self.frequent_set) + _set_bytes(self.twice_set))

    def frequent_docs_map(self, indexes: Iterable[int]) -> int | None:
        """The doc map of the documents holding any of the frequent terms at `indexes` (None if
        not kept)."""
        if self.columns is None:
            return None
        return self.columns.docs_of(bisect.bisect_left(self.frequent, index) for index in indexes)

    def frequent_docs(self, index: int) -> array | None:
        """The document numbers of the frequent term at `index` (None if not kept)."""
        if self.postings is None:
            return None
        k = bisect.bisect_left(self.frequent, index)
        return self.postings[self.posting_starts[k]:self.posting_starts[k + 1]]

    def term(self, index: int) -> str:
        return self.joined[self.offsets[index]:self.offsets[index + 1] - 1]

    def terms(self, start: int = 0, stop: int | None = None) -> list[str]:
        """Terms start..stop-1 as a list (built on demand: the lexicon keeps one string)."""
        stop = len(self) if stop is None else stop
        if start >= stop:
            return []
        return self.joined[self.offsets[start]:self.offsets[stop] - 1].split("\n")

    def index_of(self, text: str) -> int | None:
        position = bisect.bisect_left(self._terms_view, text)
        if position < len(self) and self.term(position) == text:
            return position
        return None

    def bisect_left(self, text: str) -> int:
        return bisect.bisect_left(self._terms_view, text)

    def bisect_left_from(self, text: str, start: int) -> int:
        """`bisect_left(text)` for a `text` known to sort after term `start - 1`, found by
        galloping from `start`: a skip of k terms costs about 2 log k comparisons instead of
        log n (a fuzzy walk makes thousands of short skips through a million terms)."""
        count = len(self)
        step = 1
        low = start
        while low + step <= count and self.term(low + step - 1) < text:
            low += step
            step *= 2
        return bisect.bisect_left(self._terms_view, text, low, min(count, low + step))

    def bisect_right(self, text: str) -> int:
        return bisect.bisect_right(self._terms_view, text)

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """Indexes [start, stop) of the terms starting with `prefix`."""
        start = self.bisect_left(prefix)
        following = prefix_successor(prefix)
        stop = len(self) if following is None else self.bisect_left(following)
        return start, stop

    @cached_property
    def lengths(self) -> bytes:
        """Each term's length in characters (255 for 255 or more), one byte per term."""
        with_separator = map(operator.sub, islice(self.offsets, 1, None), self.offsets)
        return bytes(map(min, map(operator.sub, with_separator, repeat(1)), repeat(255)))

    def matching(self, start: int, stop: int, accept: Callable[[str], object],
                 required: str = "", lengths: tuple[int, int | None] = (0, None)) -> Iterable[int]:
        """Indexes in [start, stop) of the terms `accept` keeps.

        `required` is text every accepted term contains and `lengths` the least and most
        characters (None: no limit) of an accepted term: when few terms qualify, only those are
        tried, found by searching the joined terms for the text or the term lengths for the
        range (C speed either way).
        """
        if start >= stop:
            return []
        shortest, longest = lengths
        if longest is not None and longest < 255:
            if shortest > longest:
                return []
            qualifying = re.compile(b"[" + re.escape(bytes([shortest])) + b"-"
                                    + re.escape(bytes([longest])) + b"]")
            candidates = [found.start() for found in qualifying.finditer(self.lengths, start, stop)]
            if len(candidates) * 4 < stop - start:
                return [index for index in candidates if accept(self.term(index))]
        if required:
            begin, end = self.offsets[start], self.offsets[stop] - 1
            occurrences = self.joined.count(required, begin, end)
            if occurrences == 0:
                return []
            if occurrences * 4 < stop - start:
                positions = [found.start() for found in
                             re.finditer(re.escape(required), self.joined[begin:end])]
                # bisect_right(offsets, position) - 1 is the index of the term holding it
                following = sorted(set(map(bisect.bisect_right, repeat(self.offsets),
                                           (begin + position for position in positions))))
                return [index - 1 for index in following if accept(self.term(index - 1))]
        return compress(count(start), map(accept, self.terms(start, stop)))


_INT_BYTES = sys.getsizeof(10**6)


def _set_bytes(numbers: frozenset[int]) -> int:
    """Memory of a set of term indexes: its hash table and an int object per element."""
    return sys.getsizeof(numbers) + _INT_BYTES * len(numbers)


class _TermSequence:
    """The lexicon's terms as a read-only sequence, for `bisect`."""

    __slots__ = ("lexicon",)

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon

    def __len__(self) -> int:
        return len(self.lexicon)

    def __getitem__(self, index: int) -> str:
        return self.lexicon.term(index)


def prefix_successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: no bound)."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return None


def build_lexicon(segment_reader, fieldname: str, lexicon_of: Callable[[str], Lexicon]) -> Lexicon:
    """The lexicon of `fieldname` in the segment: read from its term file, or, for a reversed
    field (`<name>_rev`, which the index does not store), derived from the lexicon of its
    forward field, as `lexicon_of(forward field)` gives it."""
    forward = FORWARD_FIELDS.get(fieldname)
    if forward is not None:
        return reversed_lexicon(lexicon_of(forward))
    return read_lexicon(segment_reader, fieldname)


def reversed_lexicon(forward: Lexicon) -> Lexicon:
    """The lexicon of the forward lexicon's terms spelled backwards (what leading wildcards
    match), each with the documents of its forward spelling. It keeps no postings: those of a
    frequent term are the forward lexicon's (see evaluate.SegmentContext.frequent_docs)."""
    spelled = [term[::-1] for term in forward.terms()]
    order = sorted(range(len(spelled)), key=spelled.__getitem__)
    in_order = [spelled[index] for index in order]
    offsets = array("I", accumulate((len(term) + 1 for term in in_order), initial=0))
    return Lexicon("\n".join(in_order), offsets,
                   *(array("I", map(values.__getitem__, order))
                     for values in (forward.doc_frequency, forward.first_doc, forward.last_doc)))


def read_lexicon(segment_reader, fieldname: str) -> Lexicon:
    """The lexicon of `fieldname`, read from the segment's term file in one piece, with the
    posting lists of its frequent terms."""
    terms_reader = segment_reader._terms
    field_number = terms_reader._fieldmap.get(fieldname)
    if field_number is None:
        return Lexicon.empty()
    table = terms_reader._tindex
    start = table.closest_key_pos(FIELD_NUMBER.pack(field_number))
    following = table.closest_key_pos(FIELD_NUMBER.pack(field_number + 1))
    end = table.endofdata if following is None else following
    if start is None:
        return Lexicon.empty()
    lexicon = _parse_records(table.dbfile.get(start, end - start))
    starts = array("Q", [0])
    postings = array("I")
    for index in lexicon.frequent:
        id_blocks, _values = read_postings(terms_reader, fieldname,
                                           lexicon.term(index).encode("utf-8"))
        for ids in id_blocks:
            postings.extend(ids)
        starts.append(len(postings))
    lexicon.posting_starts, lexicon.postings = starts, postings
    lexicon.columns = _frequent_columns(fieldname, segment_reader.doc_count_all(), starts, postings)
    return lexicon


def _frequent_columns(fieldname: str, doc_count: int, starts: array, postings: array) -> FrequentColumns | None:
    """The frequent terms' documents held by document, for the fields patterns search; none
    for a word pair field, which exact phrases read a pair at a time (and whose thousands of
    common pairs would take tens of megabytes of columns)."""
    return None if fieldname in PAIR_FIELDS else FrequentColumns.build(doc_count, starts, postings)


class FrequentColumns:
    """The frequent terms of a field held by document, for patterns matching many of them.

    The frequent terms are numbered in groups of 255; a column of a group holds one byte per
    document: 0, or the number (1-255) of one of the group's terms the document holds. A group
    has as many columns as one document holds of its terms at most (for an owner's name, two
    or three). The documents holding any of a set of frequent terms are then, for each column,
    one `bytes.translate` through a table marking the wanted numbers: a pattern matching
    hundreds of words found in hundreds of thousands of documents costs a few whole-segment
    byte operations instead of marking every posting.
    """

    GROUP = 255

    def __init__(self, size: int, groups: list[list[bytes]]):
        self.size = size
        self.groups = groups

    @property
    def memory_bytes(self) -> int:
        return self.size * sum(map(len, self.groups))

    @classmethod
    def build(cls, size: int, starts: array, postings: array) -> FrequentColumns:
        groups: list[list[bytearray]] = []
        for term in range(len(starts) - 1):
            group, code = divmod(term, cls.GROUP)
            if group == len(groups):
                groups.append([])
            waiting = postings[starts[term]:starts[term + 1]]
            for column in groups[group]:
                if not waiting:
                    break
                taken = bytes(map(column.__getitem__, waiting))
                free = list(compress(waiting, map(operator.not_, taken)))
                deque(map(column.__setitem__, free, repeat(code + 1)), maxlen=0)
                waiting = list(compress(waiting, taken))
            if waiting:
                column = bytearray(size)
                deque(map(column.__setitem__, waiting, repeat(code + 1)), maxlen=0)
                groups[group].append(column)
        return cls(size, [[bytes(column) for column in columns] for columns in groups])

    def docs_of(self, terms: Iterable[int]) -> int:
        """The doc map of the documents holding any of the frequent terms numbered `terms`."""
        tables: dict[int, bytearray] = {}
        for term in terms:
            group, code = divmod(term, self.GROUP)
            tables.setdefault(group, bytearray(256))[code + 1] = 1
        docmap = 0
        for group, table in tables.items():
            for column in self.groups[group]:
                docmap |= int.from_bytes(column.translate(table), "little")
        return docmap


def _parse_records(buffer: bytes) -> Lexicon:
    keys: list[bytes] = []
    frequencies = array("I")
    firsts = array("I")
    lasts = array("I")
    unpack_lengths = TERM_RECORD_LENGTHS.unpack_from
    unpack_info = TERM_INFO.unpack_from
    add_key, add_frequency, add_first, add_last = (
        keys.append, frequencies.append, firsts.append, lasts.append)
    position = 0
    end = len(buffer)
    while position < end:
        key_length, value_length = unpack_lengths(buffer, position)
        key_start = position + 8
        value_start = key_start + key_length
        add_key(buffer[key_start + 2:value_start])
        _flags, _weight, frequency, _min, _max, _max_weight, first, last = unpack_info(
            buffer, value_start)
        if first == _NO_DOC or last == _NO_DOC:
            first = last = 0
            frequency = max(frequency, _FEW_DOCS + 1)  # unknown: read its postings
        add_frequency(frequency)
        add_first(first)
        add_last(last if frequency == 2 else first)
        position = value_start + value_length
    if not keys:
        return Lexicon.empty()
    joined = b"\n".join(keys).decode("utf-8")
    lengths = map(len, keys) if joined.isascii() else map(len, joined.split("\n"))
    offsets = array("I", accumulate((length + 1 for length in lengths), initial=0))
    return Lexicon(joined, offsets, frequencies, firsts, lasts)


_BLOCK_LENGTH = struct.Struct("!i")
_POSTINGS_MAGIC_LENGTH = 4


def read_postings(terms_reader, fieldname: str, btext: bytes,
                  within: Sequence[int] | None = None) -> tuple[list, list]:
    """A term's posting list as blocks: ([document numbers of each block], [encoded values of
    each block]), deleted documents included; raises TermNotFound. A block's values are a
    sequence of one encoded value per document for a positional field (what phrases decode);
    for other formats they are as Whoosh stores them (None, or the values joined).

    With `within` (sorted document numbers), only the blocks that may hold one of them are
    decoded: the block info says which document a block ends with (its second item), so the
    positions of a common word ("of", in a third of the accounts) are read for a handful of
    phrase candidates without decompressing its thousands of blocks.

    Whoosh 3's matcher reads a block with a dozen Python calls (seek, read the length, unpickle
    the block info, read and unpickle the data, decode the delta-coded ids one by one). Reading
    the term's whole extent at once and walking its blocks here does the same in a third of the
    time, which is most of a term query's cost. Blocks are: a signed length (negative for the
    last block), the pickled block info (whose fourth item is the compression level), then the
    block data: the pickled (delta-coded ids, weights, values), zlib-compressed if compressed.
    """
    terminfo = terms_reader.term_info(fieldname, btext)
    if terminfo.is_inlined():
        ids, _weights, values = terminfo.inlined_postings()
        return [ids], [values]
    offset, length = terminfo.extent()
    if isinstance(length, tuple):  # Whoosh 2.7 decodes the stored length as a 1-tuple
        (length,) = length
    data = terms_reader._postfile.get(offset, length)
    stream = io.BytesIO(data)
    id_blocks: list = []
    value_blocks: list = []
    position = _POSTINGS_MAGIC_LENGTH
    wanted = 0  # within[wanted]: the first document not yet passed
    while position < length:
        (block_length,) = _BLOCK_LENGTH.unpack_from(data, position)
        stream.seek(position + _BLOCK_LENGTH.size)
        info = pickle.load(stream)
        end = position + _BLOCK_LENGTH.size + abs(block_length)
        if within is not None:
            if wanted >= len(within):
                break
            last_id = info[1]
            if within[wanted] > last_id:
                if block_length < 0:
                    break
                position = end
                continue
            wanted = bisect.bisect_right(within, last_id, wanted)
        block = data[stream.tell():end]
        ids, _weights, values = pickle.loads(zlib.decompress(block) if info[3] else block)
        id_blocks.append(tuple(accumulate(ids)))
        value_blocks.append(values)
        if block_length < 0:
            break
        position = end
    return id_blocks, value_blocks
