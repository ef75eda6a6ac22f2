"""Reading API requests into the pages' own forms (so a value is refused with the message the page
gives), and the ETag / If-Match preconditions of updates."""
from django import forms
from django.utils.translation import gettext
from rest_framework import exceptions

from console.api.problems import PreconditionFailed, PreconditionRequired

# The API's name for a form field, where the page's differs (its two password boxes are one here).
API_NAMES = {"password1": "password", "password2": "password", "__all__": None}


def _as_form_value(name: str, value, list_fields: frozenset[str]):
    if value is None:
        return ""
    if name in list_fields and isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "\n".join(value)
    if isinstance(value, (str, int, float, bool)):
        return value
    if name in list_fields:
        raise exceptions.ValidationError({name: [gettext("This field takes a list of texts.")]})
    raise exceptions.ValidationError({name: [gettext("This field takes a text, number or boolean.")]})


def form_data(body, *, accepted: set[str], defaults: dict | None = None, list_fields: frozenset[str] = frozenset()) -> dict:
    """The JSON object `body` as the data of a form with the fields `accepted`, on top of `defaults`
    (what the page's form would submit untouched). Unknown fields and nested values are refused."""
    if not isinstance(body, dict):
        raise exceptions.ValidationError({"non_field_errors": [gettext("The request body must be a JSON object.")]})
    unknown = sorted(set(body) - accepted)
    if unknown:
        raise exceptions.ValidationError({name: [gettext("Unknown field. The fields are: %(items)s.") % {"items": ', '.join(sorted(accepted))}] for name in unknown})
    data = dict(defaults or {})
    for name, value in body.items():
        data[name] = _as_form_value(name, value, list_fields)
    if "password" in body:
        data["password1"] = data["password2"] = data.pop("password")
    return data


def form_initial_data(form_class: type[forms.Form]) -> dict:
    """What an untouched page form submits: each field's initial value."""
    return {name: field.initial for name, field in form_class.base_fields.items() if field.initial is not None}


def require_valid(form: forms.Form) -> forms.Form:
    """The form, or a 400 listing each message against the API's name of its field."""
    if not form.is_valid():
        errors: dict[str, list[str]] = {}
        for name, messages in form.errors.items():
            key = API_NAMES.get(name, name) or "non_field_errors"
            errors.setdefault(key, []).extend(messages)
        raise exceptions.ValidationError(errors)
    return form


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request, current_version: int) -> int:
    """The version the client edited, from If-Match: 428 without it, 412 when it is not current."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    if "*" in tags:
        return current_version
    if str(current_version) not in tags:
        raise PreconditionFailed(gettext("It was changed by someone else since you read it. Nothing was saved: read it again "
                                 "(GET, for its current values and ETag), then make your change again."))
    return current_version
