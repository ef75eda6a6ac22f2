"""The boundary between search and Whoosh: the query language imports without Whoosh, the console
refuses to start on a Whoosh version search was not checked against, every private name listed
exists on Whoosh's live objects, and every private read answers like Whoosh's public API."""
import io
import re
import subprocess
import sys
import textwrap
from array import array
from datetime import UTC, datetime
from pathlib import Path

import whoosh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3PostingsWriter, W3TermInfo
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.structfile import StructFile

from accounts.search.engine import segment_writer
from accounts.search.engine.documents import account_document
from accounts.search.engine.lexicon import build_lexicon, read_postings
from accounts.search.engine.lexicon_files import LexiconCache, lexicon_path, load_lexicon, save_lexicon
from accounts.search.engine.schema import lexicon_fields, search_schema
from accounts.search.engine.segment_writer import commit_segments, write_segment
from accounts.search.engine.term_file import BulkTermTable, inlined_term_info
from accounts.search.engine.whoosh_boundary import (
    CHECKED_VERSIONS,
    PRIVATE_NAMES,
    TERM_INFO,
    read_id_column,
    unchecked_whoosh,
)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def run_python(code: str, **environment) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, check=False,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", **environment})


def test_the_query_language_imports_and_parses_with_whoosh_blocked():
    result = run_python("""
        import sys

        class RefuseWhoosh:
            def find_spec(self, name, path=None, target=None):
                if name == "whoosh" or name.startswith("whoosh."):
                    raise ImportError(f"blocked: {name}")

        sys.meta_path.insert(0, RefuseWhoosh())
        from accounts.search.language import analyzer, errors, fields, lexer, lucene_regex, nodes, parser
        try:
            parser.parse('owner:"giulia rossi" AND NOT rossi~1 OR (desc* AND created:[2024-01-01 TO *])')
            parser.parse("owner:(rossi")
        except errors.SearchQueryError as error:
            print("query error at", error.position)
        import whoosh
    """)
    assert "query error at 12" in result.stdout, result.stderr
    assert "ImportError: blocked: whoosh" in result.stderr  # the block held: nothing imported Whoosh


