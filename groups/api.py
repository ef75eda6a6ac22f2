"""Groups through the REST API (G1, G2): list and read for every operator (in their scope);
create, change (If-Match) and delete for Administrators, with the group form's validation."""
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from console.api.authentication import api_actor
from console.api.idempotency import idempotent
from console.api.inputs import etag, expected_version, form_data, require_valid
from console.api.pagination import (
    CURSOR_PARAMETERS,
    cursor_page,
    page_of,
    sort_ordering,
)
from console.api.permissions import AdministratorsOnly, ApiAccess
from console.api.views import ApiView
from groups.forms import GroupForm
from groups.models import Group
from groups.services import group_create, group_delete, group_update
from groups.views import GROUP_COLUMNS, GROUP_FIELDS

GROUP_INPUT_FIELDS = set(GROUP_FIELDS)


class GroupSerializer(serializers.ModelSerializer):
    account_count = serializers.IntegerField(read_only=True)
    admin_email = serializers.CharField(read_only=True, help_text="May be empty.")

    class Meta:
        model = Group
        fields = ["id", "name", "admin_email", "description", "profile", "account_count", "version", "created_at"]
        read_only_fields = fields


class GroupInput(serializers.Serializer):
    name = serializers.CharField()
    admin_email = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    profile = serializers.IntegerField(required=False, allow_null=True)


class GroupUpdateInput(GroupInput):
    name = serializers.CharField(required=False)


def _visible(request, group_id: int) -> Group:
    group = Group.objects.visible_to(request.user).with_account_counts().filter(pk=group_id).first()
    if group is None:
        raise Http404
    return group


def group_response(request, group_id: int, status_code: int = status.HTTP_200_OK) -> Response:
    group = _visible(request, group_id)
    return Response(GroupSerializer(group).data, status=status_code, headers={"ETag": etag(group.version)})


class AdministratorsWrite(ApiView):
    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [ApiAccess()]
        return [ApiAccess(), AdministratorsOnly()]


class GroupListView(AdministratorsWrite):
    @extend_schema(operation_id="groups_list", responses=page_of(GroupSerializer), summary="The groups the operator may see",
                   parameters=[OpenApiParameter("sort", str, enum=[p + c.key for c in GROUP_COLUMNS for p in ("", "-")]),
                               *CURSOR_PARAMETERS])
    def get(self, request):
        groups = Group.objects.visible_to(request.user).with_account_counts()
        return cursor_page(request, groups, sort_ordering(request, [c for c in GROUP_COLUMNS if c.key != "profile"], "name"),
                           GroupSerializer)

    @extend_schema(operation_id="groups_create", request=GroupInput, responses={201: GroupSerializer}, summary="Create a group")
    @idempotent
    def post(self, request):
        form = require_valid(GroupForm(form_data(request.data, accepted=GROUP_INPUT_FIELDS)))
        group = group_create(actor=api_actor(request), **{name: form.cleaned_data[name] for name in GROUP_FIELDS})
        return group_response(request, group.pk, status.HTTP_201_CREATED)


class GroupView(AdministratorsWrite):
    @extend_schema(operation_id="groups_read", responses=GroupSerializer)
    def get(self, request, group_id: int):
        return group_response(request, group_id)

    @extend_schema(operation_id="groups_update", request=GroupUpdateInput, responses=GroupSerializer,
                   parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)])
    def patch(self, request, group_id: int):
        group = _visible(request, group_id)
        version = expected_version(request, group.version)
        current = {name: getattr(group, name) for name in GROUP_FIELDS}
        form = require_valid(GroupForm({**form_data(request.data, accepted=GROUP_INPUT_FIELDS, defaults=current), "version": version}))
        group_update(actor=api_actor(request), group_id=group.pk, expected_version=version,
                     **{name: form.cleaned_data[name] for name in GROUP_FIELDS})
        return group_response(request, group.pk)

    @extend_schema(operation_id="groups_delete", responses={204: None}, summary="Delete an empty group")
    def delete(self, request, group_id: int):
        group = _visible(request, group_id)
        group_delete(actor=api_actor(request), group_id=group.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
