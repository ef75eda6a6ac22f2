"""The batch way's pages: CSV template, upload -> checked report -> commit with progress, export."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.batch.columns import CHOICE_COLUMNS, COLUMNS, template_csv
from accounts.batch.export import export_response
from accounts.batch.forms import ImportUploadForm
from accounts.batch.importer import ImportOptions
from accounts.batch.jobs import job_commit, job_create, job_progress
from accounts.batch.models import ImportJob
from accounts.batch.report import ImportReport
from accounts.models import Account
from accounts.search.results import SearchOutcome, search_within
from console.access import get_visible_or_404, writer_required
from console.errors import ServiceError
from console.feedback import report_refusal
from groups.models import Group

MAX_REDIRECT_LENGTH = 8000


@login_required
@require_GET
def batch_template(request):
    response = HttpResponse("\ufeff" + template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accounts-template.csv"'
    return response


@login_required
@require_GET
def batch_export(request, group_id: int):
    """The group's accounts as CSV; with `q`, only those matching that search (the list's search box)."""
    group = get_visible_or_404(Group.objects, request.user, pk=group_id)
    accounts = Account.objects.filter(group=group)
    query_text = request.GET.get("q", "").strip()
    if query_text:
        outcome = search_within(accounts, query_text, user=request.user, group_ids=[group.pk])
        if outcome.error:
            return _export_refused(request, outcome, reverse("accounts:account_list", args=[group.pk]), query_text)
        accounts = outcome.accounts
    return export_response(accounts, f"accounts-{group.name}" + ("-search" if query_text else ""))


@login_required
@require_GET
def batch_export_search(request):
    """The accounts matching a search over every group the operator may see (the top bar's search)."""
    query_text = request.GET.get("q", "").strip()
    accounts = Account.objects.visible_to(request.user)
    if query_text:
        outcome = search_within(accounts, query_text, user=request.user)
        if outcome.error:
            return _export_refused(request, outcome, reverse("accounts:account_search"), query_text)
        accounts = outcome.accounts
    return export_response(accounts, "accounts-search")


def _export_refused(request, outcome: SearchOutcome, list_url: str, query_text: str):
    """Back to the list the export was asked from, saying why nothing was exported. The query goes
    along to be shown again unless the address would be too long for a request line (nginx
    accepts 8 KB by default); the message names the problem then."""
    messages.error(request, gettext("Nothing exported: %(refusal)s.") % {"refusal": outcome.refusal})
    location = f"{list_url}?{urlencode({'q': query_text})}"
    return redirect(location if len(location) <= MAX_REDIRECT_LENGTH else list_url)


@writer_required
@require_http_methods(["GET", "POST"])
def batch_upload(request, group_id: int):
    group = get_visible_or_404(Group.objects, request.user, pk=group_id)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        options = ImportOptions(
            send_installation_sms=form.cleaned_data["send_installation_sms"],
            send_activation_sms=form.cleaned_data["send_activation_sms"],
        )
        try:
            job = job_create(operator=request.user, group=group, upload=form.cleaned_data["file"], options=options)
        except ServiceError as error:
            report_refusal(request, error, form, field="file")
        else:
            return redirect("accounts:batch_job", job.pk)
    return render(request, "accounts/batch_upload.html", {
        "group": group, "form": form, "columns": COLUMNS, "choices": {c: [v for v, _ in ch] for c, ch in CHOICE_COLUMNS.items()},
    })


@writer_required
@require_GET
def batch_job(request, job_id: int):
    job = get_visible_or_404(ImportJob.objects.select_related("group"), request.user, pk=job_id)
    report = ImportReport.from_json(job.report)
    refused = job.state in (ImportJob.State.REFUSED, ImportJob.State.FAILED)
    offer_upload = refused or (job.state == ImportJob.State.PREVIEWED and not report.ok)
    return render(request, "accounts/batch_job.html", {
        "job": job, "group": job.group, "report": report, "progress": job_progress(job), "offer_upload": offer_upload,
        "upload_form": ImportUploadForm(initial={"send_installation_sms": job.send_installation_sms,
                                                 "send_activation_sms": job.send_activation_sms}),
    })


@writer_required
@require_POST
def batch_commit(request, job_id: int):
    job = get_visible_or_404(ImportJob.objects.select_related("group"), request.user, pk=job_id)
    try:
        job = job_commit(job=job)
    except ServiceError as error:
        report_refusal(request, error)
        return redirect("accounts:batch_job", job.pk)
    if job.state == ImportJob.State.DONE:
        report = ImportReport.from_json(job.report)
        messages.success(request, ngettext("%(count)d account imported into %(group)s.", "%(count)d accounts imported into %(group)s.",
                                           report.imported) % {"count": report.imported, "group": job.group.name})
        return redirect("accounts:account_list", job.group_id)
    return redirect("accounts:batch_job", job.pk)


@writer_required
@require_GET
def batch_progress(request, job_id: int):
    job = get_visible_or_404(ImportJob.objects, request.user, pk=job_id)
    return JsonResponse(job_progress(job), headers={"Cache-Control": "no-store"})
