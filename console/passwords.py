"""The console's own password rules, used through AUTH_PASSWORD_VALIDATORS where Django has none:
one maximum length for setting and for logging in, nothing close to the username or to the
product's name, none of the operator's last few passwords."""
import re
from difflib import SequenceMatcher

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# The login form takes passwords up to this length, so every password that can be set can be used.
PASSWORD_MAX_LENGTH = 128
PRODUCT_NAMES = ("SIP Operator Console", "SIP Console", "Operator Console")
# Digits and symbols that stand in for letters (`0scar`, `S1P`, `@dmin`).
LOOKALIKES = str.maketrans("013457@$", "oieastas")
# A password that is a name plus fewer other letters than this is the name, decorated.
MIN_OTHER_LETTERS = 4


class MaximumLengthValidator:
    """Refuse a password longer than the login form accepts."""

    def validate(self, password: str, user=None) -> None:
        if len(password) > PASSWORD_MAX_LENGTH:
            raise ValidationError(
                gettext("This password is too long: it may have at most %(limit)d characters.") % {"limit": PASSWORD_MAX_LENGTH}, code="password_too_long",
            )

    def get_help_text(self) -> str:
        return gettext("Your password can’t have more than %(limit)d characters.") % {"limit": PASSWORD_MAX_LENGTH}


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().translate(LOOKALIKES))


class NotCloseToNamesValidator:
    """Refuse a password that is the username or the product's name, with digits and symbols
    around it or in place of letters (`Admin2026!`, `S1P-console`, `0scar0scar`), or a near miss
    of one (`oskar2026`)."""

    def __init__(self, max_similarity: float = 0.7):
        self.max_similarity = max_similarity

    def validate(self, password: str, user=None) -> None:
        letters = _letters(password)
        names = [("your username", user.get_username())] if user is not None else []
        names += [("the product’s name", name) for name in PRODUCT_NAMES]
        for label, name in names:
            name_letters = _letters(name)
            if len(name_letters) < 3 or not letters:
                continue
            similar = SequenceMatcher(a=letters, b=name_letters).ratio() >= self.max_similarity
            decorated = name_letters in letters and len(letters.replace(name_letters, "")) < MIN_OTHER_LETTERS
            if similar or decorated:
                raise ValidationError(gettext("This password is too close to %(label)s.") % {"label": label}, code="password_close_to_name")

    def get_help_text(self) -> str:
        return gettext("Your password can’t be close to your username or to the product’s name.")


class PasswordReuseValidator:
    """Refuse the operator's current password and the `remember` passwords before it; keep the hash
    of each new password (Django calls `password_changed` when an operator's password is saved)."""

    def __init__(self, remember: int = 5):
        self.remember = remember

    def _recent_hashes(self, user) -> list[str]:
        history = list(user.password_history.values_list("password", flat=True)[: self.remember])
        return list(dict.fromkeys([user.password, *history]))

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user) if encoded):
            raise ValidationError(
                gettext("You used this password recently: choose one that is not among your last %(remember)d passwords.") % {"remember": self.remember},
                code="password_reused",
            )

    def password_changed(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        latest = user.password_history.first()
        if latest is not None and check_password(password, latest.password):
            # The same password hashed again (a hasher upgrade at login): one entry, not two.
            latest.password = user.password
            latest.save(update_fields=["password"])
        else:
            user.password_history.create(password=user.password)
        stale = user.password_history.values_list("pk", flat=True)[self.remember:]
        user.password_history.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return gettext("Your password can’t be one of your last %(remember)d passwords.") % {"remember": self.remember}
