"""What an edit page says after a save (Post/Redirect/Get feedback)."""
from django.contrib import messages
from django.utils.html import format_html
from django.utils.translation import gettext

from console.errors import ServiceError


def report_update(request, *, saved, expected_version: int, subject: str) -> None:
    """Say that `subject` ("Account 4100000001") was updated, or, when the save changed nothing
    (the update services then write nothing and keep the version the form was opened at), that
    there were no changes."""
    if saved.version == expected_version:
        messages.info(request, gettext("No changes: %(subject)s already had these values.") % {"subject": subject})
    else:
        messages.success(request, gettext("%(subject)s updated.") % {"subject": subject})


def report_refusal(request, error: ServiceError, form=None, field: str | None = None) -> None:
    """Show a service's refusal the one way the console does. A page with a form shows it on the
    form (on `field`, else on the field the refusal names if the form has it, else above the
    fields), which is rendered again with what the operator typed; an action without a form (a
    confirmation button) shows it as an error message on the page it redirects to. Never both,
    never a warning: a refusal is an error the operator can act on."""
    if form is not None:
        form.add_error(field or (error.field if error.field in form.fields else None), error.message)
    else:
        messages.error(request, error.message)


def copy_button(target: str, label: str | None = None) -> str:
    """A button that copies the text (or value) of the element `target` (a CSS selector) to the
    clipboard (console.js, "Copy buttons")."""
    return format_html('<button type="button" class="btn btn-sm btn-outline-secondary copy-button" data-copy="{}">'
                       '<i class="bi bi-clipboard" aria-hidden="true"></i> {}</button>', target, label or gettext("Copy"))



def report_secret(request, text: str, secret: str) -> None:
    """A success message that shows `secret` once (a one-time password), with a copy button."""
    messages.success(request, format_html('{} <code id="shown-secret" class="user-select-all">{}</code> {}',
                                          text, secret, copy_button("#shown-secret")))
