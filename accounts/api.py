"""The accounts' REST resources (SPEC API1): lists with the list page's filters, sort and Lucene
`q`, create the plain way, read, update (If-Match), delete, enable/disable, batch import and
export. Every write is the same service call, with the same form validation, as the pages'."""
from collections.abc import Iterable

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, parsers, renderers, serializers, status
from rest_framework.response import Response

from accounts.access_lists import ALLOW, DENY, AccessEntry
from accounts.batch.export import export_response
from accounts.batch.forms import ImportUploadForm
from accounts.batch.importer import ImportOptions
from accounts.batch.jobs import job_commit, job_create, job_progress
from accounts.batch.models import ImportJob
from accounts.filters import LIST_FILTERS, filter_accounts
from accounts.forms import AccountCreateForm, AccountEditForm
from accounts.models import AccessRule, Account
from accounts.search.engine.index_files import SearchIndexBusy
from accounts.search.results import search_within
from accounts.services import (
    IMMUTABLE_FIELDS,
    account_create,
    account_delete,
    account_set_enabled,
    account_update,
)
from accounts.sipserver.registrations import registered_now, registrations_of, sip_server_database
from accounts.views import ACCOUNT_COLUMNS
from console.access import get_visible_or_404
from console.api.authentication import api_actor
from console.api.idempotency import idempotent
from console.api.inputs import (
    etag,
    expected_version,
    form_data,
    form_initial_data,
    require_valid,
)
from console.api.pagination import (
    CURSOR_PARAMETERS,
    PAGE_NUMBER_PARAMETERS,
    cursor_page,
    next_page_url,
    number_page,
    page_of,
    sort_ordering,
)
from console.api.permissions import WritersOnly
from console.api.problems import ServiceUnavailable
from console.api.views import ApiView
from console.models import Operator
from console.prepared_statements import PreparedQuery
from groups.models import Group
from licensing.models import Licence

ACCESS_LISTS = frozenset({"allow", "deny"})
CREATE_FIELDS = {
    "username", "password", "virtual_number", "secondary_number", "account_type", "security_model", "obfuscation",
    "obfuscation_key", "keepalive", "owner", "caller_id", "email", "description", "profile", "licence_edition",
    "licence_valid_until", "allow", "deny",
}
UPDATE_FIELDS = CREATE_FIELDS - {"username", "virtual_number", "secondary_number"}


def visible_group(request, group_id: int, queryset=None) -> Group:
    """The group `group_id` if the operator may see it (404 otherwise), read from `queryset`
    when given, or else by the prepared form of `Group.objects.visible_to(operator)` of their role."""
    if queryset is not None:
        return get_visible_or_404(queryset, request.user, pk=group_id)
    found = _VISIBLE_GROUP[request.user.role].rows(request.user.pk, group_id)
    if not found:
        raise Http404
    return found[0]


def _visible_group_query(role: str) -> PreparedQuery:
    """Every request under /groups/<id>/ (a create, a list page) reads its group in the operator's
    scope: compiled once per role (which decides the scope's shape), from a stand-in operator of
    that role whose id, like the group's, is a placeholder."""
    return PreparedQuery(
        f"api_visible_group_{role}",
        lambda operator_id, group_id: Group.objects.visible_to(Operator(pk=operator_id, role=role)).filter(pk=group_id).order_by(),
        placeholders=(-9_000_000_001, -9_000_000_002),
    )


_VISIBLE_GROUP = {role: _visible_group_query(role) for role in Operator.Role.values}


def visible_account(request, account_id: int, queryset=None) -> Account:
    return get_visible_or_404(Account.objects.all() if queryset is None else queryset, request.user, pk=account_id)


class LicenceTermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Licence
        fields = ["edition", "valid_until", "state"]


ACCESS_LISTS_KEY = "access_lists"  # the serializer context's entry holding a page's access_lists()


