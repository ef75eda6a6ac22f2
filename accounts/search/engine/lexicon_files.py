"""The lexicons saved beside each index segment, and the cache of those a process has used.

Reading a million-term field from Whoosh's term file takes seconds of Python, loading its saved
lexicon a few milliseconds: the first process to need a segment's lexicon builds and saves it
(`LexiconCache.lexicon`), every later one loads it. Segments never change once written, so a
file stays valid for as long as its segment is in the index.
"""

from __future__ import annotations

import contextlib
import operator
import os
import struct
import sys
import threading
import time
from array import array
from collections import OrderedDict, deque
from collections.abc import Iterable
from itertools import compress, count, repeat
from pathlib import Path

import zstandard
from django.conf import settings

from accounts.search.engine.lexicon import FrequentColumns, Lexicon, build_lexicon, reversed_lexicon
from accounts.search.engine.schema import FORWARD_FIELDS, lexicon_fields

# 5: compressed, with the last documents of the terms in two documents only. 6: compressed with
# Zstandard instead of zlib: a lexicon loads in a quarter of the time (the first search of a
# process loads twenty of them) and saves in a third, for a fifth more bytes.
_FILE_VERSION = 6
_COMPRESSION_LEVEL = 3
_FILE_MAGIC = f"sip-lexicon-{_FILE_VERSION}-{sys.byteorder}\n".encode()
# Lengths of the text (bytes), of each column of FrequentColumns (documents) and of each array.
_FILE_HEADER = struct.Struct("<10q")
# offsets, doc_frequency, first_doc, the last_doc of each term in two documents, frequent,
# postings (starts, numbers), the number of columns of each group of FrequentColumns; then its
# columns.
_FILE_ARRAYS = "IIIIqQII"


def save_lexicon(lexicon: Lexicon, path: Path) -> None:
    """Write the lexicon to `path` atomically (written aside, then renamed), compressed: most
    of a field's terms are in one document, so its frequencies, its last documents and the
    lengths of its terms say little, and compress to nearly nothing."""
    text = lexicon.joined.encode("utf-8")
    columns = lexicon.columns or FrequentColumns(0, [])
    arrays = (lexicon.offsets, lexicon.doc_frequency, lexicon.first_doc,
              array("I", map(lexicon.last_doc.__getitem__, lexicon.twice)),
              lexicon.frequent, lexicon.posting_starts or array("Q"), lexicon.postings or array("I"),
              array("I", map(len, columns.groups)))
    header = _FILE_HEADER.pack(len(text), columns.size, *(len(values) for values in arrays))
    body = b"".join([text, *(values.tobytes() for values in arrays),
                     *(column for group in columns.groups for column in group)])
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(temporary, "wb") as handle:
        handle.writelines([_FILE_MAGIC, header, zstandard.ZstdCompressor(level=_COMPRESSION_LEVEL).compress(body)])
    os.replace(temporary, path)


