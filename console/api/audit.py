"""The audit log through the REST API (O3): read-only, for Administrators, as the audit page."""
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers

from console.api.pagination import CURSOR_PARAMETERS, cursor_page, page_of
from console.api.permissions import AdministratorsOnly, ApiAccess
from console.api.views import ApiView
from console.models import AuditEntry


@extend_schema_field({"type": ["object", "null"], "additionalProperties": True})
class Snapshot(serializers.JSONField):
    """Before or after values by field; null when the entry has none."""


class AuditEntrySerializer(serializers.ModelSerializer):
    before = Snapshot(read_only=True)
    after = Snapshot(read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor_kind", "actor", "actor_label", "action", "object_type", "object_id", "object_repr",
                  "account_id", "group_id", "before", "after", "message"]
        read_only_fields = fields


def _number(request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise exceptions.ValidationError({name: [gettext("An id is a whole number.")]})
    return int(text)


class AuditListView(ApiView):
    permission_classes = [ApiAccess, AdministratorsOnly]

    @extend_schema(operation_id="audit_list", responses=page_of(AuditEntrySerializer), summary="The audit log, newest first",
                   parameters=[OpenApiParameter("action", str, description="Entries whose action starts with this (e.g. account.)."),
                               OpenApiParameter("account_id", int), *CURSOR_PARAMETERS])
    def get(self, request):
        entries = AuditEntry.objects.all()
        action = request.query_params.get("action", "").replace("\x00", "").strip()
        if action:
            entries = entries.filter(action__startswith=action)
        account_id = _number(request, "account_id")
        if account_id is not None:
            entries = entries.filter(account_id=account_id)
        return cursor_page(request, entries, ["-at", "-pk"], AuditEntrySerializer)
