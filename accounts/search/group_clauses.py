"""`group:` clauses: matched against group names, then against the accounts' group ids.

Group names are not copied into account documents, so renaming a group needs no reindexing.
"""

from __future__ import annotations

from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from accounts.search import docmaps, query as q
from accounts.search.analyzer import AccountTextTokenizer

class GroupNode(q.Node):
    """A `group:` clause: matched against group names, then against the accounts' group ids.

    Group names are not copied into account documents, so renaming a group needs no reindexing.
    """

    def __init__(self, inner: q.Node):
        self.inner = inner

    def __repr__(self) -> str:
        return f"GroupNode({self.inner!r})"

    def docs(self, ctx: q.SegmentContext) -> docmaps.DocSet:
        result: docmaps.DocSet = set()
        for group_id in ctx.group_names.matching(self.inner):
            result = docmaps.union(ctx.size, result,
                                   ctx.postings("group_id", str(group_id).encode("utf-8")))
        return result


class GroupNames:
    """A small in-memory index of group names, built once per search that names `group:`."""

    def __init__(self) -> None:
        self._index = None
        self._ids: list[int] = []
        self._cache: dict[int, set[int]] = {}

    def matching(self, node: q.Node) -> set[int]:
        if id(node) not in self._cache:
            self._cache[id(node)] = self._evaluate(node)
        return self._cache[id(node)]

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
                ctx = q.SegmentContext(leaf, cache=None)
                found.update(self._ids[offset + docnum]
                             for docnum in docmaps.docs(node.docs(ctx), ctx.size))
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
