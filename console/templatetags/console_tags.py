"""Template tags for list pages: links that keep the current query string."""
from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with `changes` applied (a value of None removes the key)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, label: str) -> str:
    """A column heading that sorts by `key`, toggling the direction and showing the current one."""
    current = context.get("sort", "")
    descending = current == f"-{key}"
    target = key if descending or current != key else f"-{key}"
    query = context["request"].GET.copy()
    query["sort"] = target
    query.pop("page", None)
    arrow = ""
    if current.lstrip("-") == key:
        arrow = " ▾" if descending else " ▴"
    aria = "descending" if descending else "ascending" if current == key else "none"
    return format_html('<a href="?{}" class="sort-link" aria-sort="{}">{}{}</a>', query.urlencode(), aria, label, arrow)


@register.filter
def dict_get(mapping, key):
    """`mapping[key]`, or None when the key is absent (for before/after audit snapshots)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def present(value) -> bool:
    """False for None, empty strings and empty lists; True for everything else, False and 0 included."""
    return value not in (None, "", [], {})
