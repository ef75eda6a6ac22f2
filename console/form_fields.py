"""Form fields whose widgets show a stored value in the form the browser sends back unchanged
(STYLE: a form round-trips), so saving a form untouched never changes what is stored."""
from functools import cache

from django import forms
from django.forms.utils import pretty_name
from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """`<input type="date">`. The browser displays it in the operator's own format but reads its
    value and sends it only as YYYY-MM-DD: a value rendered in the page's locale format
    (08/11/2026) would be shown empty and submitted empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)


class MultilineTextField(forms.CharField):
    """Text typed in a textarea, stored with line feeds: browsers submit every line break as
    CR LF, which would otherwise rewrite a stored text at each save."""

    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value) -> str:
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")


def _label_in_sentence(label: str) -> str:
    """"Virtual phone number" reads "virtual phone number" inside a sentence; "SIP server port"
    keeps its capitals, a second one showing an acronym."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


class SpecificErrors:
    """Form mixin: Django's generic field messages ("This field is required.", "Enter a valid
    URL.") become ones that name the field and say what to type; messages a form sets itself stay.

    The messages are given once to the fields the form class declares, as texts translated when
    they are shown: each form built copies them with its fields (Django copies the declared fields
    for every form) instead of working them out again field by field, on every page and API
    request that builds one."""

    def __init__(self, *args, **kwargs):
        _give_specific_messages(type(self))
        super().__init__(*args, **kwargs)

    def full_clean(self):
        super().full_clean()
        # A message given to a declared field is translated when shown: the errors keep the
        # language of their validation, whenever they are shown.
        for errors in (self._errors or {}).values():
            for error in errors.as_data():
                if isinstance(error.message, Promise):
                    error.message = str(error.message)


@cache
def _give_specific_messages(form_class: type) -> None:
    """Where a field `form_class` declares has Django's generic message for a code, give it the
    specific one for its type and label, in the language active when it is shown (once a class)."""
    for name, field in form_class.base_fields.items():
        # The label a bound field shows, without building one.
        label = pretty_name(name) if field.label is None else field.label
        generic = _default_messages(type(field))
        for code in _specific_messages(type(field), str(label), translation.get_language()):
            current = field.error_messages.get(code)
            if current is generic.get(code) or current == generic.get(code):
                field.error_messages[code] = _specific_message(type(field), label, code)


def _specific_message(field_class: type, label, code: str):
    return lazy(lambda: _specific_messages(field_class, str(label), translation.get_language())[code], str)()


@cache
def _specific_messages(field_class: type, label: str, language: str | None) -> dict[str, str]:
    """The specific messages of a field of `field_class` labelled `label`, in `language` (the
    active one, passed so that each language keeps its own): worked out once, not at every form."""
    names = {"label": _label_in_sentence(label)}
    choose = issubclass(field_class, (forms.ChoiceField, forms.ModelChoiceField))
    specific = {
        "required": (gettext("Choose the %(label)s.") if choose else gettext("Enter the %(label)s.")) % names,
        "max_length": gettext("The %(label)s can be at most %%(limit_value)d characters long (it has "
                              "%%(show_value)d).") % names,
        "min_length": gettext("The %(label)s needs at least %%(limit_value)d characters (it has "
                              "%%(show_value)d).") % names,
        "invalid_choice": gettext("Choose the %(label)s from the list: that choice is not one of them.") % names,
        "max_value": gettext("The %(label)s can be at most %%(limit_value)s.") % names,
        "min_value": gettext("The %(label)s must be at least %%(limit_value)s.") % names,
    }
    if issubclass(field_class, forms.EmailField):
        specific["invalid"] = gettext("Enter the %(label)s as an address like name@example.com.") % names
    elif issubclass(field_class, forms.URLField):
        specific["invalid"] = gettext("Enter the %(label)s as a full address, like https://example.com/.") % names
    elif issubclass(field_class, forms.IntegerField):
        specific["invalid"] = gettext("Enter the %(label)s as a whole number.") % names
    elif issubclass(field_class, forms.DateField):
        specific["invalid"] = gettext("Enter the %(label)s as a date, YYYY-MM-DD.") % names
    return specific


@cache
def _default_messages(field_class: type) -> dict:
    messages = {}
    for klass in reversed(field_class.__mro__):
        messages.update(getattr(klass, "default_error_messages", {}))
    return messages
