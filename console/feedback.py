"""What an edit page says after a save (Post/Redirect/Get feedback)."""
from django.contrib import messages
from django.utils.html import format_html
from django.utils.translation import gettext


def report_update(request, *, saved, expected_version: int, subject: str) -> None:
    """Say that `subject` ("Account 4100000001") was updated, or, when the save changed nothing
    (the update services then write nothing and keep the version the form was opened at), that
    there were no changes."""
    if saved.version == expected_version:
        messages.info(request, gettext("No changes: %(subject)s already had these values.") % {"subject": subject})
    else:
        messages.success(request, gettext("%(subject)s updated.") % {"subject": subject})


def copy_button(target: str, label: str | None = None) -> str:
    """A button that copies the text (or value) of the element `target` (a CSS selector) to the
    clipboard (console.js, "Copy buttons")."""
    return format_html('<button type="button" class="btn btn-sm btn-outline-secondary copy-button" data-copy="{}">'
                       '<i class="bi bi-clipboard" aria-hidden="true"></i> {}</button>', target, label or gettext("Copy"))



def report_secret(request, text: str, secret: str) -> None:
    """A success message that shows `secret` once (a one-time password), with a copy button."""
    messages.success(request, format_html('{} <code id="shown-secret" class="user-select-all">{}</code> {}',
                                          text, secret, copy_button("#shown-secret")))
