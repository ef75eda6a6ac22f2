"""Form fields whose widgets show a stored value in the form the browser sends back unchanged
(STYLE: a form round-trips), so saving a form untouched never changes what is stored."""
from django import forms

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
