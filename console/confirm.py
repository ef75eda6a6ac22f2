"""The no-JavaScript fallback of confirmation pop-ups: a plain page that posts the same form."""
from django.shortcuts import render


def confirmation_page(
    request, *, title: str, body: str, action_url: str, confirm: str, cancel_url: str, danger: bool = False,
    confirm_class: str = "",
):
    """Render a page asking to confirm `title`; its button posts to `action_url`. The button is
    red for `danger`, else `confirm_class` (a Bootstrap button class) or the primary style."""
    return render(request, "includes/_confirm_page.html", {
        "title": title, "body": body, "action_url": action_url, "confirm": confirm,
        "confirm_class": "btn-danger" if danger else confirm_class or "btn-primary", "cancel_url": cancel_url,
    })
