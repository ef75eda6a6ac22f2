"""What a token's request may do: read with any token; change data only with a token that is not
read-only, of an operator whose role changes data. Scoping by group is the views' (404 outside)."""
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions


class ApiAccess(permissions.BasePermission):
    message = _("Your role can only read.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated and request.auth is not None):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.auth.read_only:
            self.message = _("This API token is read-only.")
            return False
        return request.user.can_write


class AdministratorsOnly(permissions.BasePermission):
    message = _("Only Administrators may do this.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_administrator)


class WritersOnly(ApiAccess):
    """Pages only roles that write may open (the batch import's report, for instance), reads included."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.can_write