def access_lists(account_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """The access rules of each of the accounts, as typed, by action (ALLOW, DENY) in their order:
    one query for a whole page (prefetching them would build a related manager per account)."""
    return _by_account(AccessRule.objects.filter(account_id__in=account_ids).values_list("account_id", "action", "as_typed"))


def given_access_lists(account_id: int, entries: Iterable[AccessEntry]) -> dict[int, dict[str, list[str]]]:
    """access_lists() of an account whose rules are `entries`, as the service stored them."""
    return _by_account((account_id, entry.action, entry.as_typed) for entry in entries)


def _by_account(rules: Iterable[tuple[int, str, str]]) -> dict[int, dict[str, list[str]]]:
    """(account id, action, rule as typed) rows as each account's rules by action, in their order."""
    lists: dict[int, dict[str, list[str]]] = {}
    for account_id, action, as_typed in rules:
        lists.setdefault(account_id, {}).setdefault(action, []).append(as_typed)
    return lists


class AccountPageSerializer(serializers.ListSerializer):
    """Accounts of a page: their access rules are read for all of them at once."""

    def to_representation(self, accounts) -> list[dict]:
        accounts = list(accounts)
        self.context[ACCESS_LISTS_KEY] = access_lists([account.pk for account in accounts])
        return super().to_representation(accounts)


class AccountSerializer(serializers.ModelSerializer):
    licence = LicenceTermsSerializer(read_only=True)
    allow = serializers.SerializerMethodField()
    deny = serializers.SerializerMethodField()
    registered_now = serializers.BooleanField(read_only=True, default=False)
    email = serializers.CharField(read_only=True, help_text="May be empty.")

    class Meta:
        model = Account
        fields = [
            "id", "group", "username", "virtual_number", "secondary_number", "account_type", "security_model",
            "obfuscation", "obfuscation_key", "keepalive", "owner", "caller_id", "email", "description", "profile",
            "creation_method", "enabled", "status", "status_changed_at", "registered_now", "licence", "allow", "deny",
            "version", "created_at", "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = AccountPageSerializer

    def _access_lists(self, account: Account) -> dict[str, list[str]]:
        """The account's rules by action: from its page's lists, or read for it alone."""
        lists = self.context[ACCESS_LISTS_KEY] if ACCESS_LISTS_KEY in self.context else access_lists([account.pk])
        return lists.get(account.pk, {})

    def get_allow(self, account: Account) -> list[str]:
        return self._access_lists(account).get(ALLOW, [])

    def get_deny(self, account: Account) -> list[str]:
        return self._access_lists(account).get(DENY, [])

    def to_representation(self, account: Account) -> dict:
        """The fields above, read straight from the row: a list page of 100 accounts costs a
        fraction of DRF's field-by-field walk (the declarations stay the schema's source)."""
        rules = self._access_lists(account)
        licence = getattr(account, "licence", None)
        return {
            **{name: getattr(account, name) for name in PLAIN_FIELDS},
            "group": account.group_id, "profile": account.profile_id,
            "registered_now": bool(getattr(account, "registered_now", False)),
            "licence": licence and {
                "edition": licence.edition, "valid_until": licence.valid_until and licence.valid_until.isoformat(),
                "state": licence.state,
            },
            "allow": rules.get(ALLOW, []),
            "deny": rules.get(DENY, []),
            **{name: DATETIME.to_representation(getattr(account, name)) for name in DATETIME_FIELDS},
        }


DATETIME = serializers.DateTimeField()
DATETIME_FIELDS = ("status_changed_at", "created_at", "updated_at")
PLAIN_FIELDS = [
    name for name in AccountSerializer.Meta.fields
    if name not in (*DATETIME_FIELDS, "group", "profile", "registered_now", "licence", "allow", "deny")
]


class AccountCreateInput(serializers.Serializer):
    """The plain way's fields (A2); only `password` and `virtual_number` are required."""

    username = serializers.CharField(required=False, help_text="6 to 16 digits; omitted: a random unused number.")
    password = serializers.CharField(help_text="At least 8 characters; stored only as SIP digests.")
    virtual_number = serializers.CharField(help_text="Cannot change later.")
    secondary_number = serializers.CharField(required=False, allow_null=True)
    account_type = serializers.ChoiceField(Account.AccountType.choices, required=False)
    security_model = serializers.ChoiceField(Account.SecurityModel.choices, required=False)
    obfuscation = serializers.BooleanField(required=False)
    obfuscation_key = serializers.IntegerField(required=False)
    keepalive = serializers.BooleanField(required=False)
    owner = serializers.CharField(required=False)
    caller_id = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    profile = serializers.IntegerField(required=False, allow_null=True, help_text="Provisioning profile id; null: the group's.")
    licence_edition = serializers.ChoiceField(Licence.Edition.choices, required=False)
    licence_valid_until = serializers.DateField(required=False, allow_null=True)
    allow = serializers.ListField(child=serializers.CharField(), required=False, help_text="Networks, e.g. 10.0.0.0/8.")
    deny = serializers.ListField(child=serializers.CharField(), required=False)


class AccountUpdateInput(AccountCreateInput):
    """The fields to change (the others keep their values); numbers and username never change."""

    username = virtual_number = secondary_number = None
    password = serializers.CharField(required=False, help_text="A new SIP password.")


def serialized_accounts():
    """Accounts with what AccountSerializer shows of them besides their own columns and access rules."""
    return Account.objects.select_related("licence").with_registration_state()


def account_response(request, account_id: int) -> Response:
    """The account as read now, with its ETag."""
    account = visible_account(request, account_id, serialized_accounts())
    return Response(AccountSerializer(account).data, headers={"ETag": etag(account.version)})


def created_account_response(request, account: Account, access_rules: Iterable[AccessEntry] = ()) -> Response:
    """A just-created account as its read answers it, with its ETag and Location. Nothing is read
    back: the row is the one the service inserted and returned (its licence with it), and its
    access rules are `access_rules`, those the service was given. Only whether the SIP server
    already holds a contact for its username is asked (one of an account deleted earlier may live on)."""
    account.registered_now = registered_now(account.username)
    headers = {"ETag": etag(account.version), "Location": request.build_absolute_uri(reverse("api_account", args=[account.pk]))}
    context = {ACCESS_LISTS_KEY: given_access_lists(account.pk, access_rules)}
    return Response(AccountSerializer(account, context=context).data, status=status.HTTP_201_CREATED, headers=headers)


LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="A search in Lucene syntax (as the console's search box)."),
    OpenApiParameter("status", str, enum=Account.Status.values),
    OpenApiParameter("type", str, enum=Account.AccountType.values),
    OpenApiParameter("enabled", str, enum=["yes", "no"]),
    OpenApiParameter("sort", str, enum=[prefix + column.key for column in ACCOUNT_COLUMNS for prefix in ("", "-")]),
    *CURSOR_PARAMETERS,
]


