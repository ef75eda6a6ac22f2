"""Signing in (O1, O4): the password step and the two-factor code step, each deciding its outcome.

With a second factor, a right password does not log the operator in: the session only remembers,
for SECOND_FACTOR_SECONDS, who passed the password step, and the operator is logged in (their
older session ending) once a code from their authenticator app or a recovery code is verified.
Both steps are throttled per (username, address) and per address (console/throttle.py); every
outcome is recorded in the web sessions log.
"""
import enum
import time
from dataclasses import dataclass

from django.contrib.auth import authenticate, login
from django.http import HttpRequest
from django.utils.translation import gettext
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice

from console.models import LoginAttempt, Operator, ServiceSettings
from console.services import operator_note_login
from console.sessions import client_ip, record_login_attempt
from console.throttle import Attempt, Refused, Verdict, attempt_throttled

SECOND_FACTOR_SECONDS = 300
PENDING_KEY = "sign_in_pending"
MUST_ENROL_KEY = "must_enrol_two_factor"


class Step(enum.Enum):
    LOGGED_IN = "logged in"
    CODE_NEEDED = "code needed"
    REFUSED = "refused"
    START_AGAIN = "start again"  # the code step without a recent password step


@dataclass(frozen=True)
class SignIn:
    """Where the sign-in stands after a step, and what to tell the operator."""

    step: Step
    message: str = ""
    retry_after: int | None = None


def _throttled(request: HttpRequest, username: str, operator: Operator | None, refused: Refused) -> SignIn:
    record_login_attempt(request, username, operator, LoginAttempt.Outcome.THROTTLED)
    return SignIn(Step.REFUSED, gettext("Too many failed attempts. Wait %(retry_after)s seconds and try again.") % {"retry_after": refused.retry_after},
                  retry_after=refused.retry_after)


def _log_in(request: HttpRequest, operator: Operator, username: str) -> None:
    """Log the operator in: this session becomes their one live session."""
    login(request, operator)
    operator_note_login(operator=operator, session_key=request.session.session_key)
    record_login_attempt(request, username, operator, LoginAttempt.Outcome.SUCCESS)
    if ServiceSettings.load().require_two_factor and not user_has_device(operator):
        request.session[MUST_ENROL_KEY] = True


def sign_in_with_password(*, request: HttpRequest, username: str, password: str) -> SignIn:
    """The password step: log in, ask for a code, or refuse (wrong, deactivated, throttled)."""

    def attempt() -> Attempt[SignIn]:
        operator = authenticate(request, username=username, password=password)
        if operator is None:
            known = Operator.objects.filter(username__iexact=username).first()
            if known is not None and not known.is_active and known.check_password(password):
                record_login_attempt(request, username, known, LoginAttempt.Outcome.INACTIVE)
                return Attempt(Verdict.NEUTRAL, SignIn(Step.REFUSED, gettext("This operator is deactivated: ask an Administrator.")))
            record_login_attempt(request, username, known, LoginAttempt.Outcome.BAD_CREDENTIALS)
            return Attempt(Verdict.FAILURE, SignIn(Step.REFUSED, gettext("Wrong username or password.")))
        if user_has_device(operator):
            request.session.cycle_key()
            request.session[PENDING_KEY] = {"operator": operator.pk, "username": username, "until": time.time() + SECOND_FACTOR_SECONDS}
            record_login_attempt(request, username, operator, LoginAttempt.Outcome.CODE_ASKED)
            # Not a success yet: the pair's failures stay counted until the code is right, so a
            # known password does not buy a guesser fresh code attempts.
            return Attempt(Verdict.NEUTRAL, SignIn(Step.CODE_NEEDED))
        _log_in(request, operator, username)
        return Attempt(Verdict.SUCCESS, SignIn(Step.LOGGED_IN))

    result = attempt_throttled(username=username, address=client_ip(request), attempt=attempt)
    return _throttled(request, username, None, result) if isinstance(result, Refused) else result


def pending_operator(request: HttpRequest) -> tuple[Operator, str] | None:
    """The operator who passed the password step in this session within SECOND_FACTOR_SECONDS,
    and the username they typed."""
    pending = request.session.get(PENDING_KEY)
    if not pending or pending["until"] < time.time():
        return None
    operator = Operator.objects.filter(pk=pending["operator"], is_active=True).first()
    return (operator, pending["username"]) if operator is not None else None


def sign_in_with_code(*, request: HttpRequest, code: str) -> SignIn:
    """The code step: a code from the authenticator app, or a recovery code (each works once)."""
    pending = pending_operator(request)
    if pending is None:
        request.session.pop(PENDING_KEY, None)
        return SignIn(Step.START_AGAIN, gettext("Your sign-in took too long: enter your username and password again."))
    operator, username = pending
    token = "".join(code.split()).replace("-", "").lower()

    def attempt() -> Attempt[SignIn]:
        device = match_token(operator, token) if token else None
        if device is None:
            record_login_attempt(request, username, operator, LoginAttempt.Outcome.BAD_CODE)
            return Attempt(Verdict.FAILURE, SignIn(Step.REFUSED, gettext("Wrong code. Enter the current code of your authenticator app, or a recovery code.")))
        del request.session[PENDING_KEY]
        _log_in(request, operator, username)
        if isinstance(device, StaticDevice):
            left = device.token_set.count()
            return Attempt(Verdict.SUCCESS, SignIn(Step.LOGGED_IN, gettext("You used a recovery code; %(left)s left. "
                                                   "Enrol again from your menu to get new ones if you lost your authenticator app.") % {"left": left}))
        return Attempt(Verdict.SUCCESS, SignIn(Step.LOGGED_IN))

    result = attempt_throttled(username=username, address=client_ip(request), attempt=attempt)
    return _throttled(request, username, operator, result) if isinstance(result, Refused) else result
