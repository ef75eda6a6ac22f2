"""The console's URL map: one include per app, plus the public client web service."""
from django.contrib import admin
from django.templatetags.static import static
from django.views.generic.base import RedirectView
from django.urls import include, path

from console import views

urlpatterns = [
    # The public client web service first: client apps call it far more often than operators click.
    path("", include("licensing.urls_public")),
    path("", include("activation.urls_public")),
    path("", views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("", include("console.urls_admin")),
    path("api/v1/", include("console.api.urls")),
    path("", include("console.api.urls_pages")),
    path("groups/", include("groups.urls")),
    path("accounts/", include("accounts.urls")),
    path("activation/", include("activation.urls")),
    path("licensing/", include("licensing.urls")),
    path("django-admin/", admin.site.urls),
]
