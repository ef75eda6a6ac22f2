"""Every private part of Whoosh the engine relies on, why, and the check that they are there.

The engine reads Whoosh's files faster than Whoosh's public API can (term lexicons, posting
lists and the id column in one piece each) and writes segments without its per-token path. That
relies on names and binary layouts Whoosh does not promise to keep, listed in PRIVATE_NAMES. The
console refuses to start on a Whoosh version not in CHECKED_VERSIONS (`refuse_unchecked_whoosh`,
called from AccountsConfig.ready); a new version is added there once the oracle tests
(tests/search/test_whoosh_boundary.py, test_lexicon.py, test_word_pairs.py), which compare every
private read with Whoosh's public answer, pass on it.
"""

from __future__ import annotations

import itertools
import struct
import sys
from array import array
from dataclasses import dataclass

import whoosh

# Whoosh versions the private reads and writes below were checked against.
CHECKED_VERSIONS = frozenset({"2.7.5"})


@dataclass(frozen=True)
class PrivateName:
    owner: str  # the Whoosh class (module.Class) holding it
    name: str
    on_instances: bool  # set in __init__ (checked on a live object by the tests), else on the class
    used_in: str  # engine module
    why: str


PRIVATE_NAMES: tuple[PrivateName, ...] = (
    PrivateName("whoosh.reading.SegmentReader", "_terms", True, "evaluate, lexicon",
                "the segment's term reader, to read a field's terms and a term's postings in one piece"),
    PrivateName("whoosh.codec.whoosh3.W3TermsReader", "_fieldmap", True, "lexicon",
                "field name to field number, the first two bytes of every term key"),
    PrivateName("whoosh.codec.whoosh3.W3TermsReader", "_tindex", True, "lexicon",
                "the ordered hash file of terms, read as one byte range per field"),
    PrivateName("whoosh.codec.whoosh3.W3TermsReader", "_postfile", True, "lexicon",
                "the postings file, read as one byte range per term"),
    PrivateName("whoosh.filedb.filetables.OrderedHashReader", "closest_key_pos", False, "lexicon",
                "where a field's first term key starts in the term file"),
    PrivateName("whoosh.filedb.filetables.HashReader", "endofdata", True, "lexicon",
                "where the term records end (the last field's byte range)"),
    PrivateName("whoosh.filedb.filetables.HashReader", "dbfile", True, "lexicon",
                "the term file's structured file, read with get(position, length)"),
    PrivateName("whoosh.index.FileIndex", "_read_toc", False, "segment_writer",
                "the segments of the latest commit, to mark a backlog's old documents deleted"),
    PrivateName("whoosh.writing.SegmentWriter", "_finalize_segment", False, "segment_writer",
                "closes a segment written without committing it (segments written in parallel)"),
    PrivateName("whoosh.writing.SegmentWriter", "_flush_segment", False, "segment_writer",
                "overridden: writes the postings the bulk writer collected, sorted once"),
    PrivateName("whoosh.writing.SegmentWriter", "_commit_toc", False, "segment_writer",
                "publishes segments written elsewhere in one commit"),
    PrivateName("whoosh.writing.SegmentWriter", "_finish", False, "segment_writer",
                "releases a writer's temporary files without committing"),
    PrivateName("whoosh.writing.SegmentWriter", "_added", True, "segment_writer",
                "marks that the bulk writer added documents, as add_document does"),
    PrivateName("whoosh.codec.whoosh3.W3FieldWriter", "_tindex", True, "segment_writer",
                "the term file being written, which a term in one document is added to directly"),
    PrivateName("whoosh.codec.whoosh3.W3FieldWriter", "_fieldid", True, "segment_writer",
                "the number of the field being written, the first two bytes of its term keys"),
    PrivateName("whoosh.codec.whoosh3.W3FieldWriter", "_postwriter", True, "segment_writer",
                "the field's postings writer, whose block size the bulk writer sets per field"),
    PrivateName("whoosh.filedb.filetables.OrderedHashWriter", "lastkey", True, "term_file",
                "the last key added, which a run of records added at once must follow"),
    PrivateName("whoosh.filedb.filetables.OrderedHashWriter", "index", True, "term_file",
                "where each record starts (a GrowableArray), extended a run of records at once"),
    PrivateName("whoosh.util.numlists.GrowableArray", "_retype", False, "term_file",
                "widens the key index's type when a record starts beyond it"),
    PrivateName("whoosh.filedb.filetables.HashWriter", "buckets", True, "term_file",
                "the (hash, position) of each key by the low byte of its hash, for the hash tables"),
    PrivateName("whoosh.filedb.filetables.HashWriter", "directory", True, "term_file",
                "where each hash table starts and its number of slots, written after them"),
    PrivateName("whoosh.filedb.filetables.HashWriter", "hashtype", True, "term_file",
                "which hash the file uses: the bulk term table writes only MD5's (0), Whoosh's default"),
    PrivateName("whoosh.filedb.filetables.HashWriter", "_write_hashes", False, "term_file",
                "overridden: writes each hash table with one write instead of one per slot"),
    PrivateName("whoosh.codec.whoosh3.W3PostingsWriter", "_blocklimit", True, "segment_writer",
                "postings per block: longer for the lists only ever read whole"),
    PrivateName("whoosh.codec.whoosh3.W3PostingsWriter", "_ids", True, "segment_writer",
                "the block's document numbers, set a block at a time instead of by add_posting"),
    PrivateName("whoosh.codec.whoosh3.W3PostingsWriter", "_weights", True, "segment_writer",
                "the block's weights, set with its document numbers"),
    PrivateName("whoosh.codec.whoosh3.W3PostingsWriter", "_values", True, "segment_writer",
                "the block's non-empty values, set with its document numbers"),
    PrivateName("whoosh.codec.whoosh3.W3PostingsWriter", "_maxweight", True, "segment_writer",
                "the block's highest weight, which add_posting would have tracked"),
    PrivateName("whoosh.codec.whoosh3.W3PostingsWriter", "_write_block", False, "segment_writer",
                "writes the block set in those buffers, in Whoosh's own encoding"),
    PrivateName("whoosh.columns.NumericColumn.Reader", "_typecode", True, "whoosh_boundary",
                "the id column's struct type code ('q': 8-byte big-endian)"),
    PrivateName("whoosh.columns.NumericColumn.Reader", "_dbfile", True, "whoosh_boundary",
                "the column file, read as one byte range"),
    PrivateName("whoosh.columns.NumericColumn.Reader", "_basepos", True, "whoosh_boundary",
                "where the column's values start"),
    PrivateName("whoosh.columns.NumericColumn.Reader", "_count", True, "whoosh_boundary",
                "how many values the column wrote (trailing defaults are not written)"),
    PrivateName("whoosh.columns.NumericColumn.Reader", "_fixedlen", True, "whoosh_boundary",
                "bytes per value"),
    PrivateName("whoosh.columns.NumericColumn.Reader", "_default", True, "whoosh_boundary",
                "the value of the documents the column did not write"),
)

