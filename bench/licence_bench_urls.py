"""The console's URLs plus /bench/trivial: a Django view doing nothing, the ceiling the licence
endpoint is compared with. Only bench/licence_load.py's gunicorn uses this URLconf."""
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def trivial(request):
    return HttpResponse(b'{"ok":true}', content_type="application/json")


# Resolved at the same depth as the licence URL (the first pattern of the first include of
# console.urls), so that URL resolution costs both the same: mounted last, the trivial view cost
# more to resolve than the licence endpoint, walking every console pattern first.
urlpatterns = [
    path("", include([path("bench/trivial", trivial)])),
    path("", include("console.urls")),
]
