"""Errors that services raise when they refuse a change; views show the message to the operator."""


class ServiceError(Exception):
    """A refused change. `message` is written for the operator and says what blocks it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StaleEditError(ServiceError):
    """Someone else saved the object after the operator opened the form (no lost update)."""


class NotAllowedError(ServiceError):
    """The change is not possible in the object's current state."""
