from django.urls import path

from activation import views

app_name = "activation"
urlpatterns = [
    path("profiles/", views.profile_list, name="profile_list"),
    path("profiles/new/", views.profile_create_view, name="profile_create"),
    path("profiles/<int:profile_id>/edit/", views.profile_edit, name="profile_edit"),
    path("profiles/<int:profile_id>/delete/", views.profile_delete_view, name="profile_delete"),
    path("groups/<int:group_id>/wizard/", views.account_wizard, name="account_wizard"),
    path("accounts/<int:account_id>/sms/installation/", views.sms_send, {"purpose": "installation"}, name="sms_send_installation"),
    path("accounts/<int:account_id>/sms/activation/", views.sms_send, {"purpose": "activation"}, name="sms_send_activation"),
    path("sms/", views.sms_list, name="sms_list"),
    path("sms/test/", views.sms_test, name="sms_test"),
]
