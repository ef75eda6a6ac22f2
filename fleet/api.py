"""The fleet's REST resources: move an account to another group (F3), with the same target check,
service and audit entries as the console's move."""
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers

from accounts.api import AccountSerializer, account_response, visible_account
from accounts.services import accounts_move
from console.api.authentication import api_actor
from console.api.views import ApiView
from console.errors import ServiceError
from fleet.services import bulk_parameters
from groups.models import Group


class AccountMoveInput(serializers.Serializer):
    group = serializers.IntegerField(help_text="The id of a group the operator may see.")


class AccountMoveView(ApiView):
    @extend_schema(operation_id="accounts_move", request=AccountMoveInput, responses=AccountSerializer,
                   summary="Move an account to another group (its licence, own profile and history go with it)")
    def post(self, request, account_id: int):
        account = visible_account(request, account_id)
        target = request.data.get("group", "") if isinstance(request.data, dict) else ""
        try:
            parameters = bulk_parameters(operator=request.user, action="move", group_id=str(target))
        except ServiceError as refusal:
            raise exceptions.ValidationError({"group": [refusal.message]}) from refusal
        skipped = accounts_move(actor=api_actor(request), account_ids=[account.pk],
                                group=Group.objects.get(pk=parameters["group_id"]))
        if skipped:
            raise ServiceError(gettext("Nothing was done: the account is %(reason)s.") % {"reason": skipped[account.pk]})
        return account_response(request, account.pk)
