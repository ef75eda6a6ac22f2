"""The base of every API view."""
from rest_framework.views import APIView


class ApiView(APIView):
    """An API view whose answers no cache keeps: they carry an operator's data (as the pages do)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers.setdefault("Cache-Control", "no-store")
        return response
