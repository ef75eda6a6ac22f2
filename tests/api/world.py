"""The objects the API's permission tests act on, and the database state they compare."""
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.api.conftest import ApiClient, issue_token
from tests.batch.helpers import csv_bytes, plain_row
from tests.conftest import make_account
from tests.console.state import database_state

# A token's own row moves with every request it makes (last use, rate-limit count): bookkeeping,
# like Django's sessions, that says nothing about whether a refused request changed the data.
BOOKKEEPING = ("console.ApiToken",)


def data_state() -> dict:
    state = database_state()
    for label in BOOKKEEPING:
        state.pop(label)
    return state


@dataclass
class ApiWorld:
    """The personas and, in the operator's group, an account, a disabled one, an empty group and a
    checked import; `tokens` holds one token per API persona."""

    personas: object
    account: object
    disabled_account: object
    empty_group: object
    import_job: object
    tokens: dict

    def client(self, persona: str) -> ApiClient:
        if persona == "outside_networks":
            return ApiClient(self.tokens[persona], remote_addr="192.0.2.10")
        return ApiClient(self.tokens.get(persona))


def build_world(personas) -> ApiWorld:
    from accounts.access_lists import ALLOW, parse_entries
    from accounts.batch.importer import ImportOptions
    from accounts.batch.jobs import job_create
    from accounts.services import account_set_enabled
    from console.api.models import ApiToken
    from console.api.services import api_token_revoke
    from console.audit import Actor
    from console.models import ServiceSettings
    from groups.models import Group
    from licensing.models import Licence

    ServiceSettings.objects.update_or_create(pk=1, defaults={"public_base_url": "https://clients.example.net"})
    account = make_account(personas.group, owner="Marco Rossi")
    Licence.objects.filter(account=account).update(device_id="phone-1", state=Licence.State.VALID, bound_at=timezone.now())
    disabled = make_account(personas.group, owner="Dora Spenta")
    account_set_enabled(actor=Actor.system(), account_id=disabled.pk, enabled=False)
    empty_group = Group.objects.create(name="Empty Co")
    for member in (personas.operator, personas.auditor):
        member.account_groups.add(empty_group)
    upload = SimpleUploadedFile("accounts.csv", csv_bytes([plain_row(9001)]), content_type="text/csv")
    job = job_create(operator=personas.operator, group=personas.group, upload=upload, options=ImportOptions())
    operator = personas.operator
    tokens = {
        "administrator": issue_token(personas.administrator),
        "operator": issue_token(operator),
        "outsider": issue_token(personas.outsider),
        "auditor": issue_token(personas.auditor),
        "read_only": issue_token(operator, name="reports", read_only=True),
        "expired": issue_token(operator, name="old"),
        "revoked": issue_token(operator, name="leaked"),
        "outside_networks": issue_token(operator, name="office only", allowed_networks=parse_entries(ALLOW, "10.0.0.0/8")),
    }
    ApiToken.objects.filter(operator=operator, name="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    api_token_revoke(actor=Actor.of(operator), token_id=ApiToken.objects.get(name="leaked").pk)
    disabled.refresh_from_db()
    return ApiWorld(personas, account, disabled, empty_group, job, tokens)
