"""Licence pages of the console: clear a licence status and revoke keys (L3), the licences that
need attention (L4)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from accounts.models import Account
from console.access import get_visible_or_404, writer_required
from console.audit import Actor
from console.confirm import confirmation_page
from console.errors import ServiceError
from console.feedback import report_refusal
from console.listing import SortColumn, apply_sort, paginate
from licensing.queries import (
    ATTENTION_REASONS,
    attention_counts,
    licences_needing_attention,
)
from licensing.services import licence_clear, licence_revoke_keys

LICENCE_COLUMNS = [
    SortColumn("reason", ("attention_order", "account__username")),
    SortColumn("username", ("account__username",)),
    SortColumn("owner", ("account__owner",)),
    SortColumn("group", ("account__group__name", "account__username")),
    SortColumn("state", ("state", "account__username")),
    SortColumn("valid_until", ("valid_until", "account__username")),
    SortColumn("last_checked", ("last_checked_at", "account__username")),
]


def _confirm_or_run(request, account: Account, *, title: str, body: str, confirm: str, url_name: str, action, done: str):
    """GET: the plain confirmation page (no JavaScript); POST: run `action`, report, back to the account."""
    if request.method == "GET":
        return confirmation_page(
            request, title=title, body=body, confirm=confirm, confirm_class="btn-warning",
            action_url=reverse(url_name, args=[account.pk]), cancel_url=reverse("accounts:account_detail", args=[account.pk]),
        )
    try:
        action(actor=Actor.of(request.user), account_id=account.pk)
    except ServiceError as error:
        report_refusal(request, error)
    else:
        messages.success(request, done)
    return redirect(reverse("accounts:account_detail", args=[account.pk]) + "?tab=activity")


@writer_required
@require_http_methods(["GET", "POST"])
def licence_clear_view(request, account_id: int):
    account = get_visible_or_404(Account.objects.all(), request.user, pk=account_id)
    return _confirm_or_run(
        request, account, title=gettext("Clear the licence status of account %(username)s") % {"username": account.username},
        body=gettext("Free the licence of account %(username)s from its device (and any conflict or key revocation)? "
        "The next device that validates the licence is bound to it.") % {"username": account.username},
        confirm=gettext("Clear licence status"), url_name="licensing:licence_clear", action=licence_clear,
        done=gettext("Licence status of account %(username)s cleared: the next device that validates is bound.") % {"username": account.username},
    )


@writer_required
@require_http_methods(["GET", "POST"])
def licence_revoke_keys_view(request, account_id: int):
    account = get_visible_or_404(Account.objects.all(), request.user, pk=account_id)
    return _confirm_or_run(
        request, account, title=gettext("Revoke the keys of account %(username)s") % {"username": account.username},
        body=gettext("Revoke the keys of account %(username)s? Its client is told at its next licence check that it "
        "must be provisioned again (send a new activation SMS).") % {"username": account.username},
        confirm=gettext("Revoke keys"), url_name="licensing:licence_revoke_keys", action=licence_revoke_keys,
        done=gettext("Keys of account %(username)s revoked: its client must be provisioned again.") % {"username": account.username},
    )


@login_required
def licence_list(request):
    """Licences needing attention in the operator's groups (L4), filterable by reason."""
    reason = request.GET.get("reason", "")
    accounts = Account.objects.visible_to(request.user)
    licences = licences_needing_attention(accounts, reason=reason or None)
    licences, sort = apply_sort(request, licences, LICENCE_COLUMNS, "reason")
    return render(request, "licensing/licence_list.html", {
        "page": paginate(request, licences), "sort": sort, "reason": reason if reason in ATTENTION_REASONS else "",
        "reasons": ATTENTION_REASONS, "counts": attention_counts(accounts),
    })
