"""Public pages and endpoints of the client web service (no operator login)."""
from django.urls import path

from licensing import views_public

urlpatterns = [
    path("client/v1/licence", views_public.licence_validate, name="client_licence"),
    path("client/v1/openapi.json", views_public.openapi, name="client_openapi"),
    path("healthz", views_public.healthz, name="healthz"),
]
