"""Errors of a search query, shown to the operator with where the problem is and what to do (S3)."""
from django.utils.translation import gettext, gettext_lazy


class SearchQueryError(ValueError):
    """A query that cannot be answered: a message, a 0-based position and a hint."""

    def __init__(self, message: str, position: int, hint: str):
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = str(hint)

    def __str__(self) -> str:
        return gettext("%(message)s (at position %(position)d). %(hint)s") % {
            "message": self.message, "position": self.position + 1, "hint": self.hint}


ESCAPE_HINT = gettext_lazy(
    'Put words with special characters in double quotes ("...") or escape the characters '
    "+ - && || ! ( ) { } [ ] ^ \" ~ * ? : \\ / with a backslash."
)


class QuerySyntaxError(SearchQueryError):
    """A query the parser rejects: what is wrong, where (0-based offset), and a hint."""

    def __init__(self, message: str, position: int, hint: str = ESCAPE_HINT):
        super().__init__(message, position, hint)
