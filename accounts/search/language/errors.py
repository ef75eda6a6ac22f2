"""Errors of a search query, shown to the operator with where the problem is and what to do (S3)."""
from accounts.search.language.texts import gettext, gettext_noop


class SearchQueryError(ValueError):
    """A query that cannot be answered: a message, a 0-based position and a hint."""

    def __init__(self, message: str, position: int, hint: str):
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = gettext(hint)

    def __str__(self) -> str:
        return gettext("%(message)s (at position %(position)d). %(hint)s") % {
            "message": self.message, "position": self.position + 1, "hint": self.hint}


ESCAPE_HINT = gettext_noop(
    'Put words with special characters in double quotes ("...") or escape the characters '
    "+ - && || ! ( ) { } [ ] ^ \" ~ * ? : \\ / with a backslash."
)


class QuerySyntaxError(SearchQueryError):
    """A query the parser rejects: what is wrong, where (0-based offset), and a hint."""

    def __init__(self, message: str, position: int, hint: str = ESCAPE_HINT):
        super().__init__(message, position, hint)
