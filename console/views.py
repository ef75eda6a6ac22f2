"""Login, password and the Administrator pages of the console itself."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from console.access import administrator_required
from console.audit import Actor
from console.confirm import confirmation_page
from console.errors import ServiceError
from console.feedback import report_refusal, report_secret, report_update
from console.forms import (
    AuditFilterForm,
    OperatorForm,
    PasswordChangeForm,
    ServiceSettingsForm,
    SignInPolicyForm,
)
from console.listing import paginate
from console.models import AuditEntry, LoginAttempt, Operator, ServiceSettings
from console.service_checks import service_checks
from console.services import (
    generate_one_time_password,
    operator_create,
    operator_note_login,
    operator_set_language,
    operator_set_password,
    operator_update,
    service_settings_update,
)
from console.sessions import record_login_attempt
from console.signin_views import safe_next


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        record_login_attempt(request, request.user.get_username(), request.user, LoginAttempt.Outcome.LOGOUT)
    logout(request)
    messages.info(request, gettext("You are logged out."))
    return redirect("login")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        operator = operator_set_password(
            actor=Actor.of(request.user), operator_id=request.user.pk,
            password=form.cleaned_data["new_password1"], must_change=False,
        )
        update_session_auth_hash(request, operator)
        # update_session_auth_hash gave the session a new key: remember it as the operator's
        # live session, or the single-session rule would end it at the next request.
        operator_note_login(operator=operator, session_key=request.session.session_key)
        messages.success(request, gettext("Your password was changed."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "console/password_change.html", {"form": form})


@login_required
@require_POST
def language_set(request):
    """The user menu's language choice: saved with the operator, then the page it was made on."""
    try:
        operator = operator_set_language(actor=Actor.of(request.user), language=request.POST.get("language", ""))
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        translation.activate(operator.language or translation.get_language_from_request(request))
        messages.success(request, gettext("Language saved."))
    return redirect(safe_next(request) or "home")


@administrator_required
def operator_list(request):
    page = paginate(request, Operator.objects.with_groups().with_two_factor().order_by("username"))
    policy = SignInPolicyForm(initial={"require_two_factor": ServiceSettings.load().require_two_factor})
    return render(request, "console/operator_list.html", {"page": page, "policy_form": policy})


@administrator_required
@require_http_methods(["GET", "POST"])
def operator_create_view(request):
    form = OperatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = generate_one_time_password()
        try:
            operator = operator_create(
                actor=Actor.of(request.user), username=data["username"], role=data["role"], password=password,
                groups=data["account_groups"], email=data["email"], first_name=data["first_name"], last_name=data["last_name"],
                language=data["language"],
            )
        except ServiceError as error:
            report_refusal(request, error, form, field="username")
        else:
            report_secret(request, gettext("Operator %(username)s created. One-time password (shown once):") % {"username": operator.username}, password)
            return redirect("operator_list")
    return render(request, "console/operator_form.html", {"form": form, "creating": True})


@administrator_required
@require_http_methods(["GET", "POST"])
def operator_edit(request, operator_id: int):
    operator = get_object_or_404(Operator, pk=operator_id)
    initial = {field: getattr(operator, field) for field in ("username", "first_name", "last_name", "email", "role", "is_active", "language", "version")}
    initial["account_groups"] = list(operator.account_groups.all())
    form = OperatorForm(request.POST or None, initial=initial)
    form.fields["username"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A post without the form's version (a script, an older page) is checked against the version just read.
        expected_version = data["version"] or operator.version
        try:
            saved = operator_update(
                actor=Actor.of(request.user), operator_id=operator.pk, expected_version=expected_version, groups=data["account_groups"],
                role=data["role"], email=data["email"], first_name=data["first_name"], last_name=data["last_name"], is_active=data["is_active"],
                language=data["language"],
            )
        except ServiceError as error:
            report_refusal(request, error, form)
        else:
            report_update(request, saved=saved, expected_version=expected_version, subject=gettext("Operator %(username)s") % {"username": operator.username})
            return redirect("operator_list")
    return render(request, "console/operator_form.html", {"form": form, "operator": operator})


@administrator_required
@require_http_methods(["GET", "POST"])
def operator_reset_password(request, operator_id: int):
    operator = get_object_or_404(Operator, pk=operator_id)
    if request.method == "GET":
        return confirmation_page(
            request, title=gettext("Reset the password of %(username)s") % {"username": operator.username},
            body=gettext("A new one-time password will be shown once; the operator must change it at next login."),
            action_url=reverse("operator_reset_password", args=[operator.pk]), confirm=gettext("Reset password"),
            cancel_url=reverse("operator_list"),
        )
    password = generate_one_time_password()
    operator_set_password(actor=Actor.of(request.user), operator_id=operator.pk, password=password, must_change=True)
    report_secret(request, gettext("New one-time password for %(username)s (shown once):") % {"username": operator.username}, password)
    return redirect("operator_list")


@administrator_required
def audit_list(request):
    filters = AuditFilterForm(request.GET)
    page = paginate(request, filters.filtered(AuditEntry.objects.select_related("actor")))
    return render(request, "console/audit_list.html", {"page": page, "filters": filters})


@administrator_required
def session_log(request):
    attempts = LoginAttempt.objects.all()
    outcome = request.GET.get("outcome", "")
    if outcome in LoginAttempt.Outcome.values:
        attempts = attempts.filter(outcome=outcome)
    page = paginate(request, attempts)
    return render(request, "console/session_log.html", {"page": page, "outcome": outcome, "outcomes": LoginAttempt.Outcome.choices})


@administrator_required
@require_http_methods(["GET", "POST"])
def services(request):
    row = ServiceSettings.load()
    form = ServiceSettingsForm(request.POST or None, instance=row, initial={"version": row.version})
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.Meta.fields}
        if not changes["sms_password"]:
            changes.pop("sms_password")
        try:
            saved = service_settings_update(actor=Actor.of(request.user), expected_version=form.cleaned_data["version"], **changes)
        except ServiceError as error:
            report_refusal(request, error)
        else:
            report_update(request, saved=saved, expected_version=form.cleaned_data["version"], subject=gettext("Services settings"))
        return redirect("services")
    # A rejected form has written its typed values onto `row`: the checks describe what is saved.
    return render(request, "console/services.html", {"form": form, "checks": service_checks(ServiceSettings.load())})

