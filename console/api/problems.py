"""Every error of the API as `application/problem+json` (RFC 9457): DRF's own (401, 403, 404,
405, 406, 415, 429, validation), the services' refusals with the message the page shows, and the
field each message is about."""
import logging
from http import HTTPStatus

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from console.errors import NotAllowedError, ServiceError, StaleEditError

PROBLEM_TYPE = "application/problem+json"
logger = logging.getLogger(__name__)


class ProblemJSONRenderer(JSONRenderer):
    """Lets a client ask for `Accept: application/problem+json` (errors come in it whatever the Accept)."""

    media_type = PROBLEM_TYPE


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The account was changed since you read it.")


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag of the account as you read it: updates without it are refused.")


class UnprocessableRequest(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("The request cannot be processed.")


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Try again in a minute.")


def field_errors(detail, field: str | None = None) -> list[dict]:
    """DRF's error detail (a dict by field, a list, or one message) as [{field, message}]."""
    if isinstance(detail, dict):
        return [error for key, value in detail.items() for error in field_errors(value, None if key == "non_field_errors" else key)]
    if isinstance(detail, list):
        return [error for item in detail for error in field_errors(item, field)]
    return [{"field": field, "message": str(detail)}]


# The title of each status the API answers with, in the request's language (RFC 9457 lets a title be
# localised); a status not listed keeps its standard English phrase.
TITLES = {
    400: pgettext_lazy("HTTP status", "Bad Request"),
    401: pgettext_lazy("HTTP status", "Unauthorized"),
    403: pgettext_lazy("HTTP status", "Forbidden"),
    404: pgettext_lazy("HTTP status", "Not Found"),
    405: pgettext_lazy("HTTP status", "Method Not Allowed"),
    406: pgettext_lazy("HTTP status", "Not Acceptable"),
    409: pgettext_lazy("HTTP status", "Conflict"),
    412: pgettext_lazy("HTTP status", "Precondition Failed"),
    413: pgettext_lazy("HTTP status", "Request Entity Too Large"),
    415: pgettext_lazy("HTTP status", "Unsupported Media Type"),
    422: pgettext_lazy("HTTP status", "Unprocessable Entity"),
    428: pgettext_lazy("HTTP status", "Precondition Required"),
    429: pgettext_lazy("HTTP status", "Too Many Requests"),
    500: pgettext_lazy("HTTP status", "Internal Server Error"),
    503: pgettext_lazy("HTTP status", "Service Unavailable"),
}


def problem_title(status_code: int) -> str:
    return str(TITLES.get(status_code, HTTPStatus(status_code).phrase))


def problem(status_code: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": problem_title(status_code), "status": status_code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_TYPE)


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, StaleEditError):
        return PreconditionFailed(exc.message)
    if isinstance(exc, NotAllowedError):
        return exceptions.APIException(exc.message, code="conflict")
    if isinstance(exc, ServiceError):
        return exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]})
    if isinstance(exc, ObjectDoesNotExist):
        return Http404()
    return exc


def problem_exception_handler(exc: Exception, context: dict) -> Response:
    exc = _as_api_exception(exc)
    conflict = isinstance(exc, exceptions.APIException) and exc.get_codes() == "conflict"
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("API request failed", exc_info=exc)
        return problem(500, gettext("The server could not answer this request; the error is logged."))
    status_code = status.HTTP_409_CONFLICT if conflict else response.status_code
    headers = {name: value for name, value in response.items() if name in ("WWW-Authenticate", "Retry-After", "Allow")}
    errors = field_errors(response.data)
    if isinstance(response.data, dict) and set(response.data) == {"detail"}:
        return problem(status_code, str(response.data["detail"]), headers=headers)
    detail = " ".join(error["message"] for error in errors) if errors else gettext("The request is not valid.")
    return problem(status_code, detail, errors, headers)
