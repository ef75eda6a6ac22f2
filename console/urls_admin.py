"""The console's own Administrator pages."""
from django.urls import path

from console import views

urlpatterns = [
    path("operators/", views.operator_list, name="operator_list"),
    path("operators/new/", views.operator_create_view, name="operator_create"),
    path("operators/<int:operator_id>/", views.operator_edit, name="operator_edit"),
    path("operators/<int:operator_id>/reset-password/", views.operator_reset_password, name="operator_reset_password"),
    path("audit/", views.audit_list, name="audit_list"),
    path("sessions/", views.session_log, name="session_log"),
    path("services/", views.services, name="services"),
]
