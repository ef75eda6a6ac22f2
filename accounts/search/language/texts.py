"""The language's words for the operator, in the active language when Django runs it (the console) and
as written, in English, when the language runs on its own (no settings configured: scripts, the
standalone tests). makemessages finds the texts through the usual `gettext(...)` and
`gettext_noop(...)` calls."""


def gettext(message: str) -> str:
    from django.conf import settings

    if not settings.configured:
        return message
    from django.utils.translation import gettext as django_gettext

    return django_gettext(message)


def gettext_noop(message: str) -> str:
    """Mark a text for translation where it is defined; `gettext` translates it where it is shown."""
    return message
