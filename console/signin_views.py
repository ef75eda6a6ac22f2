"""Signing in: the password and code steps, the operator's own two-factor page, and the
Administrators' sign-in pages (second-factor reset, the two-factor policy, login throttles)."""
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from console.access import administrator_required
from console.audit import Actor
from console.confirm import confirmation_page
from console.errors import ServiceError
from console.feedback import report_refusal
from console.forms import CodeForm, EnrolCodeForm, LoginForm, SignInPolicyForm
from console.listing import paginate
from console.models import Operator
from console.services import (
    login_throttle_clear,
    sign_in_policy_update,
    two_factor_enrol,
    two_factor_reset,
)
from console.signin import (
    MUST_ENROL_KEY,
    SignIn,
    Step,
    pending_operator,
    sign_in_with_code,
    sign_in_with_password,
)
from console.throttle import login_throttles_active
from console.twofactor import Enrolment

RECOVERY_CODES_KEY = "recovery_codes"


def safe_next(request) -> str:
    """The `next` address of the request when it stays on this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _sign_in_page(request, template: str, form, result: SignIn | None):
    """The login or code page again, saying why; 429 with Retry-After when throttled."""
    response = render(request, template, {"form": form, "next": safe_next(request)},
                      status=429 if result and result.retry_after else 200)
    if result and result.retry_after:
        response["Retry-After"] = str(result.retry_after)
    return response


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request):
    form, result = LoginForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        result = sign_in_with_password(request=request, username=form.cleaned_data["username"],
                                       password=form.cleaned_data["password"])
        if result.step is Step.LOGGED_IN:
            return redirect(safe_next(request) or settings.LOGIN_REDIRECT_URL)
        if result.step is Step.CODE_NEEDED:
            next_url = safe_next(request)
            return redirect(reverse("login_code") + (f"?{urlencode({'next': next_url})}" if next_url else ""))
        form.add_error(None, result.message)
    return _sign_in_page(request, "console/login.html", form, result)


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_code(request):
    if pending_operator(request) is None:
        return redirect("login")
    form, result = CodeForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        result = sign_in_with_code(request=request, code=form.cleaned_data["code"])
        if result.step is Step.LOGGED_IN:
            if result.message:
                messages.warning(request, result.message)
            return redirect(safe_next(request) or settings.LOGIN_REDIRECT_URL)
        if result.step is Step.START_AGAIN:
            messages.warning(request, result.message)
            return redirect("login")
        form.add_error(None, result.message)
    return _sign_in_page(request, "console/login_code.html", form, result)


@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    enrolment = Enrolment.of(request)
    form = EnrolCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor_enrol(actor=Actor.of(request.user), operator_id=request.user.pk,
                                     key=enrolment.key, code=form.cleaned_data["code"])
        except ServiceError as error:
            report_refusal(request, error, form, field="code")
        else:
            enrolment.finish(request)
            request.session.pop(MUST_ENROL_KEY, None)
            request.session[RECOVERY_CODES_KEY] = codes
            messages.success(request, gettext("Two-factor sign-in is on: from now on you log in with a code from your app."))
            return redirect("two_factor_recovery_codes")
    return render(request, "console/two_factor.html", {
        "form": form, "enrolment": enrolment, "enrolled": enrolment.enrolled, "required": MUST_ENROL_KEY in request.session,
    })


@login_required
def two_factor_recovery_codes(request):
    """The recovery codes of the enrolment just made, shown this once."""
    return render(request, "console/two_factor_recovery_codes.html", {"codes": request.session.pop(RECOVERY_CODES_KEY, None)})


@administrator_required
@require_http_methods(["GET", "POST"])
def operator_reset_two_factor(request, operator_id: int):
    operator = get_object_or_404(Operator, pk=operator_id)
    if request.method == "GET":
        return confirmation_page(
            request, title=gettext("Reset the second factor of %(username)s") % {"username": operator.username},
            body=gettext("Their authenticator app and recovery codes stop working; they log in with their password and "
                 "enrol again (at once, when two-factor sign-in is required)."),
            action_url=reverse("operator_reset_two_factor", args=[operator.pk]), confirm=gettext("Reset second factor"),
            cancel_url=reverse("operator_list"), danger=True,
        )
    try:
        two_factor_reset(actor=Actor.of(request.user), operator_id=operator.pk)
    except ServiceError as error:
        report_refusal(request, error)
    else:
        messages.success(request, gettext("The second factor of %(username)s was reset.") % {"username": operator.username})
    return redirect("operator_list")


@administrator_required
@require_POST
def sign_in_policy(request):
    form = SignInPolicyForm(request.POST)
    form.is_valid()  # a single optional checkbox: always valid
    required = form.cleaned_data["require_two_factor"]
    sign_in_policy_update(actor=Actor.of(request.user), require_two_factor=required)
    messages.success(request, gettext("Two-factor sign-in is now required for every operator: those without it enrol at their next login.")
                     if required else gettext("Two-factor sign-in is now optional."))
    return redirect("operator_list")


@administrator_required
def login_throttle_list(request):
    page = paginate(request, login_throttles_active())
    return render(request, "console/login_throttle_list.html", {"page": page, "now": timezone.now()})


@administrator_required
@require_http_methods(["GET", "POST"])
def login_throttle_clear_view(request, throttle_id: int):
    throttle = get_object_or_404(login_throttles_active(), pk=throttle_id)
    if request.method == "GET":
        return confirmation_page(
            request, title=gettext("Clear the throttle of %(throttle)s") % {"throttle": throttle}, body=gettext("Its failures are forgotten: the next attempt is checked at once."),
            action_url=reverse("login_throttle_clear", args=[throttle.pk]), confirm=gettext("Clear"), cancel_url=reverse("login_throttle_list"),
        )
    login_throttle_clear(actor=Actor.of(request.user), throttle_id=throttle.pk)
    messages.success(request, gettext("The throttle of %(throttle)s was cleared.") % {"throttle": throttle})
    return redirect("login_throttle_list")
