"""The console's home page: the fleet dashboard (F4)."""
from django.urls import path

from fleet import views

urlpatterns = [path("", views.dashboard, name="home")]
