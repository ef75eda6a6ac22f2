"""The licensing part of the client web service (W4, W5, W6): no operator login, JSON answers."""
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from console.sessions import client_ip
from licensing import clientapi, signing
from licensing.lookup import count_and_load, count_failure
from licensing.openapi import openapi_document
from licensing.services import licence_check

SERVICE_NAME = "sip-operator-console"


def _json(document: dict, status: int = 200, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse(document, status=status, headers={"Cache-Control": "no-store", **(headers or {})})


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JsonResponse:
    return _json({"error": code, "message": message}, status, headers)


def _unauthorized() -> JsonResponse:
    return _error(
        401, "unauthorized", gettext("Wrong username or password."),
        {"WWW-Authenticate": 'Basic realm="licence", charset="UTF-8"'},
    )


@csrf_exempt
@require_POST
def licence_validate(request: HttpRequest) -> HttpResponse:
    """POST /client/v1/licence: the signed licence answer for the calling device (L2)."""
    # META, not request.headers: that would build a dictionary of every header for this one.
    credentials = clientapi.basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if credentials is None:
        return _unauthorized()
    username, password = credentials
    address = client_ip(request)
    decision, account = count_and_load(username=username, password=password, address=address)
    if not decision.allowed:
        return _error(
            429, "too_many_requests", gettext("Too many licence requests: try again later."), {"Retry-After": str(decision.retry_after)}
        )
    account = clientapi.authenticate(account, username, password)
    if account is None:
        count_failure(username=username, address=address)
        return _unauthorized()
    try:
        body = clientapi.parse_body(request)
    except clientapi.BadRequest as error:
        return _error(400, "bad_request", str(error))
    result = licence_check(account=account, device_id=body.device_id)
    answer = clientapi.signed_answer(account=account, request=body, result=result)
    return HttpResponse(answer, content_type="application/json", headers={"Cache-Control": "no-store"})


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    """GET /client/v1/openapi.json: the OpenAPI 3 description of the client endpoints (W5)."""
    response = JsonResponse(openapi_document(), json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """GET /healthz: 200 when the database answers, 503 otherwise (W6). `instance` names this
    installation (the signing key's id) so the Services page can tell it from another server."""
    document = {"service": SERVICE_NAME, "instance": signing.key_id()}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return _json({**document, "status": "unavailable", "database": "unavailable"}, 503)
    return _json({**document, "status": "ok", "database": "ok"})
