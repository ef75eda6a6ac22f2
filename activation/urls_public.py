"""Public pages and endpoints of the client web service (no operator login)."""
from django.urls import include, path

from activation import views_public as views

public_patterns = [
    path("i/<str:token>", views.installation_page, name="installation_page"),
    path("i/<str:token>/download", views.installation_download, name="installation_download"),
    path("i/<str:token>/opened", views.link_opened, {"purpose": "installation"}, name="installation_opened"),
    path("a/<str:token>", views.activation_page, name="activation_page"),
    path("a/<str:token>/opened", views.link_opened, {"purpose": "activation"}, name="activation_opened"),
    path("client/v1/installed", views.installation_report, name="installation_report"),
    path("client/v1/sms-status/<int:sms_id>/<str:signature>", views.sms_status, name="sms_status"),
]

urlpatterns = [path("", include((public_patterns, "activation_public")))]
