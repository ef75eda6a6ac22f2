"""The console pages of the API: tokens and the documentation."""
from django.urls import path

from console.api import pages

urlpatterns = [
    path("api-tokens/", pages.api_token_list, name="api_token_list"),
    path("api-tokens/all/", pages.api_token_admin_list, name="api_token_admin_list"),
    path("api-tokens/<int:token_id>/revoke/", pages.api_token_revoke_view, name="api_token_revoke"),
    path("api-docs/", pages.api_docs, name="api_docs"),
]
