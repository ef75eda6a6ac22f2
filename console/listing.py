"""Sorting and paging for list pages: whitelisted sort keys, one COUNT and one page query."""
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PAGE_SIZE = 50


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


def paginate(request, queryset: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    """The page named in `?page=` (out-of-range and malformed numbers give the nearest page)."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))
