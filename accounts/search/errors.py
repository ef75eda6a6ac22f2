"""Errors of a search query, shown to the operator with where the problem is and what to do (S3)."""


class SearchQueryError(ValueError):
    """A query that cannot be answered: a message, a 0-based position (None: not the query's
    fault) and a hint."""

    def __init__(self, message: str, position: int | None, hint: str):
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint

    def __str__(self) -> str:
        if self.position is None:
            return f"{self.message}. {self.hint}"
        return f"{self.message} (at position {self.position + 1}). {self.hint}"


class SearchIndexBusy(SearchQueryError):
    """Another process has been building the index, or applying a large backlog to it, for
    longer than a search waits (a new web node, an upgrade that changed the index's format, a
    batch import of many accounts)."""

    def __init__(self):
        super().__init__("The search index is being brought up to date", None,
                         "Try again in a minute; the query itself is fine.")


ESCAPE_HINT = (
    'Put words with special characters in double quotes ("...") or escape the characters '
    "+ - && || ! ( ) { } [ ] ^ \" ~ * ? : \\ / with a backslash."
)


class QuerySyntaxError(SearchQueryError):
    """A query the parser rejects: what is wrong, where (0-based offset), and a hint."""

    def __init__(self, message: str, position: int, hint: str = ESCAPE_HINT):
        super().__init__(message, position, hint)
