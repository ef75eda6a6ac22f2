"""The console's URLs plus /bench/trivial: a Django view doing nothing, the ceiling the licence
endpoint is compared with. Only bench/licence_load.py's gunicorn uses this URLconf."""
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def trivial(request):
    return HttpResponse(b'{"ok":true}', content_type="application/json")


# Last, so that resolving it walks every console pattern first, as the licence URL's does.
urlpatterns = [
    path("", include("console.urls")),
    path("bench/trivial", trivial),
]
