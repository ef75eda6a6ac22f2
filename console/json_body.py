"""Reading the JSON object a client posts to a public endpoint (the client web service, the SMS
gateway's delivery reports): whatever the body holds, the caller gets an object or one refusal."""
import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class NotAJsonObject(ValueError):
    """The body is not a JSON object: not JSON, not UTF-8, another JSON value, larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE, or nested deeper than Python's parser goes (it raises
    RecursionError there, which is no client's right to turn into a server error)."""


def request_json_object(request: HttpRequest) -> dict:
    """The JSON object of `request`'s body; NotAJsonObject for anything else, an empty body too."""
    try:
        document = json.loads(request.body)
    except (ValueError, RecursionError, RequestDataTooBig):  # UnicodeDecodeError is a ValueError
        raise NotAJsonObject() from None
    if not isinstance(document, dict):
        raise NotAJsonObject()
    return document


class JSONParser(parsers.JSONParser):
    """Django REST framework's JSON parser, refusing a body nested deeper than Python's parser
    goes as it refuses any malformed JSON (400), where DRF's own lets the RecursionError through
    (a server error). The operator API's parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"])."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
