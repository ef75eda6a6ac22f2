"""Operator pages of the activation app: provisioning profiles, the account wizard, sending the
installation and activation SMS, the SMS log and the test SMS of the Services page."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account
from activation.forms import PROFILE_FIELDS, ProfileForm, TestSmsForm, WizardForm
from activation.models import ProvisioningProfile, SmsMessage
from activation.services import (
    account_create_wizard,
    activation_send_sms,
    profile_create,
    profile_delete,
    profile_update,
    sms_refusal,
    sms_send_test,
)
from activation.sms.config import sms_config
from console.access import administrator_required, get_visible_or_404, writer_required
from console.audit import Actor
from console.confirm import confirmation_page
from console.errors import ServiceError
from console.feedback import report_refusal, report_update
from console.listing import SortColumn, apply_sort, paginate, text_filter
from console.models import ServiceSettings
from groups.models import Group

SMS_COLUMNS = [
    SortColumn("created", ("created_at",)),
    SortColumn("recipient", ("recipient",)),
    SortColumn("state", ("state",)),
    SortColumn("account", ("account_username",)),
]


@administrator_required
def profile_list(request):
    profiles = ProvisioningProfile.objects.annotate(
        group_count=Count("groups", distinct=True), account_count=Count("accounts", distinct=True)
    )
    return render(request, "activation/profile_list.html", {"profiles": profiles})


@administrator_required
@require_http_methods(["GET", "POST"])
def profile_create_view(request):
    form = ProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
        try:
            profile = profile_create(actor=Actor.of(request.user), fields=fields)
        except ServiceError as error:
            report_refusal(request, error, form)
        else:
            messages.success(request, gettext("Profile “%(name)s” created.") % {"name": profile.name})
            return redirect("activation:profile_list")
    return render(request, "activation/profile_form.html", {"form": form, "profile": None})


@administrator_required
@require_http_methods(["GET", "POST"])
def profile_edit(request, profile_id: int):
    profile = get_object_or_404(ProvisioningProfile, pk=profile_id)
    form = ProfileForm(request.POST or None, instance=profile, initial={"version": profile.version})
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
        try:
            saved = profile_update(
                actor=Actor.of(request.user), profile_id=profile.pk,
                expected_version=form.cleaned_data["version"] or 0, fields=fields,
            )
        except ServiceError as error:
            report_refusal(request, error)
            return redirect("activation:profile_edit", profile.pk)
        report_update(request, saved=saved, expected_version=form.cleaned_data["version"] or 0, subject=gettext("Profile “%(name)s”") % {"name": saved.name})
        return redirect("activation:profile_list")
    return render(request, "activation/profile_form.html", {"form": form, "profile": profile})


@administrator_required
@require_http_methods(["GET", "POST"])
def profile_delete_view(request, profile_id: int):
    profile = get_object_or_404(ProvisioningProfile, pk=profile_id)
    if request.method == "GET":
        return confirmation_page(
            request, title=gettext("Delete profile"), body=gettext("Delete profile “%(name)s”?") % {"name": profile.name}, confirm=gettext("Delete profile"),
            action_url=request.path, cancel_url=reverse("activation:profile_list"), danger=True,
        )
    try:
        name = profile_delete(actor=Actor.of(request.user), profile_id=profile.pk)
    except ServiceError as error:
        report_refusal(request, error)
    else:
        messages.warning(request, gettext("Profile “%(name)s” deleted.") % {"name": name})
    return redirect("activation:profile_list")


@writer_required
@require_http_methods(["GET", "POST"])
def account_wizard(request, group_id: int):
    group = get_visible_or_404(Group.objects.select_related("profile"), request.user, pk=group_id)
    form = WizardForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_create_wizard(actor=Actor.of(request.user), group=group, fields=form.cleaned_data)
        except ServiceError as error:
            report_refusal(request, error, form)
        else:
            messages.success(
                request, gettext("Account %(username)s created the wizard way. It stays disabled until the customer "
                "activates it: send the installation SMS, then the activation SMS.") % {"username": account.username},
            )
            return redirect("accounts:account_detail", account.pk)
    return render(request, "activation/account_wizard.html", {"form": form, "group": group})


@writer_required
@require_http_methods(["GET", "POST"])
def sms_send(request, account_id: int, purpose: str):
    account = get_visible_or_404(Account.objects.select_related("group"), request.user, pk=account_id)
    label = SmsMessage.Purpose(purpose).label
    if request.method == "GET":
        return render(request, "activation/sms_confirm.html", {
            "account": account, "purpose": purpose, "label": label, "action_url": request.path,
            "refusal": sms_refusal(account, purpose),
            "cancel_url": reverse("accounts:account_detail", args=[account.pk]),
        })
    try:
        sms = activation_send_sms(actor=Actor.of(request.user), account_id=account.pk, purpose=purpose)
    except ServiceError as error:
        report_refusal(request, error)
    else:
        messages.success(request, gettext("%(label)s for account %(username)s queued to %(recipient)s.") % {"label": label, "username": account.username, "recipient": sms.recipient})
    return redirect(_back_to(request, account))


def _back_to(request, account: Account) -> str:
    """Back to the page the operator clicked on: the account list or the detail page."""
    if request.GET.get("next") == "list":
        return reverse("accounts:account_list", args=[account.group_id])
    return reverse("accounts:account_detail", args=[account.pk]) + "?tab=activity"


@login_required
def sms_list(request):
    sms = SmsMessage.objects.visible_to(request.user).select_related("group")
    filters = {key: text_filter(request, key) for key in ("state", "purpose", "q")}
    if filters["state"] in SmsMessage.State.values:
        sms = sms.filter(state=filters["state"])
    if filters["purpose"] in SmsMessage.Purpose.values:
        sms = sms.filter(purpose=filters["purpose"])
    if filters["q"]:
        sms = sms.filter(Q(recipient__icontains=filters["q"]) | Q(account_username__icontains=filters["q"]))
    sms, sort = apply_sort(request, sms, SMS_COLUMNS, "-created")
    return render(request, "activation/sms_list.html", {
        "page": paginate(request, sms), "sort": sort, "filters": filters,
        "states": SmsMessage.State.choices, "purposes": SmsMessage.Purpose.choices,
        "printed_only": sms_config().backend == ServiceSettings.SmsBackend.CONSOLE,
    })


@administrator_required
@require_POST
def sms_test(request):
    form = TestSmsForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Test SMS not sent: %(errors)s") % {
            "errors": " ".join(form.errors.get("recipient", [gettext("enter a mobile number.")]))})
        return redirect("services")
    try:
        sms = sms_send_test(actor=Actor.of(request.user), recipient=form.cleaned_data["recipient"])
    except ServiceError as error:
        report_refusal(request, error)
    else:
        messages.success(request, gettext("Test SMS #%(number)s queued for %(recipient)s: follow it in the SMS log.") % {"number": sms.pk, "recipient": sms.recipient})
    return redirect("services")
