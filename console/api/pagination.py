"""Cursor pagination for API lists: keyset on the list's whole ordering (the sort column(s) and
the id), so a deep page costs what the first does (the account lists' indexes hold exactly these
orderings) and rows inserted meanwhile never shift a page. The cursor is opaque: the last row's
sort values, encoded."""
import base64
import json
from functools import cache
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from console.listing import SortColumn

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# Their bounds are set in the document by console.api.schema (OpenApiParameter cannot say them).
PAGE_SIZE_PARAMETER = OpenApiParameter("page_size", int, description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).")
CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", str, description="From the `next` of the page before; omitted: the first page."),
    PAGE_SIZE_PARAMETER,
]
PAGE_NUMBER_PARAMETERS = [OpenApiParameter("page", int, description="From 1."), PAGE_SIZE_PARAMETER]


@cache
def page_of(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of one page of `item`s."""
    name = item.__name__.removesuffix("Serializer") + "Page"
    return type(name, (serializers.Serializer,), {
        "results": item(many=True),
        "next": serializers.CharField(allow_null=True, help_text="URL of the next page; null on the last page."),
    })


def sort_ordering(request, columns: list[SortColumn], default: str) -> list[str]:
    """The ordering named by `?sort=` (a column key, `-` for descending) with the id as tie-breaker;
    an unknown key is a 400 naming the valid ones."""
    requested = request.query_params.get("sort", default)
    by_key = {column.key: column for column in columns}
    column = by_key.get(requested.removeprefix("-"))
    if column is None:
        keys = ", ".join(sorted(by_key))
        raise exceptions.ValidationError({"sort": [gettext("Unknown sort %(requested)s: sort by one of %(keys)s (prefix - for descending).") % {"requested": repr(requested), "keys": keys}]})
    prefix = "-" if requested.startswith("-") else ""
    return [f"{prefix}{field}" for field in column.fields] + [f"{prefix}pk"]


def _page_size(request) -> int:
    text = request.query_params.get("page_size", str(DEFAULT_PAGE_SIZE))
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError({"page_size": [gettext("A page size is a whole number from 1 to %(limit)d.") % {"limit": MAX_PAGE_SIZE}]})
    return int(text)


def _after(ordering: list[str], values: list) -> Q:
    """Rows after `values` in `ordering`: f1 >= v1 AND (f1 > v1 OR (f2 >= v2 AND (...))), whose
    leading range the index of the ordering answers directly."""
    condition = None
    for field, value in reversed(list(zip(ordering, values))):
        name, descending = field.removeprefix("-"), field.startswith("-")
        strict = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
        condition = strict if condition is None else Q(**{f"{name}__{'lte' if descending else 'gte'}": value}) & (strict | condition)
    return condition


def encode_cursor(values: list) -> str:
    """The cursor of the row whose sort values (in the list's ordering, the id last) are `values`."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _decode(cursor: str, queryset: QuerySet, ordering: list[str]) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(ordering):
            raise ValueError
        return [_field_value(queryset, field.removeprefix("-"), value) for field, value in zip(ordering, values)]
    except (ValueError, TypeError, UnicodeDecodeError):
        raise exceptions.ValidationError({"cursor": [gettext("This cursor is not one this list gave out: start again without it.")]}) from None


def _field_value(queryset: QuerySet, name: str, value):
    if value is None or isinstance(value, (list, dict)):
        raise ValueError
    if name in queryset.query.annotations:
        field = queryset.query.annotations[name].output_field
    else:
        model = queryset.model
        *path, last = name.split("__")
        for step in path:
            model = model._meta.get_field(step).related_model
        field = model._meta.pk if last == "pk" else model._meta.get_field(last)
    try:
        return field.to_python(value)
    except ValidationError:
        raise ValueError from None


def _row_values(row, ordering: list[str]) -> list:
    values = []
    for field in ordering:
        value = row
        for step in field.removeprefix("-").split("__"):
            value = getattr(value, step)
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return values


def cursor_page(request, queryset: QuerySet, ordering: list[str], serializer_class, context: dict | None = None,
                *, rows_by_id: QuerySet | None = None) -> Response:
    """One page of `queryset` in `ordering`, serialized, with the URL of the next page.

    With `rows_by_id`, the page's ids are read from `queryset` first, then only those rows from
    `rows_by_id` (which holds the joins and annotations the serializer needs), as
    console.listing.IdsFirstPaginator does for the pages: a list whose filter leaves thousands
    of rows in no index's order (a search's matches) would otherwise be joined in full before
    the database sorts it to keep the first ones."""
    size = _page_size(request)
    queryset = queryset.order_by(*ordering)
    cursor = request.query_params.get("cursor")
    if cursor:
        queryset = queryset.filter(_after(ordering, _decode(cursor, queryset, ordering)))
    rows = list(queryset[:size + 1]) if rows_by_id is None else _rows_by_ids(queryset, size + 1, rows_by_id)
    more, rows = len(rows) > size, rows[:size]
    next_url = None
    if more:
        query = request.query_params.copy()
        query["cursor"] = encode_cursor(_row_values(rows[-1], ordering))
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query, doseq=True)}")
    data = serializer_class(rows, many=True, context={"request": request, **(context or {})}).data
    return Response({"results": data, "next": next_url})


def _rows_by_ids(queryset: QuerySet, limit: int, rows_by_id: QuerySet) -> list:
    ids = list(queryset.values_list("pk", flat=True)[:limit])
    rows = rows_by_id.in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def number_page(request, rows) -> Page:
    """A numbered page (`?page=`) of a list that is not a queryset (the SIP server's registrations)."""
    text = request.query_params.get("page", "1")
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise exceptions.ValidationError({"page": [gettext("A page is a whole number from 1.")]})
    paginator = Paginator(rows, _page_size(request))
    return paginator.page(min(int(text), paginator.num_pages))


def next_page_url(request, page: Page) -> str | None:
    if not page.has_next():
        return None
    query = request.query_params.copy()
    query["page"] = str(page.next_page_number())
    return request.build_absolute_uri(f"{request.path}?{urlencode(query, doseq=True)}")
