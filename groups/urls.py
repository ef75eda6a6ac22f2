from django.urls import path

from groups import views

app_name = "groups"
urlpatterns = [
    path("", views.group_list, name="group_list"),
    path("new/", views.group_create_view, name="group_create"),
    path("<int:group_id>/edit/", views.group_edit, name="group_edit"),
    path("<int:group_id>/delete/", views.group_delete_view, name="group_delete"),
]
