"""Template tags for list pages: links that keep the current query string."""
import functools

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext

from console.audit import action_label
from console.audit_text import render_audit_text
from console.listing import PAGE_SIZES
from console.models import AuditEntry

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


@register.simple_tag
def page_size_choices() -> tuple[int, ...]:
    """The rows-per-page choices a list offers (`?page_size=`, honoured by console.listing.paginate)."""
    return PAGE_SIZES


# The arrow after a sortable column's heading: two arrows while the column is not the sort, one
# arrow pointing the way it sorts when it is.
SORT_ICONS = {"": "bi-arrow-down-up", "ascending": "bi-sort-up", "descending": "bi-sort-down"}


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, label: str) -> str:
    """A column heading that sorts by `key`, toggling the direction and showing the current one."""
    current = context.get("sort", "")
    descending = current == f"-{key}"
    target = key if descending or current != key else f"-{key}"
    query = context["request"].GET.copy()
    query["sort"] = target
    query.pop("page", None)
    state = "" if current.lstrip("-") != key else "descending" if descending else "ascending"
    # console.js moves data-sort-state to the column heading's aria-sort, where ARIA wants it.
    return format_html(
        '<a href="?{}" class="sort-link{}"{}>{} <i class="bi {} sort-icon" aria-hidden="true"></i></a>',
        query.urlencode(), " sorted" if state else "", format_html(' data-sort-state="{}"', state) if state else "",
        label, SORT_ICONS[state],
    )


@register.filter
def dict_get(mapping, key):
    """`mapping[key]`, or None when the key is absent (for before/after audit snapshots)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@functools.cache
def _models_by_name() -> dict[str, type]:
    return {model._meta.model_name: model for model in apps.get_models()}


def _audited_field(entry, key: str):
    """The model field an audit entry's key names, or None (a value kept elsewhere, like a list)."""
    model = _models_by_name().get(entry.object_type)
    try:
        return model._meta.get_field(key) if model else None
    except FieldDoesNotExist:
        return None


def _related_field(entry, key: str):
    """The field a kept-alongside value names as `<relation>_<field>` ("licence_state": the
    licence's state), or None."""
    model = _models_by_name().get(entry.object_type)
    relation, _, name = key.partition("_")
    try:
        related = model._meta.get_field(relation).related_model if model else None
        return related._meta.get_field(name) if related else None
    except FieldDoesNotExist:
        return None


@register.filter
def audit_label(key: str, entry) -> str:
    """The label of a key of `entry`'s before/after: its model field's name ("Caller ID"), else
    the key in words ("licence_valid_until": "Licence valid until")."""
    field = _audited_field(entry, key)
    if field:
        return capfirst(field.verbose_name)
    related = _related_field(entry, key)
    if related:
        relation = related.model._meta.verbose_name
        return capfirst(pgettext("an audited field of a related object", "%(relation)s %(field)s")
                        % {"relation": relation, "field": related.verbose_name})
    return key.replace("_", " ").capitalize()


@register.simple_tag
def audit_value(entry, key: str, value) -> str:
    """A value of `entry`'s before/after as the pages show it: a choice by its label, a flag as
    yes or no, a list joined, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return pgettext("audit value", "yes") if value else pgettext("audit value", "no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    field = _audited_field(entry, key) or _related_field(entry, key)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str) and parse_datetime(value):
        return date_format(timezone.localtime(parse_datetime(value)), "Y-m-d H:i:s")
    return str(value)


@register.filter
def audit_action(action: str) -> str:
    """A recorded action in words: "account.update" reads "Settings changed"."""
    return action_label(action)


@register.filter
def audit_message(entry) -> str:
    """The entry's message in the reader's language when it was kept as a translatable sentence,
    else (typed text, entries older than that) the message as stored."""
    if not entry.message_text:
        return entry.message
    try:
        return render_audit_text(entry.message_text)
    except (KeyError, TypeError, ValueError):
        return entry.message


@register.filter
def audit_actor(entry) -> str:
    """Who made the change, as the pages name them: an operator with their role ("admin
    (Administrator)"), a command by its name, anyone else by kind in the reader's language ("Worker")."""
    if entry.actor_kind == AuditEntry.ActorKind.COMMAND:
        return entry.actor_label
    if entry.actor_kind != AuditEntry.ActorKind.OPERATOR:
        return entry.get_actor_kind_display()
    if entry.actor is None:
        return gettext("%(operator)s (operator since removed)") % {"operator": entry.actor_label}

    return f"{entry.actor_label} ({entry.actor.get_role_display()})"


# The page of each kind of audited object, by the entry's object type; other objects (a licence,
# an SMS) lead to their account's page. URL names only: the ground floor imports no app.
OBJECT_PAGES = {
    "account": "accounts:account_detail",
    "group": "accounts:account_list",
    "provisioningprofile": "activation:profile_edit",
    "operator": "operator_edit",
}


@register.simple_tag
def audit_object(entry) -> str:
    """The entry's object, linked to its page while it may still exist (not after its deletion)."""
    model = _models_by_name().get(entry.object_type)
    kind = capfirst(model._meta.verbose_name) if model else entry.object_type
    text = f"{kind} {entry.object_repr}".strip()
    url = None
    if entry.object_type in OBJECT_PAGES and entry.object_id and not entry.action.endswith(".delete"):
        try:
            url = reverse(OBJECT_PAGES[entry.object_type], args=[entry.object_id])
        except NoReverseMatch:
            url = None
    elif entry.account_id:
        url = reverse(OBJECT_PAGES["account"], args=[entry.account_id])
    return format_html('<a href="{}">{}</a>', url, text) if url else text


@register.filter
def present(value) -> bool:
    """False for None, empty strings and empty lists; True for everything else, False and 0 included."""
    return value not in (None, "", [], {})


@register.simple_tag
def confirm_button(
    *, action_url: str, title: str, body: str, confirm: str, button: str, fallback_url: str = "",
    confirm_class: str = "btn-primary", button_class: str = "btn-outline-secondary", icon: str = "", compact: bool = False,
    blocked: bool = False, confirm_url: str = "",
) -> str:
    """A POST action behind a confirmation pop-up.

    Renders only the opener: a link to `fallback_url` (default `action_url`), the plain
    confirmation page for browsers without JavaScript, carrying the pop-up's text. console.js
    fills the page's one shared dialog (includes/_confirm_dialog.html, in base.html) from it and
    shows it, so a list with a hundred actions still has one dialog. `compact` shows only the
    icon (the label stays the button's accessible name and tooltip), for list rows.
    `blocked`: the action cannot work now; the pop-up says why (`body`) instead of asking, and
    offers a link to `confirm_url` labelled `confirm` (where to fix it) when one is given.
    """
    icon_html = format_html('<i class="bi {}" aria-hidden="true"></i> ', icon) if icon else ""
    label = format_html('<span class="visually-hidden">{}</span>', button) if compact and icon else button
    blocked_html = format_html(' data-confirm-blocked="{}"', confirm_url) if blocked else ""
    return format_html(
        '<a href="{}" class="btn {} btn-sm" title="{}" data-confirm-modal="#confirm-dialog" data-confirm-action="{}" '
        'data-confirm-title="{}" data-confirm-body="{}" data-confirm-label="{}" data-confirm-class="{}"{}>{}{}</a>',
        fallback_url or action_url, button_class, button, action_url, title, body, confirm, confirm_class, blocked_html,
        icon_html, label,
    )
