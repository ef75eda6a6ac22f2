"""A fingerprint of every table an import may touch, to prove a refused import wrote nothing."""
from django.apps import apps

SESSION_TABLES = ("console_operator", "console_loginattempt")  # logging in a test client touches them


def database_state() -> dict[str, list[tuple]]:
    tables = {}
    for model in apps.get_models():
        if model._meta.app_label in ("accounts", "licensing", "activation", "console", "groups") and model._meta.db_table not in SESSION_TABLES:
            tables[model._meta.db_table] = sorted(tuple(str(v) for v in row) for row in model.objects.values_list())
    return tables