def test_the_console_refuses_to_start_on_an_unchecked_whoosh_version(tmp_path):
    result = run_python("""
        import os, whoosh
        whoosh.__version__ = (2, 8, 0)
        os.environ["DJANGO_SETTINGS_MODULE"] = "console.settings"
        import django
        django.setup()
        print("started")
    """, VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "started" not in result.stdout
    assert "ImproperlyConfigured: Whoosh 2.8.0 is installed, but account search" in result.stderr
    assert "was checked only against Whoosh 2.7.5" in result.stderr


def test_the_installed_whoosh_is_a_checked_one():
    assert whoosh.versionstring() in CHECKED_VERSIONS
    assert unchecked_whoosh() is None
    assert "checked only against" in unchecked_whoosh("3.0.0")


def account_row(number: int, owner: str) -> dict:
    return {
        "id": 1000 + 7 * number, "group_id": 1, "username": f"{100000 + number}", "owner": owner,
        "caller_id": "", "email": "", "description": owner, "virtual_number": "", "secondary_number": "",
        "account_type": "generic", "status": "created", "enabled": True,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def bulk_written(directory, owners: list[str]):
    ix = whoosh_index.create_in(str(directory), search_schema())
    commit_segments(ix, [write_segment(ix, map(account_document, (account_row(n, o) for n, o in enumerate(owners))))])
    return ix


def test_every_private_name_listed_exists_on_whoosh_objects(tmp_path):
    ix = bulk_written(tmp_path, ["giulia rossi", "anna rossi"])
    with ix.reader() as reader:
        leaf = reader.leaf_readers()[0][0]
        terms = leaf._terms
        postings_writer = W3PostingsWriter(io.BytesIO(), 128)
        postings_writer.start_postings(formats.Positions(), W3TermInfo())  # makes its block buffers
        whoosh_writer = ix.writer()
        live = {
            "whoosh.reading.SegmentReader": leaf, "whoosh.codec.whoosh3.W3TermsReader": terms,
            "whoosh.filedb.filetables.HashReader": terms._tindex,
            "whoosh.filedb.filetables.OrderedHashReader": terms._tindex,
            "whoosh.index.FileIndex": ix, "whoosh.writing.SegmentWriter": whoosh_writer,
            "whoosh.codec.whoosh3.W3FieldWriter": whoosh_writer.fieldwriter,
            "whoosh.filedb.filetables.HashWriter": whoosh_writer.fieldwriter._tindex,
            "whoosh.filedb.filetables.OrderedHashWriter": whoosh_writer.fieldwriter._tindex,
            "whoosh.util.numlists.GrowableArray": whoosh_writer.fieldwriter._tindex.index,
            "whoosh.codec.whoosh3.W3PostingsWriter": postings_writer,
            "whoosh.columns.NumericColumn.Reader": leaf.column_reader("pk", translate=False),
        }
        try:
            for item in PRIVATE_NAMES:
                assert hasattr(live[item.owner], item.name), f"{item.owner}.{item.name}"
        finally:
            whoosh_writer.cancel()


@SETTINGS
@given(docnum=st.integers(0, 2**31 - 1), value=st.sampled_from([b"", formats.Positions().encode([0]),
                                                                 formats.Positions().encode(list(range(90)))]))
def test_an_inlined_term_info_reads_back_as_whoosh_s_own(docnum, value):
    """The bulk writer's term info of a term in one document (a compact pickle of its posting) is
    what Whoosh's W3TermInfo holds for that posting, read by Whoosh's own from_bytes."""
    weight = float(int.from_bytes(value[:4], "big")) if value else 1.0
    postings_writer = W3PostingsWriter(io.BytesIO(), 128)
    postings_writer.start_postings(formats.Positions(), W3TermInfo())
    postings_writer.add_posting(docnum, weight, value)
    whoosh_info = W3TermInfo()
    whoosh_info.add_block(postings_writer)
    whoosh_info.set_inlined([docnum], [weight], [value])
    written = inlined_term_info(docnum, weight, value)
    assert written[:TERM_INFO.size] == whoosh_info.to_bytes()[:TERM_INFO.size]
    read = W3TermInfo.from_bytes(written)
    assert read.inlined_postings() == ((docnum,), (weight,), (value,))
    assert (read.doc_frequency(), read.weight(), read.min_id(), read.max_id(), read.max_weight()) == (
        1, weight, docnum, docnum, weight)
    assert len(written) <= TERM_INFO.size + 24 + len(value)


@SETTINGS
@given(owners=st.lists(st.sampled_from(["anna", "rossi", "léa", "giulia", "o'neil", "", "de la cruz"]).map(str),
                       min_size=1, max_size=300))
def test_the_id_column_read_in_one_piece_is_whoosh_s_column(tmp_path_factory, owners):
    ix = bulk_written(tmp_path_factory.mktemp("ids"), owners)
    with ix.reader() as reader:
        for leaf, _offset in reader.leaf_readers():
            assert read_id_column(leaf, "pk") == array("q", leaf.column_reader("pk"))
            assert read_id_column(leaf, "fingerprint") == array("q", leaf.column_reader("fingerprint"))


@SETTINGS
@given(owners=st.lists(st.lists(st.sampled_from(["anna", "rossi", "léa", "de", "la", "cruz"]), max_size=6)
                       .map(" ".join), min_size=1, max_size=400),
       writer=st.sampled_from(["whoosh", "bulk", "bulk, short whole-list blocks"]))
def test_a_posting_list_read_in_one_piece_is_whoosh_s_posting_list(tmp_path_factory, owners, writer):
    """Ids of every term of every kind of field, and the position values of the positional fields
    (the only values the engine decodes), against Whoosh's matcher, for segments written by
    Whoosh's writer and by the bulk writer (a term in one document inlined, the others written a
    block at a time; the lists read only whole in blocks of WHOLE_LIST_BLOCK postings, here also
    short enough to make several)."""
    directory = tmp_path_factory.mktemp("postings")
    if writer == "whoosh":
        ix = whoosh_index.create_in(str(directory), search_schema())
        with ix.writer() as whoosh_writer:
            for number, owner in enumerate(owners):
                whoosh_writer.add_document(**account_document(account_row(number, owner)))
    else:
        saved = segment_writer.WHOLE_LIST_BLOCK
        segment_writer.WHOLE_LIST_BLOCK = 7 if "short" in writer else saved
        try:
            ix = bulk_written(directory, owners)
        finally:
            segment_writer.WHOLE_LIST_BLOCK = saved
    with ix.reader() as reader:
        for leaf, _offset in reader.leaf_readers():
            for fieldname in ("owner", "owner_pairs", "description", "group_id", "has_value"):
                positional = isinstance(leaf.schema[fieldname].format, formats.Positions)
                for btext in leaf.lexicon(fieldname):
                    id_blocks, value_blocks = read_postings(leaf._terms, fieldname, btext)
                    matcher = leaf.postings(fieldname, btext)
                    expected_ids, expected_positions = [], []
                    while matcher.is_active():
                        expected_ids.append(matcher.id())
                        if positional:
                            expected_positions.append(matcher.value_as("positions"))
                            assert matcher.weight() == len(expected_positions[-1])
                        matcher.next()
                    assert [docnum for ids in id_blocks for docnum in ids] == expected_ids
                    if positional:
                        decode = leaf.schema[fieldname].format.decode_positions
                        assert [decode(value) for values in value_blocks for value in values] == expected_positions


def test_the_tokenizer_is_pickled_from_the_path_the_index_format_records(tmp_path):
    """Whoosh pickles the tokenizer's class path into every index: moving the class without a new
    INDEX_FORMAT would make every deployed index unreadable (see engine/tokenizer.py)."""
    from accounts.search.engine.index_files import PICKLED_TOKENIZER
    from accounts.search.engine.tokenizer import AccountTextTokenizer

    assert f"{AccountTextTokenizer.__module__}.{AccountTextTokenizer.__qualname__}" == PICKLED_TOKENIZER
    bulk_written(tmp_path, ["anna"])
    toc = next(tmp_path.glob("_MAIN_*.toc")).read_bytes()
    module, _, name = PICKLED_TOKENIZER.rpartition(".")
    assert module.encode() in toc and name.encode() in toc


def test_every_private_name_the_engine_reaches_for_is_listed():
    """Attribute reads such as `reader._terms` in the engine's modules, and the private names the
    bulk writer uses on the Whoosh classes it extends, all stand in PRIVATE_NAMES."""
    listed = {item.name for item in PRIVATE_NAMES}
    engine = ROOT / "accounts" / "search" / "engine"
    reached = set()
    for path in engine.glob("*.py"):
        code = re.sub(r"#.*", "", re.sub(r'""".*?"""', "", path.read_text(), flags=re.DOTALL))
        reached |= set(re.findall(r"(?<!self)\.(_[a-z]\w*)", code))
    writer_code = (engine / "segment_writer.py").read_text()
    own = set(re.findall(r"def (_\w+)", writer_code)) | {"_postings"}  # the bulk writer's own
    reached |= set(re.findall(r"self\.(_[a-z]\w*)", writer_code)) - own
    assert reached - listed == set()
    assert {"_terms", "_tindex", "_read_toc", "_fieldid", "_dbfile"} <= reached


def whoosh_postings(ix) -> dict:
    """Every posting of every field, as Whoosh's public reader gives it: (field, term) -> list of
    (document, weight, positions or None)."""
    found = {}
    with ix.reader() as reader:
        (leaf, _offset), = reader.leaf_readers()
        for fieldname in leaf.schema.names():
            if not leaf.schema[fieldname].indexed:
                continue
            positional = isinstance(leaf.schema[fieldname].format, formats.Positions)
            for btext in leaf.lexicon(fieldname):
                matcher = leaf.postings(fieldname, btext)
                postings = []
                while matcher.is_active():
                    postings.append((matcher.id(), matcher.weight(),
                                     matcher.value_as("positions") if positional else None))
                    matcher.next()
                found[fieldname, btext] = postings
    return found


@SETTINGS
@given(owners=st.lists(st.lists(st.sampled_from(["anna", "rossi", "léa", "de", "la", "cruz", "4"]), max_size=6)
                       .map(" ".join), min_size=1, max_size=400),
       whole_list_block=st.sampled_from([3, 7, segment_writer.WHOLE_LIST_BLOCK]))
def test_the_bulk_writer_writes_the_postings_whoosh_s_writer_writes(tmp_path_factory, owners, whole_list_block):
    """Every term of every field has the same documents, weights and positions, read through
    Whoosh's public API, whether the bulk writer (a term in one document inlined, the others a
    block at a time) or Whoosh's own writer wrote the documents, with blocks of any length."""
    rows = [account_row(number, owner) for number, owner in enumerate(owners)]
    by_whoosh = whoosh_index.create_in(str(tmp_path_factory.mktemp("whoosh")), search_schema())
    with by_whoosh.writer() as whoosh_writer:
        for row in rows:
            whoosh_writer.add_document(**account_document(row))
    saved = segment_writer.WHOLE_LIST_BLOCK
    segment_writer.WHOLE_LIST_BLOCK = whole_list_block
    try:
        by_bulk = bulk_written(tmp_path_factory.mktemp("bulk"), owners)
    finally:
        segment_writer.WHOLE_LIST_BLOCK = saved
    assert whoosh_postings(by_bulk) == whoosh_postings(by_whoosh)


@SETTINGS
@given(records=st.lists(st.tuples(st.binary(min_size=1, max_size=12), st.binary(max_size=700), st.booleans()),
                        max_size=300, unique_by=lambda record: record[0]).map(sorted))
def test_the_bulk_term_table_writes_the_bytes_whoosh_s_writer_writes(records):
    """The bulk writer's term table, with runs of records added at once and others one at a
    time (as Whoosh's field writer adds a term with a posting list), writes the same file as
    Whoosh's OrderedHashWriter adding them all one at a time, long files (positions past 65,535,
    which widen the key index) included."""
    by_whoosh, by_bulk = io.BytesIO(), io.BytesIO()
    whoosh_table = OrderedHashWriter(StructFile(by_whoosh))
    bulk_table = BulkTermTable.adopt(OrderedHashWriter(StructFile(by_bulk)))
    run = []
    for key, value, one_at_a_time in records:
        whoosh_table.add(key, value)
        if one_at_a_time:
            bulk_table.add_in_order(run)
            run = []
            bulk_table.add(key, value)
        else:
            run.append((key, value))
    bulk_table.add_in_order(run)
    for table in (whoosh_table, bulk_table):
        table.extras["fieldmap"] = {"owner": 0}
        table.dbfile.close = lambda: None  # keep the bytes readable
        table.close()
    assert by_bulk.getvalue() == by_whoosh.getvalue()


@SETTINGS
@given(owners=st.lists(st.lists(st.sampled_from(["anna", "rossi", "léa", "de", "la", "cruz", "4", "日"]), max_size=5)
                       .map(" ".join), min_size=1, max_size=300))
def test_the_lexicons_the_bulk_writer_saves_are_those_read_back_from_its_segment(tmp_path_factory, owners):
    """Every lexicon the bulk writer builds from what it wrote (terms in one, two and many
    documents, fields no document holds) is the lexicon read back from the segment's files."""
    directory = tmp_path_factory.mktemp("bulk")
    ix = whoosh_index.create_in(str(directory), search_schema())
    rows = (account_row(number, owner) for number, owner in enumerate(owners))
    segment = write_segment(ix, map(account_document, rows), lexicon_directory=directory / "saved")
    commit_segments(ix, [segment])
    cache = LexiconCache(max_bytes=0)
    with ix.reader() as reader:
        leaf = reader.leaf_readers()[0][0]
        for name in lexicon_fields():
            saved = load_lexicon(lexicon_path(directory / "saved", segment.segment_id(), name))
            read = build_lexicon(leaf, name, lambda forward: cache.lexicon(leaf, forward, directory / "read"))
            save_lexicon(read, directory / "read-again.lex")  # both as a search loads them
            assert saved is not None, name
            assert lexicon_state(saved) == lexicon_state(load_lexicon(directory / "read-again.lex")), name


def lexicon_state(lexicon) -> tuple:
    columns = lexicon.columns
    return (lexicon.joined, lexicon.offsets, lexicon.doc_frequency, lexicon.first_doc, lexicon.last_doc,
            lexicon.frequent, lexicon.posting_starts, lexicon.postings,
            None if columns is None else (columns.size, columns.groups))
