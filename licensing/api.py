"""The licensing app's REST resources: licences needing attention (L4), clear a licence status and
revoke keys (L3), on the same services and queries as the pages."""
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers

from accounts.api import AccountSerializer, account_response, visible_account
from accounts.models import Account
from console.api.authentication import api_actor
from console.api.pagination import (
    CURSOR_PARAMETERS,
    cursor_page,
    page_of,
    sort_ordering,
)
from console.api.views import ApiView
from licensing.models import Licence
from licensing.queries import ATTENTION_REASONS, licences_needing_attention
from licensing.services import licence_clear, licence_revoke_keys
from licensing.views import LICENCE_COLUMNS as PAGE_COLUMNS

# A cursor continues after the last row's sort values: the columns that may be empty are not offered.
LICENCE_COLUMNS = [column for column in PAGE_COLUMNS if column.key not in ("valid_until", "last_checked")]


class LicenceSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="account.username", read_only=True)
    owner = serializers.CharField(source="account.owner", read_only=True)
    group = serializers.IntegerField(source="account.group_id", read_only=True)
    attention = serializers.ChoiceField(list(ATTENTION_REASONS), read_only=True)

    class Meta:
        model = Licence
        fields = ["account", "username", "owner", "group", "edition", "valid_until", "state", "device_id", "bound_at",
                  "conflict_device_id", "last_checked_at", "keys_revoked", "attention"]
        read_only_fields = fields


class LicenceListView(ApiView):
    @extend_schema(operation_id="licences_list", responses=page_of(LicenceSerializer), summary="Licences needing attention", parameters=[
        OpenApiParameter("reason", str, enum=list(ATTENTION_REASONS)),
        OpenApiParameter("sort", str, enum=[prefix + column.key for column in LICENCE_COLUMNS for prefix in ("", "-")]),
        *CURSOR_PARAMETERS,
    ])
    def get(self, request):
        reason = request.query_params.get("reason") or None
        if reason is not None and reason not in ATTENTION_REASONS:
            raise exceptions.ValidationError({"reason": [gettext("Unknown reason %(reason)s: one of %(items)s.") % {"reason": repr(reason), "items": ', '.join(ATTENTION_REASONS)}]})
        licences = licences_needing_attention(Account.objects.visible_to(request.user), reason=reason)
        return cursor_page(request, licences, sort_ordering(request, LICENCE_COLUMNS, "reason"), LicenceSerializer)


class LicenceActionView(ApiView):
    service: staticmethod

    @extend_schema(request=None, responses=AccountSerializer)
    def post(self, request, account_id: int):
        account = visible_account(request, account_id)
        self.service(actor=api_actor(request), account_id=account.pk)
        return account_response(request, account.pk)


class LicenceClearView(LicenceActionView):
    service = staticmethod(licence_clear)


class LicenceRevokeKeysView(LicenceActionView):
    service = staticmethod(licence_revoke_keys)