def load_lexicon(path: Path) -> Lexicon | None:
    """The lexicon saved at `path`, or None if there is none (or it is not one)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data.startswith(_FILE_MAGIC) or len(data) < len(_FILE_MAGIC) + _FILE_HEADER.size:
        return None
    text_length, doc_count, *lengths = _FILE_HEADER.unpack_from(data, len(_FILE_MAGIC))
    try:
        body = zstandard.ZstdDecompressor().decompress(data[len(_FILE_MAGIC) + _FILE_HEADER.size:])
    except zstandard.ZstdError:
        return None
    joined = body[:text_length].decode("utf-8")
    position = text_length
    arrays = []
    for typecode, length in zip(_FILE_ARRAYS, lengths):
        values = array(typecode)
        size = length * values.itemsize
        values.frombytes(body[position:position + size])
        position += size
        arrays.append(values)
    offsets, frequencies, firsts, twice_lasts, frequent, starts, postings, column_counts = arrays
    lasts = firsts[:]
    twice = compress(count(), map(operator.eq, frequencies, repeat(2)))
    deque(map(lasts.__setitem__, twice, twice_lasts), maxlen=0)
    groups = []
    for column_count in column_counts:
        end = position + column_count * doc_count
        groups.append([body[at:at + doc_count] for at in range(position, end, doc_count)])
        position = end
    if position != len(body):
        return None
    if not starts:  # saved without postings
        return Lexicon(joined, offsets, frequencies, firsts, lasts, frequent)
    return Lexicon(joined, offsets, frequencies, firsts, lasts, frequent, starts, postings,
                   FrequentColumns(doc_count, groups) if doc_count else None)  # 0: saved without columns


# Inside an index generation: the saved term lexicons of its segments.
LEXICON_DIRECTORY = "lexicons"


def save_segment_lexicons(segment_reader, directory: Path) -> None:
    """Build and save in `directory` the lexicon of each searchable field of one segment that has
    none saved yet, so that no search has to read a million-term field from the term file."""
    segment_id = segment_reader.segment().segment_id()
    # Holding only the latest lexicon: a reversed field is derived from its forward field's,
    # which lexicon_fields lists just before it.
    lexicons = LexiconCache(max_bytes=0)
    for name in lexicon_fields():
        if not lexicon_path(directory, segment_id, name).exists():
            lexicons.lexicon(segment_reader, name, directory)


def save_field_lexicons(directory: Path, segment_id: str, fieldname: str, lexicon: Lexicon) -> None:
    """Save the lexicon of a (forward) field of a segment, and that of its reversed twin if it
    has one: how the bulk writer saves those it builds from the postings it wrote."""
    save_lexicon(lexicon, lexicon_path(directory, segment_id, fieldname))
    for reversed_name, forward in FORWARD_FIELDS.items():
        if forward == fieldname:
            save_lexicon(reversed_lexicon(lexicon), lexicon_path(directory, segment_id, reversed_name))


def lexicon_path(directory: Path, segment_id: str, fieldname: str) -> Path:
    return directory / f"{segment_id}.{fieldname}.v{_FILE_VERSION}.lex"


def remove_other_lexicon_files(directory: Path, segment_ids: Iterable[str],
                               min_age_seconds: float = 600) -> None:
    """Delete the saved lexicons of segments no longer in the index (merged away), and those
    saved in another format.

    Files of other segments only when older than `min_age_seconds`: a process still searching
    an older state of the index, or already a newer one, may have just saved them.
    """
    live = set(segment_ids)
    now = time.time()
    for path in directory.glob("*.lex"):
        if not path.name.endswith(f".v{_FILE_VERSION}.lex"):
            path.unlink(missing_ok=True)
        elif path.name.split(".", 1)[0] not in live:
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile by another process
                if now - path.stat().st_mtime > min_age_seconds:
                    path.unlink(missing_ok=True)


class LexiconCache:
    """Lexicons by index generation, segment and field, least recently used evicted first.

    Thread-safe: a process may search from several threads.
    """

    def __init__(self, max_bytes: int | None = None):
        self.max_bytes = settings.SEARCH_LEXICON_CACHE_MB * 1024 * 1024 if max_bytes is None else max_bytes
        self._lexicons: OrderedDict[tuple, Lexicon] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def lexicon(self, segment_reader, fieldname: str, directory: Path) -> Lexicon:
        """The field's lexicon: from memory, else from its file in `directory`, else built from
        the segment (and saved there).

        `directory` belongs to one index generation: segment ids are unique only within one
        index, so the cache is keyed by both.
        """
        segment_id = segment_reader.segment().segment_id()
        key = (str(directory), segment_id, fieldname)
        with self._lock:
            found = self._lexicons.get(key)
            if found is not None:
                self._lexicons.move_to_end(key)
                return found
        path = lexicon_path(directory, segment_id, fieldname)
        built = load_lexicon(path)
        if built is None:
            built = build_lexicon(segment_reader, fieldname,
                                  lambda forward: self.lexicon(segment_reader, forward, directory))
            save_lexicon(built, path)
        with self._lock:
            if key not in self._lexicons:
                self._lexicons[key] = built
                self._bytes += built.memory_bytes
                while self._bytes > self.max_bytes and len(self._lexicons) > 1:
                    _, evicted = self._lexicons.popitem(last=False)
                    self._bytes -= evicted.memory_bytes
            return self._lexicons[key]

    def clear(self) -> None:
        with self._lock:
            self._lexicons.clear()
            self._bytes = 0
