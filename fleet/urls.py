from django.urls import path

from fleet import views

app_name = "fleet"
urlpatterns = [
    path("", views.bulk_confirm, name="bulk_confirm"),
    path("run/", views.bulk_run, name="bulk_run"),
    path("batches/", views.bulk_list, name="bulk_list"),
    path("<int:batch_id>/", views.bulk_batch, name="bulk_batch"),
    path("<int:batch_id>/progress/", views.bulk_progress, name="bulk_progress"),
    path("<int:batch_id>/cancel/", views.bulk_cancel_view, name="bulk_cancel"),
    path("group/<int:group_id>/delete/", views.group_delete_emptying_view, name="group_delete_emptying"),
]
