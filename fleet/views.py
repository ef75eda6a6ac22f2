"""Fleet pages: the dashboard home page (F4); bulk actions on a selection (F1, F2): confirm, run, follow
and cancel one, and read its per-account outcome report; deleting a group that holds accounts (F3)."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.batch.export import export_response
from accounts.filters import stuck_days
from accounts.models import Account
from activation.models import ProvisioningProfile, SmsMessage
from console.access import administrator_required, get_visible_or_404, writer_required
from console.errors import ServiceError
from console.feedback import report_refusal
from console.listing import paginate
from fleet.actions import ACTIONS, TYPED_COUNT_ABOVE
from fleet.dashboard import DEFAULT_STUCK_DAYS, attention, funnel
from fleet.models import BulkBatch, BulkItem
from fleet.selection import Selection, selection_accounts
from fleet.services import (
    bulk_cancel,
    bulk_parameters,
    bulk_start,
    group_delete_emptying,
)
from groups.models import Group


def list_url(selection: Selection) -> str:
    """The account list the selection was made on, with its search and filters."""
    query = urlencode({**selection.filters, **({"q": selection.q} if selection.q else {})})
    if selection.group_id is not None:
        return f"{reverse('accounts:account_list', args=[selection.group_id])}?{query}"
    return f"{reverse('accounts:account_search')}?{query}"


def _scope_group_ids(user, groups, group: Group | None):
    """The groups of the dashboard: the one chosen, else the operator's (None: every group)."""
    if group is not None:
        return [group.pk]
    return None if user.is_administrator else groups.values("pk")


@login_required
@require_GET
def dashboard(request):
    """The home page (F4): everything in the operator's scope, or one of their groups (`?group=`)."""
    groups = Group.objects.visible_to(request.user)
    group_id = request.GET.get("group", "")
    group = get_visible_or_404(Group.objects, request.user, pk=group_id) if group_id.isdigit() else None
    accounts = Account.objects.visible_to(request.user).filter(**({"group": group} if group else {}))
    sms = SmsMessage.objects.visible_to(request.user).filter(**({"group": group} if group else {}))
    days = stuck_days(request.GET) or DEFAULT_STUCK_DAYS
    group_ids = _scope_group_ids(request.user, groups, group)
    steps = funnel(accounts, group_ids=group_ids, stuck_days=days)
    return render(request, "fleet/dashboard.html", {
        "groups": groups, "group": group, "stuck_days": days, "steps": steps, "total": steps[0].reached,
        "stuck_steps": [step for step in steps if step.stuck], "attention": attention(accounts, group_ids, sms),
        "list_url": reverse("accounts:account_list", args=[group.pk]) if group else reverse("accounts:account_search"),
    })


def _selection_group(request, selection: Selection) -> Group | None:
    """The group of a group's list selection (404 outside the operator's scope); None for a search."""
    return get_visible_or_404(Group.objects, request.user, pk=selection.group_id) if selection.group_id is not None else None


@writer_required
@require_GET
def bulk_confirm(request):
    selection = Selection.from_params(request.GET)
    action = ACTIONS.get(request.GET.get("action", ""))
    group = _selection_group(request, selection)
    try:
        accounts = selection_accounts(selection, request.user)
        if action is None or not (count := accounts.count()):
            raise ServiceError(gettext("Tick the accounts to act on, or choose all matching, and pick an action."))
    except ServiceError as error:
        report_refusal(request, error)
        return redirect(list_url(selection))
    if action.key == "export":
        return export_response(accounts, f"accounts-{group.name if group else 'selection'}")
    return render(request, "fleet/bulk_confirm.html", {
        "action": action, "count": count, "selection": selection, "group": group, "back_url": list_url(selection),
        "fields": selection.as_params(), "typed_count": action.typed_count and count > TYPED_COUNT_ABOVE,
        "groups": Group.objects.visible_to(request.user).exclude(pk=selection.group_id) if action.parameter == "group" else (),
        "profiles": ProvisioningProfile.objects.all() if action.parameter == "profile" else (),
    })


@writer_required
@require_POST
def bulk_run(request):
    selection = Selection.from_params(request.POST)
    _selection_group(request, selection)
    action = request.POST.get("action", "")
    typed = request.POST.get("typed_count", "").replace(",", "").strip()
    try:
        parameters = bulk_parameters(operator=request.user, action=action, group_id=request.POST.get("target_group", ""),
                                     profile_id=request.POST.get("profile", "")) if action in ACTIONS else {}
        batch = bulk_start(operator=request.user, action=action, selection=selection, parameters=parameters,
                           typed_count=int(typed) if typed.isdigit() else None)
    except ServiceError as error:
        report_refusal(request, error)
        return redirect(f"{reverse('fleet:bulk_confirm')}?{urlencode({**selection.as_params(), 'action': action}, doseq=True)}")
    return redirect("fleet:bulk_batch", batch.pk)  # its page says what was done, or shows the worker's progress


@login_required
@require_GET
def bulk_list(request):
    """The bulk actions the operator started (every one, for Administrators), newest first."""
    batches = BulkBatch.objects.visible_to(request.user)
    return render(request, "fleet/bulk_list.html", {"page": paginate(request, batches), "actions": ACTIONS})


@login_required
@require_GET
def bulk_batch(request, batch_id: int):
    batch = get_visible_or_404(BulkBatch.objects, request.user, pk=batch_id)
    outcome = request.GET.get("outcome", "")
    items = batch.items.filter(outcome=outcome) if outcome in BulkItem.Outcome.values else batch.items.all()
    return render(request, "fleet/bulk_batch.html", {
        "batch": batch, "action": ACTIONS[batch.action], "page": paginate(request, items), "outcome": outcome,
        "outcomes": BulkItem.Outcome.choices, "back_url": list_url(Selection.from_json(batch.selection)),
    })


@login_required
@require_GET
def bulk_progress(request, batch_id: int):
    batch = get_visible_or_404(BulkBatch.objects, request.user, pk=batch_id)
    return JsonResponse({
        "busy": batch.is_busy, "state_label": batch.get_state_display(), "percent": batch.percent,
        "processed": batch.processed, "total": batch.total,
    }, headers={"Cache-Control": "no-store"})


@writer_required
@require_POST
def bulk_cancel_view(request, batch_id: int):
    batch = get_visible_or_404(BulkBatch.objects, request.user, pk=batch_id)
    try:
        batch = bulk_cancel(batch=batch)
    except ServiceError as error:
        report_refusal(request, error)
    else:
        messages.warning(request, gettext("Bulk action #%(number)d is cancelled: the accounts it had not reached are left as "
                                          "they were.") % {"number": batch.pk})

    return redirect("fleet:bulk_batch", batch.pk)


@administrator_required
@require_POST
def group_delete_emptying_view(request, group_id: int):
    group = get_visible_or_404(Group.objects, request.user, pk=group_id)
    try:
        batch = group_delete_emptying(operator=request.user, group=group, how=request.POST.get("how", ""),
                                      target_group_id=request.POST.get("target_group", ""), typed_name=request.POST.get("typed_name", ""))
    except ServiceError as error:
        report_refusal(request, error)
        return redirect("groups:group_delete", group.pk)
    return redirect("fleet:bulk_batch", batch.pk)
