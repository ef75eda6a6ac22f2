"""The Whoosh schema of the account index: the searchable fields of language/fields.py, the
word pair fields derived from them, and the bookkeeping fields. The reversed fields that answer
leading wildcards (`<name>_rev`) are not stored: their lexicons are derived from the forward
fields' (lexicon.reversed_lexicon)."""

from __future__ import annotations

from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema

from accounts.search.engine.tokenizer import AccountTextTokenizer
from accounts.search.language.fields import FIELDS, FieldKind

# The field listing, per document, the searchable fields holding a value (for `field:*`), and
# the fields keeping word pairs in which the document repeats a word (repeated_words_marker).
HAS_FIELD = "has_value"
# The key of a document (as account_document builds it) holding each text field's terms, for
# the bulk writer; Whoosh's own writer ignores keys starting with "_".
ANALYZED = "_analyzed"
# The forward field of each reversed one.
FORWARD_FIELDS = {field.reversed_name: field.name for field in FIELDS.values() if field.reversed_terms}
# The word pair field of each field keeping one (see evaluate._phrase).
PAIRS_OF = {field.name: field.pairs_name for field in FIELDS.values() if field.word_pairs}
PAIR_FIELDS = frozenset(PAIRS_OF.values())
# Fields with no lexicon of their own: looked up one term at a time.
BOOKKEEPING_FIELDS = frozenset({"group_id", HAS_FIELD})



def repeated_words_marker(fieldname: str) -> str:
    """The HAS_FIELD term of the documents repeating a word in `fieldname`, a field keeping word
    pairs. A document that repeats no word there holds a phrase whenever it holds every pair of
    the phrase (each word has one position, so the pairs chain), which lets a long phrase of
    common words skip comparing positions (evaluate._phrase)."""
    return f"{fieldname}:repeats"


def search_schema() -> Schema:
    """The Whoosh schema: every field of fields.FIELDS, plus bookkeeping fields."""
    forward = AccountTextTokenizer()
    pairs = AccountTextTokenizer(pairs=True)
    spec = {
        "pk": COLUMN(columns.NumericColumn("q")),
        "fingerprint": COLUMN(columns.NumericColumn("q")),
        "group_id": ID(),
        HAS_FIELD: KEYWORD(),
    }
    for search_field in FIELDS.values():
        if search_field.name == "group":
            continue  # resolved against group names at query time, see group_names.py
        if search_field.kind is FieldKind.TEXT:
            spec[search_field.name] = TEXT(analyzer=forward, phrase=True)
            if search_field.word_pairs:
                spec[search_field.pairs_name] = TEXT(analyzer=pairs, phrase=False)
        else:
            spec[search_field.name] = ID()
    return Schema(**spec)


def lexicon_fields() -> list[str]:
    """The fields whose term lexicons are saved beside each segment (see lexicon_files.py), each
    forward field before its reversed twin: the searchable fields, and the word pair fields,
    whose lexicons hold the documents of their common pairs for long phrases
    (evaluate._docs_with_every_pair)."""
    stored = [name for name, kind in search_schema().items() if kind.indexed and name not in BOOKKEEPING_FIELDS]
    return sorted(stored + list(FORWARD_FIELDS))
