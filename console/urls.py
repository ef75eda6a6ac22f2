"""The console's URL map: one include per app, plus the public client web service."""
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from console import signin_views, views

urlpatterns = [
    # The public client web service first: client apps call it far more often than operators click.
    path("", include("licensing.urls_public")),
    path("", include("activation.urls_public")),
    path("", include("fleet.urls_home")),  # the dashboard
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("login/", signin_views.login_view, name="login"),
    path("login/code/", signin_views.login_code, name="login_code"),
    path("two-factor/", signin_views.two_factor, name="two_factor"),
    path("two-factor/recovery-codes/", signin_views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("language/", views.language_set, name="language_set"),
    path("", include("console.urls_admin")),
    path("api/v1/", include("console.api.urls")),
    path("", include("console.api.urls_pages")),
    path("groups/", include("groups.urls")),
    path("accounts/", include("accounts.urls")),
    path("activation/", include("activation.urls")),
    path("licensing/", include("licensing.urls")),
    path("accounts/bulk/", include("fleet.urls")),
]
