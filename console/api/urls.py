"""The REST API's URL map (/api/v1/): each app's resources from its api.py, the OpenAPI document,
and a problem+json 404 for every other address under the API."""
from django.urls import path, re_path
from django.utils.translation import gettext
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import authentication, exceptions, permissions, renderers

from accounts import api as accounts
from activation import api as activation
from console.api import audit
from console.api.authentication import TokenAuthentication
from console.api.views import ApiView
from fleet import api as fleet
from groups import api as groups
from licensing import api as licensing


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, for a token or a logged-in operator (the console's documentation page)."""

    authentication_classes = [TokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [OpenApiJsonRenderer, renderers.JSONRenderer]


class NoSuchResource(ApiView):
    authentication_classes = permission_classes = throttle_classes = []
    schema = None

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound(gettext("There is no such resource in the API: see /api/v1/schema/."))

    get = post = put = patch = delete = http_method_not_allowed


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api_schema"),
    path("groups/", groups.GroupListView.as_view(), name="api_groups"),
    path("groups/<int:group_id>/", groups.GroupView.as_view(), name="api_group"),
    path("groups/<int:group_id>/accounts/", accounts.GroupAccountsView.as_view(), name="api_group_accounts"),
    path("groups/<int:group_id>/accounts/wizard/", activation.WizardView.as_view(), name="api_group_wizard"),
    path("groups/<int:group_id>/accounts/export/", accounts.GroupExportView.as_view(), name="api_group_export"),
    path("groups/<int:group_id>/imports/", accounts.GroupImportView.as_view(), name="api_group_imports"),
    path("imports/<int:job_id>/", accounts.ImportJobView.as_view(), name="api_import"),
    path("imports/<int:job_id>/commit/", accounts.ImportCommitView.as_view(), name="api_import_commit"),
    path("accounts/", accounts.AccountSearchView.as_view(), name="api_accounts"),
    path("accounts/export/", accounts.SearchExportView.as_view(), name="api_accounts_export"),
    path("accounts/<int:account_id>/", accounts.AccountView.as_view(), name="api_account"),
    path("accounts/<int:account_id>/enable/", accounts.AccountEnableView.as_view(), name="api_account_enable"),
    path("accounts/<int:account_id>/disable/", accounts.AccountDisableView.as_view(), name="api_account_disable"),
    path("accounts/<int:account_id>/move/", fleet.AccountMoveView.as_view(), name="api_account_move"),
    path("accounts/<int:account_id>/sms/installation/", activation.InstallationSmsView.as_view(), name="api_account_sms_installation"),
    path("accounts/<int:account_id>/sms/activation/", activation.ActivationSmsView.as_view(), name="api_account_sms_activation"),
    path("accounts/<int:account_id>/licence/clear/", licensing.LicenceClearView.as_view(), name="api_account_licence_clear"),
    path("accounts/<int:account_id>/licence/revoke-keys/", licensing.LicenceRevokeKeysView.as_view(), name="api_account_licence_revoke_keys"),
    path("sms/", activation.SmsListView.as_view(), name="api_sms"),
    path("licences/", licensing.LicenceListView.as_view(), name="api_licences"),
    path("registrations/", accounts.RegistrationListView.as_view(), name="api_registrations"),
    path("audit/", audit.AuditListView.as_view(), name="api_audit"),
    re_path(r"^.*$", NoSuchResource.as_view()),
]