# Binary layouts read without Whoosh's code (each has an oracle test against the public API):
# - the term file (W3 codec's ordered hash file): records of (key length, value length), key,
#   value, in key order; a key is the field number (unsigned short) and the term's bytes; a
#   value starts with the term info header (TERM_INFO), followed by either the pickled
#   (ids, weights, values) of postings inlined in it, or the place of its posting list;
# - a posting list: a 4-byte magic, then blocks of a signed length (negative for the last), the
#   pickled block info (its fourth item the compression level), the pickled (delta-coded ids,
#   weights, values), zlib-compressed if compressed (lexicon.read_postings);
# - the term file's hash tables, written by term_file.BulkTermTable: after the records,
#   256 tables (one per low byte of the key's hash) of twice as many HASH_SLOTs as they hold
#   keys, each key in the first free slot from (hash >> 8) modulo the table's size;
# - a numeric column: its big-endian values in document order (read_id_column).

# A term file record's key length and value length.
TERM_RECORD_LENGTHS = struct.Struct("!ii")
# A term info (W3TermInfo): flags (1: postings inlined), total weight, document frequency,
# shortest and longest field length (as bytes), highest weight, first and last document.
TERM_INFO = struct.Struct("!BfIBBfII")
# The first two bytes of a term key: the field's number in the term file's field map.
FIELD_NUMBER = struct.Struct("!H")
# A slot of the term file's hash tables: the key's hash (the low 32 bits of its MD5) and where
# its record starts; an empty slot is (0, 0).
HASH_SLOT = struct.Struct("!Iq")


def _resolve(dotted: str):
    module_name = dotted.partition(".")[0]
    target = __import__(module_name)
    parts = dotted.split(".")[1:]
    for index, part in enumerate(parts):
        if not hasattr(target, part):
            __import__(".".join(dotted.split(".")[:index + 2]))
        target = getattr(target, part)
    return target


def unchecked_whoosh(version: str | None = None) -> str | None:
    """Why the installed Whoosh (or `version`) cannot be used, or None when it can: a version
    not in CHECKED_VERSIONS, or a private class-level name of PRIVATE_NAMES missing."""
    version = whoosh.versionstring() if version is None else version
    if version not in CHECKED_VERSIONS:
        return (f"Whoosh {version} is installed, but account search reads Whoosh's private internals "
                f"and was checked only against Whoosh {', '.join(sorted(CHECKED_VERSIONS))} "
                "(accounts/search/engine/whoosh_boundary.py). Install a checked version "
                "(pyproject.toml pins it), or run the search oracle tests on this one and add it "
                "to CHECKED_VERSIONS.")
    missing = [f"{item.owner}.{item.name}" for item in PRIVATE_NAMES
               if not item.on_instances and not hasattr(_resolve(item.owner), item.name)]
    if missing:
        return f"Whoosh {version} lacks {', '.join(missing)}, which account search relies on."
    return None


def refuse_unchecked_whoosh() -> None:
    """Raise ImproperlyConfigured when the installed Whoosh is not one search was checked on."""
    from django.core.exceptions import ImproperlyConfigured

    problem = unchecked_whoosh()
    if problem:
        raise ImproperlyConfigured(problem)


def read_id_column(leaf, name: str) -> array:
    """A numeric column of 64-bit ints of a segment (the account ids) as an array, in one piece.

    Whoosh's column reader unpacks one value per Python call (a second for a 250,000-document
    segment); its numeric column is the big-endian 64-bit values of the documents in order,
    the trailing documents left at the default (0) not written.
    """
    from whoosh import columns

    reader = leaf.column_reader(name, translate=False)
    if not isinstance(reader, columns.NumericColumn.Reader) or reader._typecode != "q":
        return array("q", reader)
    values = array("q")
    values.frombytes(reader._dbfile.get(reader._basepos, reader._count * reader._fixedlen))
    if sys.byteorder == "little":
        values.byteswap()
    values.extend(itertools.repeat(reader._default, leaf.doc_count_all() - len(values)))
    return values
