"""Template context shared by every console page."""
from django.urls import NoReverseMatch, reverse

from console.navigation import MENU


def navigation(request) -> dict:
    """The menu entries this operator may use, each with its URL and whether it is the current page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries = []
    for entry in MENU:
        if entry.administrators_only and not user.is_administrator:
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)  # the home page is no prefix
        entries.append({"label": entry.label, "url": url, "icon": entry.icon, "active": active})
    return {"menu_entries": entries}