def searched(request, accounts, group_ids: list[int] | None):
    """`accounts` narrowed by the list's filters and its `q` search; 400 on a malformed query."""
    for parameter, (_, allowed) in LIST_FILTERS.items():
        value = request.query_params.get(parameter)
        if value is not None and value not in allowed:
            raise exceptions.ValidationError({parameter: [gettext("Unknown %(parameter)s %(value)s: one of %(items)s.") % {"parameter": parameter, "value": repr(value), "items": ', '.join(allowed)}]})
    accounts, _ = filter_accounts(request.query_params, accounts)
    query_text = request.query_params.get("q", "").replace("\x00", "").strip()
    if query_text:
        outcome = search_within(accounts, query_text, user=request.user, group_ids=group_ids)
        if isinstance(outcome.error, SearchIndexBusy):
            raise ServiceUnavailable(str(outcome.error))
        if outcome.error:
            raise exceptions.ValidationError({"q": [str(outcome.error)]})
        accounts = outcome.accounts
    return accounts


def account_list_response(request, accounts, group_ids: list[int] | None) -> Response:
    return cursor_page(request, searched(request, accounts, group_ids), sort_ordering(request, ACCOUNT_COLUMNS, "username"),
                       AccountSerializer, rows_by_id=serialized_accounts())


