"""Reading a client's JSON body (console/json_body.py): however deep, large or malformed, the body
is refused in the reader's own way (NotAJsonObject, or DRF's ParseError for the operator API),
never with a RecursionError that would become a server error."""
import io

import pytest
from django.test import RequestFactory
from hypothesis import given
from rest_framework.exceptions import ParseError

from console.json_body import JSONParser, NotAJsonObject, request_json_object
from tests.hostile_input import PROPERTY_SETTINGS, hostile_json_bodies, nested_json


@PROPERTY_SETTINGS
@given(body=hostile_json_bodies)
def test_a_hostile_body_is_an_object_or_not_a_json_object(body):
    request = RequestFactory().post("/client/v1/installed", body, content_type="application/json")
    try:
        document = request_json_object(request)
    except NotAJsonObject:
        return
    assert isinstance(document, dict)


@PROPERTY_SETTINGS
@given(body=nested_json())
def test_the_api_parser_refuses_any_nesting_as_a_parse_error(body):
    try:
        JSONParser().parse(io.BytesIO(body), parser_context={"encoding": "utf-8"})
    except ParseError as error:
        assert error.status_code == 400


def test_the_api_parser_refuses_what_drfs_own_lets_through():
    from rest_framework.parsers import JSONParser as DrfJSONParser

    body = b"[" * 100_000
    with pytest.raises(RecursionError):
        DrfJSONParser().parse(io.BytesIO(body), parser_context={"encoding": "utf-8"})
    with pytest.raises(ParseError):
        JSONParser().parse(io.BytesIO(body), parser_context={"encoding": "utf-8"})
    assert JSONParser().parse(io.BytesIO(b'{"q": [1, {"a": null}]}'), parser_context={"encoding": "utf-8"}) == {"q": [1, {"a": None}]}
