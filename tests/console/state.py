"""The state of the console's database, for asserting that a refused request changed nothing."""
from contextlib import contextmanager

from django.apps import apps
from django.db import transaction

# Django's own bookkeeping (sessions, permissions, content types) moves with every request and
# says nothing about whether a refused request changed the console's data. The operators' second
# factors (django-otp's tables) are the console's data.
CONSOLE_APPS = ("console", "groups", "accounts", "activation", "licensing", "otp_totp", "otp_static")


def database_state() -> dict[str, list[dict]]:
    """Every row of every console model (and the operators' group assignments), ordered by key.

    Comparing two states compares the row counts and every value of every row at once.
    """
    state: dict[str, list[dict]] = {}
    for label in CONSOLE_APPS:
        for model in apps.get_app_config(label).get_models():
            state[model._meta.label] = list(model.objects.order_by("pk").values())
    through = apps.get_model("console", "Operator").account_groups.through
    state["operator groups"] = list(through.objects.order_by("pk").values())
    return state


def row_counts(state: dict[str, list[dict]]) -> dict[str, int]:
    return {label: len(rows) for label, rows in state.items()}


@contextmanager
def rolled_back():
    """Run a block in a transaction that is rolled back, so that each example of a property test
    starts from the same database and a failure replays exactly."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
