"""The activation app's REST resources: create an account the wizard way (A3), send its
installation or activation SMS (P2, P3), the SMS log (M1). Same services and forms as the pages."""
from django.db.models import Q
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from accounts.api import (
    AccountSerializer,
    created_account_response,
    visible_account,
    visible_group,
)
from activation.forms import WizardForm
from activation.models import SmsMessage
from activation.services import account_create_wizard, activation_send_sms
from activation.views import SMS_COLUMNS
from console.api.authentication import api_actor
from console.api.idempotency import idempotent
from console.api.inputs import form_data, form_initial_data, require_valid
from console.api.pagination import (
    CURSOR_PARAMETERS,
    cursor_page,
    page_of,
    sort_ordering,
)
from console.api.views import ApiView
from groups.models import Group

WIZARD_FIELDS = {"owner", "email", "virtual_number", "security_model", "profile", "description"}


class WizardInput(serializers.Serializer):
    owner = serializers.CharField()
    virtual_number = serializers.CharField(help_text="International format: the SMS go to this mobile number.")
    email = serializers.CharField(required=False)
    security_model = serializers.CharField(required=False)
    profile = serializers.IntegerField(required=False, allow_null=True, help_text="Required when the group has no profile.")
    description = serializers.CharField(required=False)


class WizardView(ApiView):
    @extend_schema(operation_id="group_accounts_wizard", request=WizardInput, responses={201: AccountSerializer},
                   summary="Create an account the wizard way (disabled until the customer activates it)")
    @idempotent
    def post(self, request, group_id: int):
        group = visible_group(request, group_id, Group.objects.select_related("profile"))
        data = form_data(request.data, accepted=WIZARD_FIELDS, defaults=form_initial_data(WizardForm))
        form = require_valid(WizardForm(data, group=group))
        account = account_create_wizard(actor=api_actor(request), group=group, fields=form.cleaned_data)
        return created_account_response(request, account)


class SmsSerializer(serializers.ModelSerializer):
    class Meta:
        model = SmsMessage
        fields = ["id", "account", "group", "account_username", "purpose", "recipient", "text", "state", "attempts",
                  "last_error", "requested_by", "created_at", "sent_at", "finished_at"]
        read_only_fields = fields


class SmsSendView(ApiView):
    purpose: str

    @extend_schema(request=None, responses={201: SmsSerializer})
    @idempotent
    def post(self, request, account_id: int):
        account = visible_account(request, account_id)
        sms = activation_send_sms(actor=api_actor(request), account_id=account.pk, purpose=self.purpose)
        return Response(SmsSerializer(sms).data, status=status.HTTP_201_CREATED)


class InstallationSmsView(SmsSendView):
    purpose = SmsMessage.Purpose.INSTALLATION


class ActivationSmsView(SmsSendView):
    purpose = SmsMessage.Purpose.ACTIVATION


def _choice(request, name: str, allowed: list[str]) -> str:
    value = request.query_params.get(name, "")
    if value and value not in allowed:
        raise exceptions.ValidationError({name: [gettext("Unknown %(name)s %(value)s: one of %(items)s.") % {"name": name, "value": repr(value), "items": ', '.join(allowed)}]})
    return value


class SmsListView(ApiView):
    @extend_schema(operation_id="sms_list", responses=page_of(SmsSerializer), summary="The SMS log", parameters=[
        OpenApiParameter("state", str, enum=SmsMessage.State.values),
        OpenApiParameter("purpose", str, enum=SmsMessage.Purpose.values),
        OpenApiParameter("q", str, description="Part of the recipient's number or of the account's username."),
        OpenApiParameter("sort", str, enum=[prefix + column.key for column in SMS_COLUMNS for prefix in ("", "-")]),
        *CURSOR_PARAMETERS,
    ])
    def get(self, request):
        sms = SmsMessage.objects.visible_to(request.user)
        state, purpose = _choice(request, "state", SmsMessage.State.values), _choice(request, "purpose", SmsMessage.Purpose.values)
        text = request.query_params.get("q", "").replace("\x00", "").strip()
        if state:
            sms = sms.filter(state=state)
        if purpose:
            sms = sms.filter(purpose=purpose)
        if text:
            sms = sms.filter(Q(recipient__icontains=text) | Q(account_username__icontains=text))
        return cursor_page(request, sms, sort_ordering(request, SMS_COLUMNS, "-created"), SmsSerializer)
