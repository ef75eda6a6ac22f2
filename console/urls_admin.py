"""The console's own Administrator pages."""
from django.urls import path

from console import signin_views, views

urlpatterns = [
    path("operators/", views.operator_list, name="operator_list"),
    path("operators/new/", views.operator_create_view, name="operator_create"),
    path("operators/<int:operator_id>/", views.operator_edit, name="operator_edit"),
    path("operators/<int:operator_id>/reset-password/", views.operator_reset_password, name="operator_reset_password"),
    path("operators/<int:operator_id>/reset-two-factor/", signin_views.operator_reset_two_factor, name="operator_reset_two_factor"),
    path("operators/sign-in-policy/", signin_views.sign_in_policy, name="sign_in_policy"),
    path("sessions/throttles/", signin_views.login_throttle_list, name="login_throttle_list"),
    path("sessions/throttles/<int:throttle_id>/clear/", signin_views.login_throttle_clear_view, name="login_throttle_clear"),
    path("audit/", views.audit_list, name="audit_list"),
    path("sessions/", views.session_log, name="session_log"),
    path("services/", views.services, name="services"),
]
