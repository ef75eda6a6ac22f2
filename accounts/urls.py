from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("group/<int:group_id>/", views.account_list, name="account_list"),
    path("group/<int:group_id>/new/", views.account_create_view, name="account_create"),
    path("<int:account_id>/", views.account_detail, name="account_detail"),
    path("<int:account_id>/edit/", views.account_edit, name="account_edit"),
    path("<int:account_id>/enable/", views.account_set_enabled_view, {"enabled": True}, name="account_enable"),
    path("<int:account_id>/disable/", views.account_set_enabled_view, {"enabled": False}, name="account_disable"),
    path("<int:account_id>/delete/", views.account_delete_view, name="account_delete"),
]
