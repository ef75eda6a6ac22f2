"""The console's pages for API tokens (an operator's own; every token for Administrators) and
the API's documentation page, inside the console's layout."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from console.access import administrator_required
from console.api.forms import ApiTokenForm
from console.api.models import ApiToken
from console.api.services import api_token_create, api_token_revoke
from console.audit import Actor
from console.confirm import confirmation_page
from console.errors import ServiceError
from console.feedback import report_refusal
from console.listing import paginate

REVOKE_CONSEQUENCE = _("Every request that sends this token is refused from now on. This cannot be undone: create a new token instead.")


@login_required
@require_http_methods(["GET", "POST"])
def api_token_list(request):
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_create(
                actor=Actor.of(request.user), operator=request.user, name=form.cleaned_data["name"],
                read_only=form.cleaned_data["read_only"], expires_at=form.expires_at(),
                allowed_networks=form.cleaned_data["allowed_networks"],
            )
        except ServiceError as error:
            report_refusal(request, error, form)
        else:
            request.session["new_api_token"] = {"id": issued.token.pk, "text": issued.text}
            messages.success(request, gettext("API token “%(name)s” created. Copy it now: it is shown only once.") % {"name": issued.token.name})
            return redirect("api_token_list")
    new_token = request.session.pop("new_api_token", None)
    tokens = ApiToken.objects.of(request.user)
    return render(request, "console/api_token_list.html", {
        "form": form, "page": paginate(request, tokens), "new_token": new_token, "revoke_consequence": REVOKE_CONSEQUENCE,
    })


@administrator_required
def api_token_admin_list(request):
    tokens = ApiToken.objects.select_related("operator", "revoked_by")
    return render(request, "console/api_token_admin_list.html", {"page": paginate(request, tokens), "revoke_consequence": REVOKE_CONSEQUENCE})


@login_required
@require_http_methods(["GET", "POST"])
def api_token_revoke_view(request, token_id: int):
    tokens = ApiToken.objects.all() if request.user.is_administrator else ApiToken.objects.of(request.user)
    token = get_object_or_404(tokens, pk=token_id)
    back = "api_token_admin_list" if request.GET.get("next") == "all" else "api_token_list"
    if request.method == "GET":
        return confirmation_page(
            request, title=gettext("Revoke API token “%(name)s”") % {"name": token.name}, body=REVOKE_CONSEQUENCE, confirm=gettext("Revoke token"),
            action_url=request.get_full_path(), cancel_url=reverse(back), danger=True,
        )
    try:
        api_token_revoke(actor=Actor.of(request.user), token_id=token.pk)
    except ServiceError as error:
        report_refusal(request, error)
    else:
        messages.warning(request, gettext("API token “%(name)s” revoked: it no longer works.") % {"name": token.name})
    return redirect(back)


@login_required
def api_docs(request):
    return render(request, "console/api_docs.html")
