"""Writes to operators and the Services settings, each one transaction with its audit record."""
import secrets
from binascii import unhexlify

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext, gettext_noop
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.audit import CHANGED, Actor, audit_record, changed_only, snapshot
from console.audit_text import audit_text
from console.errors import ServiceError, StaleEditError, require_unchanged_since
from console.models import LoginThrottle, Operator, ServiceSettings

RECOVERY_CODE_COUNT = 10

OPERATOR_AUDIT_EXTRA_FIELDS = ("role", "is_active", "must_change_password", "language")


def _operator_snapshot(operator: Operator, groups=None) -> dict:
    """The operator's details, role, flags and group names (`groups`: those about to be assigned)."""
    data = {field: getattr(operator, field) for field in ("username", "first_name", "last_name", "email", *OPERATOR_AUDIT_EXTRA_FIELDS)}
    data["groups"] = sorted(group.name for group in (operator.account_groups.all() if groups is None else groups))
    return data


def generate_one_time_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def operator_create(*, actor: Actor, username: str, role: str, password: str, groups=(), email: str = "",
                    first_name: str = "", last_name: str = "", language: str = "") -> Operator:
    """Create an operator who must change the given password at first login."""
    if Operator.objects.filter(username__iexact=username).exists():
        raise ServiceError(gettext("An operator named “%(username)s” already exists.") % {"username": username})
    operator = Operator.objects.create_user(
        username=username, password=password, role=role, email=email, first_name=first_name,
        last_name=last_name, language=language, must_change_password=True,
    )
    operator.account_groups.set(groups)
    audit_record(actor=actor, action="operator.create", obj=operator, after=_operator_snapshot(operator))
    return operator


@transaction.atomic
def operator_update(*, actor: Actor, operator_id: int, expected_version: int | None = None, groups=None, **changes) -> Operator:
    """Change an operator's role, details, active flag or groups, if nobody saved the operator
    since `expected_version` (None: whatever the version). A save that changes nothing writes nothing."""
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    require_unchanged_since(operator, expected_version, gettext("Operator %(username)s") % {"username": operator.username})
    if actor.operator and actor.operator.pk == operator.pk and (
        changes.get("role", operator.role) != Operator.Role.ADMINISTRATOR or changes.get("is_active") is False
    ):
        raise ServiceError(gettext("You cannot take the Administrator role or access away from yourself."))
    before = _operator_snapshot(operator)
    for field, value in changes.items():
        setattr(operator, field, value)
    change = changed_only(before, _operator_snapshot(operator, groups))
    if not change.fields:
        return operator
    if changes.get("is_active") is False:
        operator.current_session_key = ""
    operator.version += 1
    operator.save()
    if groups is not None:
        operator.account_groups.set(groups)
    audit_record(actor=actor, action="operator.update", obj=operator, before=change.before, after=change.after)
    return operator


@transaction.atomic
def operator_set_language(*, actor: Actor, language: str) -> Operator:
    """Save the language the acting operator chose for the console ("": follow the browser)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ServiceError(gettext("This language is not one of the console's."))
    operator = Operator.objects.select_for_update().get(pk=actor.operator.pk)
    if operator.language == language:
        return operator
    before = {"language": operator.language}
    operator.language = language
    operator.version += 1
    operator.save(update_fields=["language", "version"])
    audit_record(actor=actor, action="operator.update", obj=operator, before=before, after={"language": language})
    return operator


@transaction.atomic
def operator_set_password(*, actor: Actor, operator_id: int, password: str, must_change: bool) -> Operator:
    """Set an operator's password; `must_change` forces a change at next login (a reset by an Administrator)."""
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    operator.set_password(password)
    operator.must_change_password = must_change
    operator.save(update_fields=["password", "must_change_password"])
    audit_record(
        actor=actor, action="operator.reset_password" if must_change else "operator.change_password", obj=operator,
        after={"password": CHANGED},
    )
    return operator


def operator_note_login(*, operator: Operator, session_key: str) -> None:
    """Remember the operator's newest session; older ones end at their next request (O1)."""
    Operator.objects.filter(pk=operator.pk).update(current_session_key=session_key)


@transaction.atomic
def first_administrator_create(*, username: str = "admin") -> tuple[Operator, str] | None:
    """On an empty console, create the first Administrator with a one-time password (X2).

    Returns (operator, password), or None when an operator already exists.
    """
    if Operator.objects.exists():
        return None
    password = generate_one_time_password()
    operator = Operator.objects.create_user(
        username=username, password=password, role=Operator.Role.ADMINISTRATOR, must_change_password=True
    )
    audit_record(actor=Actor.system(), action="operator.create", obj=operator, after=_operator_snapshot(operator),
                 message=audit_text(gettext_noop("first Administrator created on an empty console")))
    return operator, password


