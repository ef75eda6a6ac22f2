"""An index built by an earlier version of the console is rebuilt on purpose, never opened with
classes that have moved: `data/format2_index` was written by the code before search was split into
language/ and engine/ (format 2, whose schema pickles `accounts.search.analyzer.AccountTextTokenizer`).
An index of format 4, which stored a reversed field beside each wildcard field and a term per
account id, is rebuilt without them. An index of format 5, which had no repeated-word markers for
long phrases, is rebuilt with them."""
import json
import shutil
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT

from accounts.models import Account
from accounts.search.engine.index import keep_index_warm
from accounts.search.engine.index_files import INDEX_FORMAT, Patience, SearchIndexBusy
from accounts.search.engine.lexicon_files import LEXICON_DIRECTORY, lexicon_path
from accounts.search.engine.schema import (
    FORWARD_FIELDS,
    HAS_FIELD,
    PAIR_FIELDS,
    repeated_words_marker,
    search_schema,
)
from accounts.search.engine.tokenizer import AccountTextTokenizer
from accounts.search.results import search_within
from console.models import Operator
from tests.conftest import make_operator
from tests.search.conftest import create_account, usernames_matching

FORMAT_2_INDEX = Path(__file__).parent / "data" / "format2_index"


@pytest.fixture
def format_2_index(search_index) -> dict:
    """The old index in this test's index directory; returns its state."""
    shutil.copytree(FORMAT_2_INDEX, search_index.directory)
    return json.loads((search_index.directory / "state.json").read_text())


def test_the_old_layout_cannot_be_opened_by_this_code(format_2_index, search_index):
    assert format_2_index["format"] == 2 < INDEX_FORMAT
    with pytest.raises(ModuleNotFoundError, match="accounts.search.analyzer"):
        whoosh_index.open_dir(str(search_index.directory / format_2_index["generation"]))


def test_an_index_of_the_old_layout_is_rebuilt_before_the_first_search_answers(book, format_2_index, search_index):
    assert usernames_matching("rossi") == ["100001", "100002", "100005"]
    assert usernames_matching('owner:"giulia rossi-bianchi"') == ["100002"]

    state = json.loads((search_index.directory / "state.json").read_text())
    assert state["format"] == INDEX_FORMAT and state["generation"] != format_2_index["generation"]
    assert not (search_index.directory / format_2_index["generation"]).exists()
    assert search_index.check().difference_count == 0


def test_a_web_search_on_a_large_old_index_says_it_is_busy_and_the_worker_rebuilds_it(
        book, format_2_index, search_index, monkeypatch):
    monkeypatch.setattr("accounts.search.results.WITHIN_A_REQUEST", Patience(0.2, work_limit=5, may_fork=False))
    admin = make_operator("alice", Operator.Role.ADMINISTRATOR)
    outcome = search_within(Account.objects.all(), "rossi", user=admin)
    assert isinstance(outcome.error, SearchIndexBusy) and not outcome.accounts.exists()
    assert json.loads((search_index.directory / "state.json").read_text())["format"] == 2

    assert keep_index_warm() == 6
    outcome = search_within(Account.objects.all(), "rossi", user=admin)
    assert outcome.error is None and outcome.accounts.count() == 3


def test_an_index_of_format_4_with_stored_reversed_and_id_fields_is_rebuilt_without_them(book, search_index):
    search_index.rebuild()
    state_path = search_index.directory / "state.json"
    state = json.loads(state_path.read_text())
    old_schema = search_schema()
    old_schema.add("account_id", ID(unique=True))
    for reversed_name in FORWARD_FIELDS:
        old_schema.add(reversed_name, TEXT(analyzer=AccountTextTokenizer(), phrase=False))
    old_generation = search_index.files.new_generation()
    whoosh_index.create_in(str(search_index.directory / old_generation), old_schema)
    state_path.write_text(json.dumps({**state, "generation": old_generation, "format": 4}))

    assert usernames_matching("owner:*ssi") == ["100001", "100002"]
    rebuilt = json.loads(state_path.read_text())
    assert rebuilt["format"] == INDEX_FORMAT == 7 and rebuilt["generation"] != old_generation
    schema = whoosh_index.open_dir(str(search_index.directory / rebuilt["generation"])).schema
    assert "owner" in schema and not {"account_id", *FORWARD_FIELDS} & set(schema.names())


def built_then_marked_as_format(search_index, old_format: int) -> Path:
    """Rebuild the index, then mark it as built in `old_format`; returns its state file."""
    search_index.rebuild()
    state_path = search_index.directory / "state.json"
    state_path.write_text(json.dumps({**json.loads(state_path.read_text()), "format": old_format}))
    return state_path


def rebuilt_generation(state_path: Path, old_state: dict) -> Path:
    """The generation the search after the marking rebuilt (asserting that it did)."""
    rebuilt = json.loads(state_path.read_text())
    assert rebuilt["format"] == INDEX_FORMAT == 7 and rebuilt["generation"] != old_state["generation"]
    return state_path.parent / rebuilt["generation"]


def test_an_index_of_format_5_is_rebuilt_with_the_repeated_word_markers_long_phrases_rely_on(book, search_index):
    create_account(book.support, "400005", "+41440000405", description="head of the office of the board")
    create_account(book.support, "400006", "+41440000406", description="office of the board")
    state_path = built_then_marked_as_format(search_index, 5)
    state = json.loads(state_path.read_text())

    assert usernames_matching('description:"the office of the board"') == ["400005"]
    with whoosh_index.open_dir(str(rebuilt_generation(state_path, state))).reader() as reader:
        assert reader.doc_frequency(HAS_FIELD, repeated_words_marker("description")) == 1


def test_an_index_of_format_6_is_rebuilt_with_the_lexicons_of_its_word_pairs(book, search_index):
    state_path = built_then_marked_as_format(search_index, 6)
    state = json.loads(state_path.read_text())

    assert usernames_matching('owner:"giulia rossi"') == ["100002"]
    generation = rebuilt_generation(state_path, state)
    with whoosh_index.open_dir(str(generation)).reader() as reader:
        segment_ids = [leaf.segment().segment_id() for leaf, _offset in reader.leaf_readers()]
    assert segment_ids and all(lexicon_path(generation / LEXICON_DIRECTORY, segment_id, pairs).exists()
                               for segment_id in segment_ids for pairs in PAIR_FIELDS)
