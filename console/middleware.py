"""Console-wide request handling: one live session per operator, forced password change, headers."""
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext

from console.models import LoginAttempt
from console.sessions import client_ip, record_login_attempt
from console.signin import MUST_ENROL_KEY

PUBLIC_PATH_PREFIXES = ("/static/", "/i/", "/a/", "/client/", "/healthz")


class OperatorLanguageMiddleware:
    """Speaks the language the operator chose (saved with the operator); without a choice, the
    browser's (LocaleMiddleware). The customer pages and the client web service always follow the
    caller's Accept-Language: a phone's page is the customer's, whoever opens it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PUBLIC_PATH_PREFIXES) and request.user.is_authenticated and request.user.language:
            translation.activate(request.user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class OperatorSessionMiddleware:
    """Ends a session superseded by a newer login of the same operator (O1, configurable), sends an
    operator who must change their password to the password page first (X2), then one who must
    enrol a second factor (two-factor sign-in required, none enrolled) to the enrolment page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(PUBLIC_PATH_PREFIXES):
            if self._superseded(request):
                record_login_attempt(request, user.get_username(), user, LoginAttempt.Outcome.SUPERSEDED)
                logout(request)
                messages.warning(request, gettext("You were logged out because you logged in somewhere else."))
                return redirect(f"{reverse('login')}?{urlencode({'next': request.path}, safe='/')}")
            allowed = {reverse("password_change"), reverse("logout")}
            if user.must_change_password and request.path not in allowed:
                return redirect("password_change")
            allowed |= {reverse("two_factor"), reverse("two_factor_recovery_codes")}
            if request.session.get(MUST_ENROL_KEY) and request.path not in allowed:
                return redirect("two_factor")
        return self.get_response(request)

    @staticmethod
    def _superseded(request) -> bool:
        if not settings.SINGLE_SESSION_PER_OPERATOR:
            return False
        current = request.user.current_session_key
        return bool(current) and current != request.session.session_key


class OperatorNoStoreMiddleware:
    """No response to a logged-in operator is kept by a browser or a proxy: the console's pages
    show account data, and some a one-time password, that must not outlive the session in a
    cache (`Cache-Control: no-store`, with Django's other never-cache headers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: the console loads nothing from outside its own origin."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


__all__ = ["OperatorNoStoreMiddleware", "OperatorSessionMiddleware", "SecurityHeadersMiddleware", "client_ip"]