SERVICE_SETTINGS_FIELDS = (
    "public_base_url", "sip_server_host", "sip_server_port", "sms_backend", "sms_gateway_url",
    "sms_username", "sms_password", "sms_sender", "kamailio_rpc_url",
)


@transaction.atomic
def service_settings_update(*, actor: Actor, expected_version: int, **changes) -> ServiceSettings:
    """Save the Services page if nobody saved it since `expected_version`; a save that changes
    nothing writes nothing."""
    ServiceSettings.load()
    row = ServiceSettings.objects.select_for_update().get(pk=1)
    if row.version != expected_version:
        raise StaleEditError(gettext("The services settings were changed by someone else meanwhile. Nothing was saved: reload and try again."))
    before = snapshot(row)
    for field, value in changes.items():
        setattr(row, field, value)
    change = changed_only(before, snapshot(row))
    if not change.fields:
        return row
    row.version += 1
    row.save()
    audit_record(actor=actor, action="services.update", obj=row, object_repr="Services", before=change.before, after=change.after)
    return row


@transaction.atomic
def two_factor_enrol(*, actor: Actor, operator_id: int, key: str, code: str) -> list[str]:
    """Enrol the authenticator app holding `key` (hex), confirmed by a `code` it shows; replace any
    earlier second factor and return new single-use recovery codes (shown once)."""
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    totp = TOTP(unhexlify(key))
    token = "".join(code.split())
    if not (token.isdigit() and totp.verify(int(token), tolerance=1)):
        raise ServiceError(gettext("That code does not match: check the time on your phone and enter the code shown now."))
    had_two_factor = TOTPDevice.objects.filter(user=operator, confirmed=True).exists()
    for old in devices_for_user(operator, confirmed=None):
        old.delete()
    # The confirming code's time step counts as used: it cannot log in a second time.
    TOTPDevice.objects.create(user=operator, name="Authenticator app", key=key, confirmed=True,
                              last_t=totp.t(), drift=totp.drift)
    recovery = StaticDevice.objects.create(user=operator, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=token) for token in codes])
    audit_record(actor=actor, action="operator.enrol_two_factor", obj=operator,
                 before={"two_factor": "enrolled" if had_two_factor else "none"}, after={"two_factor": "enrolled"})
    return codes


@transaction.atomic
def two_factor_reset(*, actor: Actor, operator_id: int) -> Operator:
    """Remove an operator's second factor (a lost phone): they sign in with their password alone,
    or enrol at their next login when two factors are required."""
    operator = Operator.objects.select_for_update().get(pk=operator_id)
    devices = list(devices_for_user(operator, confirmed=None))
    if not any(device.confirmed for device in devices):
        raise ServiceError(gettext("%(username)s has no second factor to reset.") % {"username": operator.username})
    for device in devices:
        device.delete()
    audit_record(actor=actor, action="operator.reset_two_factor", obj=operator,
                 before={"two_factor": "enrolled"}, after={"two_factor": "none"})
    return operator


@transaction.atomic
def sign_in_policy_update(*, actor: Actor, require_two_factor: bool) -> ServiceSettings:
    """Require (or stop requiring) two-factor sign-in for every operator."""
    ServiceSettings.load()
    row = ServiceSettings.objects.select_for_update().get(pk=1)
    before = snapshot(row)
    row.require_two_factor = require_two_factor
    change = changed_only(before, snapshot(row))
    if not change.fields:
        return row
    # Not a Services page edit: its version stays, so an open Services page can still be saved.
    row.save(update_fields=["require_two_factor", "updated_at"])
    audit_record(actor=actor, action="services.update", obj=row, object_repr="Sign-in policy",
                 before=change.before, after=change.after)
    return row


@transaction.atomic
def login_throttle_clear(*, actor: Actor, throttle_id: int) -> LoginThrottle:
    """Forget a throttle's failures: its username or address may sign in again at once."""
    throttle = LoginThrottle.objects.select_for_update().get(pk=throttle_id)
    audit_record(actor=actor, action="login_throttle.clear", obj=throttle,
                 before={"failures": throttle.failures, "blocked_until": throttle.blocked_until.isoformat()})
    throttle.delete()
    return throttle
