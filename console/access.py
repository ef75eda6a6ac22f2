"""Access helpers for views: scoped lookups answer 404 outside scope, role checks answer 403."""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext


def get_visible_or_404(queryset: QuerySet, user, **lookup) -> Model:
    """The object matching `lookup` among those `user` may see; 404 when it is outside their scope."""
    return get_object_or_404(queryset.visible_to(user), **lookup)


def require_write(user) -> None:
    """Refuse (403) an operator whose role only reads."""
    if not user.can_write:
        raise PermissionDenied(gettext("Your role can only read."))


def writer_required(view):
    """Login required, and a role that may change data (Administrator or Operator)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_write(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def administrator_required(view):
    """Login required, and the Administrator role."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_administrator:
            raise PermissionDenied(gettext("Only Administrators may do this."))
        return view(request, *args, **kwargs)

    return wrapper