class GroupAccountsView(ApiView):
    @extend_schema(operation_id="group_accounts_list", parameters=LIST_PARAMETERS, responses=page_of(AccountSerializer),
                   summary="A group's accounts (the account list page)")
    def get(self, request, group_id: int):
        group = visible_group(request, group_id)
        return account_list_response(request, Account.objects.filter(group=group), [group.pk])

    @extend_schema(operation_id="group_accounts_create", request=AccountCreateInput, responses={201: AccountSerializer},
                   summary="Create an account the plain way (enabled at once)")
    @idempotent
    def post(self, request, group_id: int):
        group = visible_group(request, group_id)
        data = form_data(request.data, accepted=CREATE_FIELDS, defaults=form_initial_data(AccountCreateForm), list_fields=ACCESS_LISTS)
        form = require_valid(AccountCreateForm(data))
        access_rules = form.access_rules()
        account = account_create(
            actor=api_actor(request), group=group, fields=form.create_fields(), password=form.cleaned_data["password1"],
            access_rules=access_rules, licence_edition=form.cleaned_data["licence_edition"],
            licence_valid_until=form.cleaned_data["licence_valid_until"],
        )
        return created_account_response(request, account, access_rules)


class AccountSearchView(ApiView):
    @extend_schema(operation_id="accounts_list", parameters=LIST_PARAMETERS, responses=page_of(AccountSerializer),
                   summary="Accounts of every group the operator may see (the top bar's search)")
    def get(self, request):
        return account_list_response(request, Account.objects.visible_to(request.user), None)


class AccountView(ApiView):
    @extend_schema(operation_id="accounts_read", responses=AccountSerializer, summary="One account, with its ETag")
    def get(self, request, account_id: int):
        return account_response(request, account_id)

    @extend_schema(
        operation_id="accounts_update", request=AccountUpdateInput, responses=AccountSerializer,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True, description="The ETag read.")],
        summary="Change an account (412 when someone else changed it since the ETag sent)",
    )
    def patch(self, request, account_id: int):
        account = visible_account(request, account_id, Account.objects.select_related("licence"))
        version = expected_version(request, account.version)
        immutable = {name: value for name, value in (request.data.items() if isinstance(request.data, dict) else ()) if name in IMMUTABLE_FIELDS}
        body = {name: value for name, value in request.data.items() if name not in immutable} if immutable else request.data
        data = form_data(body, accepted=UPDATE_FIELDS, defaults={**AccountEditForm.initial_for(account), "password1": "", "password2": ""},
                         list_fields=ACCESS_LISTS)
        form = require_valid(AccountEditForm(account, {**data, "version": version}))
        account_update(
            actor=api_actor(request), account_id=account.pk, expected_version=version,
            fields={**form.settings_fields(), **immutable}, password=form.cleaned_data["password1"] or None,
            access_rules=form.access_rules(), licence_edition=form.cleaned_data["licence_edition"],
            licence_valid_until=form.cleaned_data["licence_valid_until"],
        )
        return account_response(request, account.pk)

    @extend_schema(operation_id="accounts_delete", responses={204: None}, summary="Delete an account (its registrations are dropped)")
    def delete(self, request, account_id: int):
        account = visible_account(request, account_id)
        account_delete(actor=api_actor(request), account_id=account.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountSetEnabledView(ApiView):
    enabled: bool

    @extend_schema(request=None, responses=AccountSerializer)
    def post(self, request, account_id: int):
        account = visible_account(request, account_id)
        account_set_enabled(actor=api_actor(request), account_id=account.pk, enabled=self.enabled)
        return account_response(request, account.pk)


class AccountEnableView(AccountSetEnabledView):
    enabled = True


class AccountDisableView(AccountSetEnabledView):
    enabled = False


class CsvRenderer(renderers.JSONRenderer):
    """Lets a client ask for `Accept: text/csv`; the export itself is a streamed response, and a
    refusal (problem+json) is rendered as JSON whatever was asked."""

    media_type = "text/csv"
    format = "csv"


EXPORT_SCHEMA = extend_schema(
    parameters=[OpenApiParameter("q", str)],
    responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The accounts as the import template's CSV.")},
)


class ExportView(ApiView):
    renderer_classes = [CsvRenderer]


class GroupExportView(ExportView):
    @EXPORT_SCHEMA
    def get(self, request, group_id: int):
        group = visible_group(request, group_id)
        accounts = searched(request, Account.objects.filter(group=group), [group.pk])
        return export_response(accounts, f"accounts-{group.name}")


class SearchExportView(ExportView):
    @EXPORT_SCHEMA
    def get(self, request):
        accounts = searched(request, Account.objects.visible_to(request.user), None)
        return export_response(accounts, "accounts-search")


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "group", "file_name", "size", "send_installation_sms", "send_activation_sms", "state",
                  "row_count", "report", "progress", "created_at", "finished_at"]
        read_only_fields = fields

    def get_progress(self, job: ImportJob) -> dict:
        return job_progress(job)


