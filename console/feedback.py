"""What an edit page says after a save (Post/Redirect/Get feedback)."""
from django.contrib import messages


def report_update(request, *, saved, expected_version: int, subject: str) -> None:
    """Say that `subject` ("Account 4100000001") was updated, or, when the save changed nothing
    (the update services then write nothing and keep the version the form was opened at), that
    there were no changes."""
    if saved.version == expected_version:
        messages.info(request, f"No changes: {subject} already had these values.")
    else:
        messages.success(request, f"{subject} updated.")
