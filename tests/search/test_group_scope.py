"""A search within groups reads each group's documents of a segment once per process
(searching.Searcher._group_docs_of), and answers right after accounts move between groups."""
from accounts.search.engine import evaluate
from accounts.services import accounts_move
from console.audit import Actor
from tests.search.conftest import usernames_matching


def test_a_groups_documents_are_read_once_and_a_move_still_shows_at_once(book, monkeypatch):
    reads = []
    postings = evaluate.SegmentContext.postings

    def counted(ctx, fieldname, btext):
        if fieldname == "group_id":
            reads.append(btext)
        return postings(ctx, fieldname, btext)

    monkeypatch.setattr(evaluate.SegmentContext, "postings", counted)
    sales, support = [book.sales.pk], [book.support.pk]
    in_sales = usernames_matching("*", group_ids=sales)
    assert usernames_matching("rossi", group_ids=sales) == [u for u in usernames_matching("rossi") if u in in_sales]
    assert reads == [str(book.sales.pk).encode()]  # two searches of the group: its documents read once

    moving = book.accounts[in_sales[0]]
    accounts_move(actor=Actor.system(), account_ids=[moving.pk], group=book.support)

    assert moving.username not in usernames_matching("*", group_ids=sales)
    assert moving.username in usernames_matching("*", group_ids=support)
    assert usernames_matching("*", group_ids=sales) == sorted(set(in_sales) - {moving.username})
