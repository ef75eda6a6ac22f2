"""The customer's mobile pages and the client web service endpoints of activation (W1-W3), and
the delivery-report callback of the SMS gateway. None requires an operator login.

Token pages are never cached and send `Referrer-Policy: same-origin`: the token does not leave
in a Referer header, while the Activate form still passes Django's CSRF origin check.
"""
import re
from functools import wraps

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from activation import customer
from activation.config_file import MEDIA_TYPE, configuration_filename, configuration_xml
from activation.customer import LinkState
from activation.models import OneTimeLink
from activation.services import profile_for, sms_record_delivery
from activation.sms.config import public_base_url
from activation.tokens import dlr_signature_valid
from console.json_body import NotAJsonObject, request_json_object

# User agents of link previewers and scanners: they fetch what a message links to.
PREVIEW_AGENT = re.compile(
    r"bot/|crawler|spider|preview|facebookexternalhit|whatsapp|telegrambot|slackbot|discordbot|skypeuri|"
    r"linkedinbot|twitterbot|applebot|googlebot|bingbot|embedly|iframely|pinterest|vkshare|viber|outlook|"
    r"microsoft office|curl/|wget/|python-requests",
    re.IGNORECASE,
)
KANNEL_DLR = {"1": True, "2": False, "16": False, "4": None, "8": None}


def is_link_preview(request) -> bool:
    return bool(PREVIEW_AGENT.search(request.headers.get("User-Agent", "")))


def detect_platform(request) -> str:
    agent = request.headers.get("User-Agent", "")
    if re.search(r"iPhone|iPad|iPod", agent):
        return "ios"
    if "Android" in agent:
        return "android"
    return "other"


def token_page(view):
    """Never cached, no token in Referer headers, and no 4xx log line naming the token's URL."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "same-origin"
        response._has_been_logged = True
        return response

    return wrapper


def _refused(request, state: LinkState, purpose: str) -> HttpResponse:
    status = 404 if state is LinkState.UNKNOWN else 410
    return render(request, "activation/link_refused.html", {"state": state.value, "purpose": purpose}, status=status)


@token_page
@require_safe
def installation_page(request, token: str):
    state, link = customer.link_lookup(token, OneTimeLink.Purpose.INSTALLATION)
    if state is not LinkState.VALID:
        return _refused(request, state, "installation")
    return _installation_page(request, token, detect_platform(request), profile_for(link.account))


PLATFORMS = {"ios": "iPhone", "android": "Android"}  # product names: the same in every language


def _installation_page(request, token: str, platform: str, profile, status: int = 200) -> HttpResponse:
    """The installation page: a download button for this phone's platform (for both on other
    devices), only where the profile has that platform's address, and the other platform's as
    a link for a phone that was taken for what it is not."""
    urls = {"ios": profile.ios_download_url, "android": profile.android_download_url} if profile else {}
    choices = [{"platform": key, "label": label} for key, label in PLATFORMS.items() if urls.get(key)]
    offered = [choice for choice in choices if platform in ("other", choice["platform"])]
    others = [choice for choice in choices if platform not in ("other", choice["platform"])]
    return render(request, "activation/installation_page.html", {
        "token": token, "platform": platform, "profile": profile, "offered": offered,
        "other_choice": others[0] if others else None,
    }, status=status)


@token_page
@require_safe
def installation_download(request, token: str):
    state, link = customer.link_lookup(token, OneTimeLink.Purpose.INSTALLATION)
    if state is not LinkState.VALID:
        return _refused(request, state, "installation")
    platform = request.GET.get("platform") or detect_platform(request)
    profile = profile_for(link.account)
    url = {"ios": profile.ios_download_url, "android": profile.android_download_url}.get(platform, "") if profile else ""
    if not url:
        return _installation_page(request, token, platform, profile, status=404)
    if request.method == "GET" and not is_link_preview(request):
        customer.installation_record_click(link=link, platform=platform)
    return HttpResponseRedirect(url)


@token_page
@require_POST
def link_opened(request, token: str, purpose: str):
    """The page's script reports that a phone's browser showed it (a bare GET records nothing)."""
    if not is_link_preview(request):
        customer.link_record_opened(token=token, purpose=purpose)
    return HttpResponse(status=204)


@token_page
@require_http_methods(["GET", "HEAD", "POST"])
def activation_page(request, token: str):
    if request.method != "POST":
        state, link = customer.link_lookup(token, OneTimeLink.Purpose.ACTIVATION)
        if state is not LinkState.VALID:
            return _refused(request, state, "activation")
        return render(request, "activation/activation_page.html", {
            "token": token, "account": link.account, "profile": profile_for(link.account),
        })
    result = customer.activation_activate(token=token)
    if isinstance(result, LinkState):
        return _refused(request, result, "activation")
    response = HttpResponse(configuration_xml(result, public_base_url()), content_type=MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{configuration_filename(result.account)}"'
    return response


@csrf_exempt
@token_page
@require_POST
def installation_report(request):
    """W2: `{"token": "<installation token>"}` -> 204 recorded, 404 unknown token, 410 used or expired."""
    try:
        token = request_json_object(request).get("token")
    except NotAJsonObject:
        token = None
    if not isinstance(token, str) or not token:
        return JsonResponse({"error": 'Send JSON {"token": "<installation token>"}.'}, status=400)
    state = customer.installation_report(token=token)
    if state is LinkState.VALID:
        return HttpResponse(status=204)
    if state is LinkState.UNKNOWN:
        return JsonResponse({"error": "Unknown token."}, status=404)
    return JsonResponse({"error": f"This installation token is {state.value}."}, status=410)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sms_status(request, sms_id: int, signature: str):
    """Delivery reports: Kannel's `dlr-url` (GET `?type=N`) or the generic gateway (POST JSON `status`)."""
    if not dlr_signature_valid(sms_id, signature):
        return HttpResponse("Unknown SMS.", status=404, content_type="text/plain")
    if request.method == "GET":
        kind = request.GET.get("type", "")
        if kind not in KANNEL_DLR:
            return HttpResponse("Unknown report type.", status=400, content_type="text/plain")
        delivered, detail = KANNEL_DLR[kind], f"Kannel report type {kind}"
    else:
        try:
            status = request_json_object(request).get("status")
        except NotAJsonObject:
            status = None
        if status not in ("delivered", "failed", "accepted"):
            return HttpResponse('Send JSON {"status": "delivered" | "failed"}.', status=400, content_type="text/plain")
        delivered, detail = {"delivered": True, "failed": False, "accepted": None}[status], f"gateway status {status}"
    if sms_record_delivery(sms_id=sms_id, delivered=delivered, detail=detail) is None:
        return HttpResponse("Unknown SMS.", status=404, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
