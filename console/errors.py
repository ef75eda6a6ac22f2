"""Errors that services raise when they refuse a change; views show the message to the operator."""
from django.utils.translation import gettext


class ServiceError(Exception):
    """A refused change. `message` is written for the operator and says what blocks it; `field`
    names the input it is about (a form field, an API field), if it is about one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class StaleEditError(ServiceError):
    """Someone else saved the object after the operator opened the form (no lost update)."""


class NotAllowedError(ServiceError):
    """The change is not possible in the object's current state."""


def require_unchanged_since(obj, expected_version: int | None, subject: str) -> None:
    """The optimistic lock of every edit: refuse (StaleEditError) when `obj`, locked by the caller,
    was saved since the operator read `expected_version` (None: any version will do). `subject`
    names the object for the operator ("Account 5551234", "Group “Acme”")."""
    if expected_version is not None and obj.version != expected_version:
        raise StaleEditError(
            gettext("%(subject)s was changed by someone else while you were editing it. Nothing was saved: reload "
                    "the page to see the current values, then make your change again.") % {"subject": subject}
        )
