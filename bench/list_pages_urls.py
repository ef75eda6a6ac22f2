"""The console's URLs plus Django's admin, the yardstick bench/list_pages.py measures the account
list against. Only that benchmark mounts the admin: the console itself does not."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("console.urls")),
    path("django-admin/", admin.site.urls),
]
