"""Sorting and paging for list pages: whitelisted sort keys, one COUNT and one page query."""
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100, 200)  # the rows-per-page choices a list offers (`?page_size=`)


@dataclass(frozen=True)
class SortColumn:
    """A sortable column: its key in the URL (`?sort=owner` or `?sort=-owner`) and the model ordering."""

    key: str
    fields: tuple[str, ...]


def apply_sort(request, queryset: QuerySet, columns: list[SortColumn], default: str) -> tuple[QuerySet, str]:
    """Order `queryset` by the column named in `?sort=` (unknown names fall back to `default`).

    A unique tie-breaker (pk) keeps pages stable when many rows share a value.
    """
    requested = request.GET.get("sort", default)
    descending = requested.startswith("-")
    by_key = {column.key: column for column in columns}
    column = by_key.get(requested.lstrip("-"))
    if column is None:
        requested, descending, column = default, default.startswith("-"), by_key[default.lstrip("-")]
    prefix = "-" if descending else ""
    ordering = [f"{prefix}{field}" for field in column.fields] + [f"{prefix}pk"]
    return queryset.order_by(*ordering), requested


class IdsFirstPaginator(Paginator):
    """Pages an ordered queryset by first reading the page's ids, then only those rows.

    Django's Paginator asks for `rows ORDER BY ... LIMIT 50 OFFSET n` with every join and
    annotation of the page, so the database joins (and often sorts) the whole filtered set to
    skip `n` rows. Here the skipping happens on ids alone, which an index holding the ORDER BY
    answers with an index-only scan (see the account list's indexes), and only the 50 rows found
    are joined. A page past the middle is read from the other end (reversed ordering, smaller
    offset), so the deepest page costs what the middle one does. Page numbers work as usual.
    """

    def __init__(self, *args, known_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if known_count is not None:
            self.count = known_count  # the list's size is already known: no COUNT(*) (the property is cached)

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom: int, top: int) -> list:
        if top <= bottom:
            return []
        queryset = self.object_list
        if bottom == 0:
            return list(queryset[:top])  # nothing to skip: the joined rows come straight from the index order
        if bottom > self.count - top:
            ids = list(queryset.reverse().values_list("pk", flat=True)[self.count - top:self.count - bottom])[::-1]
        else:
            ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]


def text_filter(request, name: str) -> str:
    """The free-text filter `?name=` of a list page, stripped, without NUL characters (PostgreSQL
    refuses them in any query, so one would otherwise be a server error)."""
    return request.GET.get(name, "").replace("\x00", "").strip()


def requested_page_size(request) -> int:
    """The rows per page asked for in `?page_size=`: one of PAGE_SIZES, else PAGE_SIZE (a size
    that is not offered falls back without an error)."""
    text = request.GET.get("page_size", "")
    return int(text) if text in {str(size) for size in PAGE_SIZES} else PAGE_SIZE


def paginate(request, queryset: QuerySet, *, ids_first: bool = False, known_count: int | None = None) -> Page:
    """The page named in `?page=` (out-of-range and malformed numbers give the nearest page), of
    the size named in `?page_size=` (see requested_page_size).

    `ids_first` pages with IdsFirstPaginator: for large lists whose ordering an index holds;
    `known_count`, the number of rows when the caller knows it without counting them.
    """
    if ids_first:
        paginator = IdsFirstPaginator(queryset, requested_page_size(request), known_count=known_count)
    else:
        paginator = Paginator(queryset, requested_page_size(request))
    return paginator.get_page(request.GET.get("page"))
