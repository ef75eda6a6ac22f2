from django.urls import path

from licensing import views

app_name = "licensing"
urlpatterns = [
    path("", views.licence_list, name="licence_list"),
    path("accounts/<int:account_id>/clear/", views.licence_clear_view, name="licence_clear"),
    path("accounts/<int:account_id>/revoke-keys/", views.licence_revoke_keys_view, name="licence_revoke_keys"),
]