class ImportUploadInput(serializers.Serializer):
    file = serializers.FileField()
    send_installation_sms = serializers.BooleanField(required=False)
    send_activation_sms = serializers.BooleanField(required=False)


def visible_job(request, job_id: int) -> ImportJob:
    job = ImportJob.objects.visible_to(request.user).select_related("group").filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def job_response(job: ImportJob, status_code: int = status.HTTP_200_OK) -> Response:
    job.refresh_from_db()
    return Response(ImportJobSerializer(job).data, status=status_code)


class GroupImportView(ApiView):
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(operation_id="group_imports_create", request={"multipart/form-data": ImportUploadInput},
                   responses={201: ImportJobSerializer}, summary="Upload a CSV file: it is checked, nothing is written yet")
    @idempotent
    def post(self, request, group_id: int):
        group = visible_group(request, group_id)
        form = require_valid(ImportUploadForm(request.POST, request.FILES))
        options = ImportOptions(send_installation_sms=form.cleaned_data["send_installation_sms"],
                                send_activation_sms=form.cleaned_data["send_activation_sms"])
        job = job_create(operator=request.user, group=group, upload=form.cleaned_data["file"], options=options)
        return job_response(job, status.HTTP_201_CREATED)


class ImportJobView(ApiView):
    permission_classes = [WritersOnly]  # as the import pages: the batch way is for roles that write

    @extend_schema(operation_id="imports_read", responses=ImportJobSerializer, summary="An import: its per-row report and progress")
    def get(self, request, job_id: int):
        return job_response(visible_job(request, job_id))


class ImportCommitView(ApiView):
    permission_classes = [WritersOnly]

    @extend_schema(operation_id="imports_commit", request=None, responses={200: ImportJobSerializer, 202: ImportJobSerializer},
                   summary="Import every row of a checked file in one transaction")
    def post(self, request, job_id: int):
        job = job_commit(job=visible_job(request, job_id))
        done = job.state == ImportJob.State.DONE
        return job_response(job, status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED)


class RegistrationSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account_id")
    username = serializers.CharField()
    owner = serializers.CharField()
    caller_id = serializers.CharField()
    virtual_number = serializers.CharField()
    secondary_number = serializers.CharField(allow_null=True)
    source_ip = serializers.CharField()
    contact = serializers.CharField()
    expires = serializers.DateTimeField()
    registered_at = serializers.DateTimeField()
    user_agent = serializers.CharField()


class RegistrationPage(serializers.Serializer):
    sip_server = serializers.BooleanField(help_text="False: the console's database is not shared with a SIP server (SQLite).")
    count = serializers.IntegerField()
    results = RegistrationSerializer(many=True)
    next = serializers.CharField(allow_null=True)


class RegistrationListView(ApiView):
    @extend_schema(operation_id="registrations_list", responses=RegistrationPage, summary="Clients registered now (R1)",
                   parameters=[*PAGE_NUMBER_PARAMETERS])
    def get(self, request):
        if not sip_server_database():
            return Response({"sip_server": False, "count": 0, "results": [], "next": None})
        registrations = registrations_of(Account.objects.visible_to(request.user))
        page = number_page(request, registrations)
        return Response({"sip_server": True, "count": page.paginator.count,
                         "results": RegistrationSerializer(page.object_list, many=True).data, "next": next_page_url(request, page)})
