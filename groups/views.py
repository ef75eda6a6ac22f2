"""Group pages (G1, G2): list, create, edit, delete (a group holding accounts: F3)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from console.access import administrator_required, get_visible_or_404
from console.audit import Actor
from console.confirm import confirmation_page
from console.errors import ServiceError
from console.feedback import report_refusal, report_update
from console.listing import SortColumn, apply_sort, paginate
from groups.forms import GroupForm
from groups.models import Group
from groups.services import group_create, group_delete, group_update

GROUP_COLUMNS = [
    SortColumn("id", ("id",)),
    SortColumn("name", ("name",)),
    SortColumn("admin_email", ("admin_email",)),
    SortColumn("profile", ("profile__name",)),
    SortColumn("accounts", ("account_count",)),
]
GROUP_FIELDS = ("name", "admin_email", "description", "profile")


@login_required
def group_list(request):
    groups = Group.objects.visible_to(request.user).with_account_counts().select_related("profile")
    groups, sort = apply_sort(request, groups, GROUP_COLUMNS, "name")
    return render(request, "groups/group_list.html", {"page": paginate(request, groups), "sort": sort})


@administrator_required
@require_http_methods(["GET", "POST"])
def group_create_view(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = group_create(actor=Actor.of(request.user), **{f: form.cleaned_data[f] for f in GROUP_FIELDS})
        except ServiceError as error:
            report_refusal(request, error, form, field="name")
        else:
            messages.success(request, gettext("Group “%(name)s” created with id %(number)s.") % {"name": group.name, "number": group.pk})
            return redirect("groups:group_list")
    return render(request, "groups/group_form.html", {"form": form, "creating": True})


@administrator_required
@require_http_methods(["GET", "POST"])
def group_edit(request, group_id: int):
    group = get_visible_or_404(Group.objects, request.user, pk=group_id)
    initial = {field: getattr(group, field) for field in GROUP_FIELDS} | {"version": group.version}
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = group_update(
                actor=Actor.of(request.user), group_id=group.pk, expected_version=form.cleaned_data["version"] or 0,
                **{f: form.cleaned_data[f] for f in GROUP_FIELDS},
            )
        except ServiceError as error:
            report_refusal(request, error, form)
        else:
            report_update(request, saved=saved, expected_version=form.cleaned_data["version"] or 0, subject=gettext("Group “%(name)s”") % {"name": saved.name})
            return redirect("groups:group_list")
    return render(request, "groups/group_form.html", {"form": form, "group": group})


@administrator_required
@require_http_methods(["GET", "POST"])
def group_delete_view(request, group_id: int):
    group = get_visible_or_404(Group.objects.with_account_counts(), request.user, pk=group_id)
    if request.method == "GET" and group.account_count:
        # Its accounts go first: moved to another group, or deleted with it (the fleet app's forms).
        others = Group.objects.visible_to(request.user).exclude(pk=group.pk)
        return render(request, "groups/group_delete.html", {"group": group, "others": others})
    if request.method == "GET":
        return confirmation_page(
            request, title=gettext("Delete group %(name)s") % {"name": group.name}, body=gettext("Delete the group “%(name)s”? This cannot be undone.") % {"name": group.name},
            action_url=reverse("groups:group_delete", args=[group.pk]), confirm=gettext("Delete group"),
            cancel_url=reverse("groups:group_list"), danger=True,
        )
    try:
        name = group_delete(actor=Actor.of(request.user), group_id=group.pk)
    except ServiceError as error:
        report_refusal(request, error)
        return redirect("groups:group_delete", group.pk)
    messages.warning(request, gettext("Group “%(name)s” was deleted.") % {"name": name})
    return redirect("groups:group_list")
