"""The OpenAPI document's shared parts: every operation's error answers as problem+json."""
from http import HTTPStatus

from console.api.pagination import MAX_PAGE_SIZE

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error (RFC 9457).",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}
COMMON_ERRORS = (400, 401, 403, 404, 405, 406, 415, 429)
WRITE_ERRORS = (409, 412, 422, 428)
PARAMETER_BOUNDS = {
    "page_size": {"minimum": 1, "maximum": MAX_PAGE_SIZE},
    "page": {"minimum": 1},
}


def add_problem_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the Problem schema and the errors of every operation,
    and the bounds of the paging parameters."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                parameter["schema"].update(PARAMETER_BOUNDS.get(parameter["name"], {}) if parameter["in"] == "query" else {})
            codes = COMMON_ERRORS + (WRITE_ERRORS if method != "get" else ()) + (503,)
            for code in codes:
                operation["responses"].setdefault(str(code), {
                    "description": HTTPStatus(code).phrase,
                    "content": {"application/problem+json": {"schema": reference}},
                })
    return result
