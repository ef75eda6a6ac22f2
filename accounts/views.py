"""Account pages: list per group (A1), create the plain way (A2), detail (A4), edit (A5),
allow/deny test (A6), delete (A7), disable/enable (A8)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from accounts.access_lists import AccessEntry, AccessEntryError, decide, parse_network
from accounts.filters import filter_accounts
from accounts.forms import AccountCreateForm, AccountEditForm
from accounts.models import Account
from accounts.search.results import search_context, search_within
from accounts.services import (
    account_create,
    account_delete,
    account_set_enabled,
    account_update,
    generate_username,
)
from accounts.templatetags.account_tags import enable_confirmation
from accounts.timeline import account_timeline
from activation.models import ProvisioningProfile
from console.access import get_visible_or_404, writer_required
from console.audit import Actor
from console.confirm import confirmation_page
from console.errors import ServiceError
from console.feedback import report_refusal, report_update
from console.listing import SortColumn, apply_sort, paginate
from fleet.status_counts import kept_account_count
from groups.models import Group

ACCOUNT_COLUMNS = [
    SortColumn("username", ("username",)),
    SortColumn("owner", ("owner",)),
    SortColumn("caller_id", ("caller_id",)),
    SortColumn("number", ("virtual_number",)),
    SortColumn("type", ("account_type", "username")),
    SortColumn("enabled", ("enabled", "username")),
    SortColumn("status", ("status", "username")),
    SortColumn("status_date", ("status_changed_at",)),
]
def render_account_list(request, template: str, accounts, context: dict, *, whole_group=None):
    """The account list page (sorting, filters, paging) for any set of accounts: a group's or a search's.
    `whole_group`: the accounts are all of that group's (no search), so that the list's size can come
    from the kept counts."""
    accounts, active_filters = filter_accounts(request.GET, accounts)
    accounts, sort = apply_sort(request, accounts.for_list(), ACCOUNT_COLUMNS, "username")
    count = _kept_list_count(whole_group, active_filters) if whole_group else None
    return render(request, template, {
        **context, "page": paginate(request, accounts, ids_first=True, known_count=count), "sort": sort, "filters": active_filters,
        "statuses": Account.Status.choices, "types": Account.AccountType.choices,
    })


def _kept_list_count(group, filters: dict[str, str]) -> int | None:
    """The size of a group's list with no filter or with the status filter alone, from the kept counts
    (fleet.status_counts); None for other filters and where no counts are kept."""
    if set(filters) - {"status"}:
        return None
    return kept_account_count(group.pk, filters.get("status"))


@login_required
def account_list(request, group_id: int):
    group = get_visible_or_404(Group.objects, request.user, pk=group_id)
    accounts = Account.objects.filter(group=group)
    # Search box of the group (S1), owned by accounts/search.
    query_text = request.GET.get("q", "").strip()
    outcome = search_within(accounts, query_text, user=request.user, group_ids=[group.pk]) if query_text else None
    search = search_context(query_text, outcome.error if outcome else None)
    accounts = outcome.accounts if outcome else accounts
    return render_account_list(request, "accounts/account_list.html", accounts, {"group": group, **search},
                               whole_group=None if outcome else group)


@writer_required
@require_http_methods(["GET", "POST"])
def account_create_view(request, group_id: int):
    group = get_visible_or_404(Group.objects, request.user, pk=group_id)
    form = AccountCreateForm(request.POST or None, initial={"username": generate_username()})
    if request.method == "POST" and form.is_valid():
        try:
            account = account_create(
                actor=Actor.of(request.user), group=group, fields=form.create_fields(),
                password=form.cleaned_data["password1"], access_rules=form.access_rules(),
                licence_edition=form.cleaned_data["licence_edition"], licence_valid_until=form.cleaned_data["licence_valid_until"],
            )
        except ServiceError as error:
            report_refusal(request, error, form)
        else:
            messages.success(request, gettext("Account %(username)s created and enabled.") % {"username": account.username})
            return redirect("accounts:account_detail", account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "group": group, "creating": True})


def _visible_account(request, account_id: int) -> Account:
    return get_visible_or_404(Account.objects.select_related("group", "profile", "licence"), request.user, pk=account_id)


@login_required
def account_detail(request, account_id: int):
    account = get_visible_or_404(Account.objects.for_list().select_related("profile"), request.user, pk=account_id)
    address_check = _address_check(account, request.GET.get("address"))
    timeline = account_timeline(account)
    # The page opens on the tab that has something to show: the activity when there is any.
    opening_tab = "activity" if timeline and address_check is None else "configuration"
    return render(request, "accounts/account_detail.html", {
        "account": account, "access_rules": account.access_rules.all(), "timeline": timeline,
        "address_check": address_check, "tab": request.GET.get("tab", opening_tab),
        "profile_fallback": "" if account.profile_id else ProvisioningProfile.objects.fallback_label(account.group),
    })


def _address_check(account: Account, address: str | None) -> dict | None:
    """The "test an address" box (A6): allowed or refused, and why; None when nothing was asked."""
    if address is None:
        return None
    try:
        entries = [AccessEntry(rule.action, parse_network(rule.network), rule.as_typed) for rule in account.access_rules.all()]
        decision = decide(address, entries)
    except AccessEntryError as error:
        return {"address": address, "error": str(error)}
    return {"address": address.strip(), "allowed": decision.allowed, "reason": decision.reason}


@writer_required
@require_http_methods(["GET", "POST"])
def account_edit(request, account_id: int):
    account = _visible_account(request, account_id)
    form = AccountEditForm(account, request.POST or None, initial=AccountEditForm.initial_for(account))
    if request.method == "POST" and form.is_valid():
        try:
            saved = account_update(
                actor=Actor.of(request.user), account_id=account.pk, expected_version=form.cleaned_data["version"],
                fields=form.settings_fields(), password=form.cleaned_data["password1"] or None,
                access_rules=form.access_rules(), licence_edition=form.cleaned_data["licence_edition"],
                licence_valid_until=form.cleaned_data["licence_valid_until"],
            )
        except ServiceError as error:
            report_refusal(request, error)
        else:
            report_update(request, saved=saved, expected_version=form.cleaned_data["version"], subject=gettext("Account %(username)s") % {"username": account.username})
            return redirect("accounts:account_detail", account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "group": account.group, "account": account})


@writer_required
@require_http_methods(["GET", "POST"])
def account_set_enabled_view(request, account_id: int, enabled: bool):
    account = _visible_account(request, account_id)
    if request.method == "GET":  # the confirmation page of browsers without JavaScript
        return confirmation_page(request, **enable_confirmation(account, enabled), action_url=request.path,
                                 cancel_url=reverse("accounts:account_detail", args=[account.pk]))
    try:
        account_set_enabled(actor=Actor.of(request.user), account_id=account.pk, enabled=enabled)
    except ServiceError as error:
        report_refusal(request, error)
    else:
        if enabled:
            messages.success(request, gettext("Account %(username)s enabled.") % {"username": account.username})
        else:
            messages.warning(request, gettext("Account %(username)s disabled: it can neither place nor receive calls.") % {"username": account.username})
    return redirect("accounts:account_detail", account.pk)


@writer_required
@require_http_methods(["GET", "POST"])
def account_delete_view(request, account_id: int):
    account = _visible_account(request, account_id)
    if request.method == "GET":
        return confirmation_page(
            request, title=gettext("Delete account %(username)s") % {"username": account.username},
            body=gettext("Delete account %(username)s (%(owner)s)? "
                 "Its registrations are dropped and this cannot be undone.") % {"username": account.username, "owner": account.owner or account.virtual_number},
            action_url=reverse("accounts:account_delete", args=[account.pk]), confirm=gettext("Delete account"),
            cancel_url=reverse("accounts:account_detail", args=[account.pk]), danger=True,
        )
    username, group_id = account_delete(actor=Actor.of(request.user), account_id=account.pk)
    messages.warning(request, gettext("Account %(username)s was deleted.") % {"username": username})
    return redirect("accounts:account_list", group_id)
