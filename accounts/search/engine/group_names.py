"""`group:` clauses: matched against group names, then against the accounts' group ids.

Group names are not copied into account documents, so renaming a group needs no reindexing.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from accounts.search.engine import docsets
from accounts.search.engine.evaluate import SegmentContext, docs
from accounts.search.engine.tokenizer import AccountTextTokenizer
from accounts.search.language import nodes as q


@dataclass(frozen=True)
class GroupNode(q.Node):
    """A `group:` clause (`inner`, on the field `group`), answered through group names."""

    inner: q.Node


@docs.register
def _group(node: GroupNode, ctx: SegmentContext) -> docsets.DocSet:
    result: docsets.DocSet = set()
    for group_id in ctx.group_names.matching(node.inner):
        result = docsets.union(ctx.size, result, ctx.postings("group_id", str(group_id).encode("utf-8")))
    return result


class GroupNames:
    """A small in-memory index of group names, built once per search that names `group:`."""

    def __init__(self) -> None:
        self._index = None
        self._ids: list[int] = []
        self._cache: dict[q.Node, set[int]] = {}

    def matching(self, node: q.Node) -> set[int]:
        if node not in self._cache:
            self._cache[node] = self._evaluate(node)
        return self._cache[node]

    def _evaluate(self, node: q.Node) -> set[int]:
        from groups.models import Group

        if self._index is None:
            schema = Schema(group=TEXT(analyzer=AccountTextTokenizer(), phrase=True))
            self._index = RamStorage().create_index(schema)
            writer = self._index.writer()
            for group_id, name in Group.objects.order_by("id").values_list("id", "name"):
                self._ids.append(group_id)
                writer.add_document(group=name)
            writer.commit()
        found: set[int] = set()
        with self._index.reader() as reader:
            for leaf, offset in reader.leaf_readers():
                ctx = SegmentContext(leaf, cache=None)
                found.update(self._ids[offset + docnum]
                             for docnum in docsets.docs(docs(node, ctx), ctx.size))
        return found


def route_group_clauses(node: q.Node) -> q.Node:
    """`node` with every clause on the `group` field answered through group names."""
    if isinstance(node, q.BooleanNode):
        return q.BooleanNode(tuple((occur, route_group_clauses(child))
                                   for occur, child in node.clauses))
    if isinstance(node, q.HasAnyField) and "group" in node.fields:
        return q.MatchAll()
    if getattr(node, "field", None) == "group":
        return GroupNode(node)
    return node
