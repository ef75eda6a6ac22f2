from django.urls import path

from accounts import views
from accounts.batch import views as batch_views
from accounts.search import views as search_views
from accounts.sipserver import views as sipserver_views

app_name = "accounts"
urlpatterns = [
    path("group/<int:group_id>/", views.account_list, name="account_list"),
    path("group/<int:group_id>/new/", views.account_create_view, name="account_create"),
    path("<int:account_id>/", views.account_detail, name="account_detail"),
    path("<int:account_id>/edit/", views.account_edit, name="account_edit"),
    path("<int:account_id>/enable/", views.account_set_enabled_view, {"enabled": True}, name="account_enable"),
    path("<int:account_id>/disable/", views.account_set_enabled_view, {"enabled": False}, name="account_disable"),
    path("<int:account_id>/delete/", views.account_delete_view, name="account_delete"),
    path("search/", search_views.account_search, name="account_search"),
    path("registered/", sipserver_views.registration_list, name="registration_list"),
    path("batch/template.csv", batch_views.batch_template, name="batch_template"),
    path("search/export.csv", batch_views.batch_export_search, name="batch_export_search"),
    path("group/<int:group_id>/export.csv", batch_views.batch_export, name="batch_export"),
    path("group/<int:group_id>/import/", batch_views.batch_upload, name="batch_upload"),
    path("import/<int:job_id>/", batch_views.batch_job, name="batch_job"),
    path("import/<int:job_id>/commit/", batch_views.batch_commit, name="batch_commit"),
    path("import/<int:job_id>/progress/", batch_views.batch_progress, name="batch_progress"),
]
