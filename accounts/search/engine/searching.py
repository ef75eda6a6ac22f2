"""Answering a query from the index: the matching documents of each segment, as account ids.

Searching returns account ids only; callers load the accounts through the operator's scoped
queryset, so the database decides what an operator may see.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from accounts.search.engine import docsets
from accounts.search.engine.evaluate import SegmentContext, docs
from accounts.search.engine.group_names import GroupNames, route_group_clauses
from accounts.search.engine.index_files import IndexFiles, SearchIndexBusy
from accounts.search.engine.lexicon_files import LEXICON_DIRECTORY, remove_other_lexicon_files
from accounts.search.engine.whoosh_boundary import read_id_column
from accounts.search.language import nodes as q

# How long the regular expressions of one search may spend trying terms: Python's engine
# backtracks, so a pattern such as /.*1.*2.*3.*4.*/ can cost milliseconds per term, and
# a million terms would keep a web worker busy for an hour. Past it the search answers with an error.
REGEX_SECONDS = 1.5
# Up to this many matches a search result is always passed on as the matching ids.
SHORT_RESULT = 10_000
# Memory a process spends on groups' document sets (see Searcher._group_docs_of), in bytes: a doc
# map costs a byte per document of its segment, a set about 40 per document in it.
GROUP_DOCS_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Matches:
    """The accounts a query matched within the scope it was asked about, said the shorter way:
    `ids`, the matching accounts; or, when `ids` is None, `unmatched_ids`, the accounts in scope
    that do not match. Both newest first."""

    ids: list[int] | None
    unmatched_ids: list[int] | None = None


class SegmentMatch:
    """The documents of one segment that a query matched, within the groups of `scope_terms`
    (None: every group), without the deleted ones. `group_docs` gives a group's documents in the
    segment (its `group_id` postings, deleted ones included)."""

    def __init__(self, ctx: SegmentContext, pks: array, scope_terms: list[bytes] | None,
                 group_docs: Callable[[bytes], docsets.DocSet]):
        self.ctx, self.pks, self.scope_terms, self.group_docs = ctx, pks, scope_terms, group_docs
        self._scope: docsets.DocSet | None = None
        self.docs: docsets.DocSet = set()

    def set_matching(self, found: docsets.DocSet) -> None:
        if self.scope_terms is not None and found:
            found = docsets.intersection(self.ctx.size, found, self.scope())
        self.docs = self._without_deleted(found)

    def scope(self) -> docsets.DocSet:
        """Every live document of the groups in scope."""
        if self._scope is None:
            if self.scope_terms is None:
                scope: docsets.DocSet = self.ctx.all_docs()
            else:
                scope = set()
                for term in self.scope_terms:
                    scope = docsets.union(self.ctx.size, scope, self.group_docs(term))
            self._scope = self._without_deleted(scope)
        return self._scope

    def _without_deleted(self, found: docsets.DocSet) -> docsets.DocSet:
        leaf = self.ctx.reader
        return docsets.difference(self.ctx.size, found, leaf.deleted_docs_set) if leaf.has_deletions() else found

    def count(self) -> int:
        return docsets.count(self.docs)

    def matching_ids(self) -> Iterator[int]:
        return docsets.select(self.pks, self.docs, self.ctx.size)

    def unmatched_ids(self) -> Iterator[int]:
        return docsets.select(self.pks, docsets.difference(self.ctx.size, self.scope(), self.docs), self.ctx.size)


def newest_first(id_lists: Iterable[Iterable[int]]) -> list[int]:
    """The account ids of every list, newest (highest) first."""
    ids: list[int] = []
    for account_ids in id_lists:
        ids.extend(account_ids)
    ids.sort(reverse=True)
    return ids


class Searcher:
    """Answers queries from the live generation of an index directory, remembering per segment
    what never changes (its account ids, which lexicon files are live)."""

    def __init__(self, files: IndexFiles):
        self.files = files
        self._pk_arrays: dict[tuple[str, str], array] = {}
        self._group_docs: dict[tuple[str, str, bytes], docsets.DocSet] = {}
        self._group_docs_bytes = 0
        self._lexicon_segments: frozenset[str] = frozenset()

    def segment_matches(self, node: q.Node, group_ids: Iterable[int] | None) -> list[SegmentMatch]:
        """What `node` matches in each segment of the live generation, within `group_ids`."""
        node = route_group_clauses(node)
        state = self.files.read_state()
        if state is None:
            raise SearchIndexBusy()  # of another format, searched inside a transaction
        generation = state["generation"]
        reader = self.files.current_reader(generation)
        group_names = GroupNames()
        scope_terms = None if group_ids is None else [str(g).encode("utf-8") for g in group_ids]
        lexicons = self._lexicon_directory(generation, reader)
        deadline = time.monotonic() + REGEX_SECONDS
        segments = []
        for leaf, _offset in reader.leaf_readers():
            if leaf.doc_count_all() == 0:
                continue  # an index without any segment yet
            ctx = SegmentContext(leaf, lexicon_directory=lexicons)
            ctx.group_names = group_names
            ctx.deadline = deadline
            segment = SegmentMatch(ctx, self._pk_array(generation, leaf), scope_terms, self._group_docs_of(generation, leaf, ctx))
            segment.set_matching(docs(node, ctx))
            segments.append(segment)
        return segments

    def _lexicon_directory(self, generation: str, reader) -> Path:
        """Where the segments' term lexicons are saved (see lexicon_files.py); the first search with
        a new set of segments removes the files of segments merged away."""
        directory = self.files.path(generation) / LEXICON_DIRECTORY
        segment_ids = frozenset(leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()
                                if leaf.segment() is not None)
        if segment_ids != self._lexicon_segments:
            if directory.is_dir():
                remove_other_lexicon_files(directory, segment_ids)
            self._lexicon_segments = segment_ids
        return directory

    def _group_docs_of(self, generation: str, leaf, ctx: SegmentContext) -> Callable[[bytes], docsets.DocSet]:
        """A group's documents in a segment, read from its postings once per segment: a search
        within a group of 100,000 accounts otherwise decodes them again each time (three quarters
        of such a search's time). Deletions are taken out by the caller, as they come and go."""
        segment_id = leaf.segment().segment_id()

        def group_docs(term: bytes) -> docsets.DocSet:
            key = (generation, segment_id, term)
            if key not in self._group_docs:
                found = ctx.postings("group_id", term)
                cost = ctx.size if docsets.is_map(found) else 40 * len(found)
                if self._group_docs_bytes + cost > GROUP_DOCS_BYTES:
                    self._group_docs.clear()  # of generations replaced, or groups not searched lately
                    self._group_docs_bytes = 0
                self._group_docs[key], self._group_docs_bytes = found, self._group_docs_bytes + cost
            return self._group_docs[key]

        return group_docs

    def _pk_array(self, generation: str, leaf) -> array:
        """Account id of each document of a segment (segments never change once written)."""
        key = (generation, leaf.segment().segment_id())
        if key not in self._pk_arrays:
            if len(self._pk_arrays) > 64:
                self._pk_arrays.clear()  # of generations replaced long ago
            self._pk_arrays[key] = read_id_column(leaf, "pk")
        return self._pk_arrays[key]
