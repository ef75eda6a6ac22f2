"""Every string a page shows is marked for translation: each page of the permission matrix and
each customer page is rendered under a pseudo-locale that wraps every translated string in ⟦ ⟧,
and any words left outside the markers must be data (stored names, numbers, dates)."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.console.test_permission_matrix import VIEWS, build_world
from tests.fixtures.sms import send_and_deliver
from tests.i18n.pseudo import (
    outside_markers,
    pseudo_translation,
    stored_values,
    unmarked,
)

# Names of the languages in themselves (the language menu): the same in every language.
LANGUAGE_NAMES = {name for _, name in settings.LANGUAGES}
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


def _operator_pages(world) -> dict[str, str]:
    """Each page of the permission matrix as an Administrator sees it, and the refusal pages."""
    administrator = Client()
    administrator.force_login(world.personas.administrator)
    pages = {case.url_name: administrator.get(case.url(world), follow=True) for case in VIEWS if "GET" in case.methods}
    operator = Client()
    operator.force_login(world.personas.operator)
    pages["403"] = operator.get(reverse("operator_list"))
    pages["404"] = administrator.get("/no-such-page/")
    pages["login"] = Client().get(reverse("login"))
    return {name: response.content.decode() for name, response in pages.items() if _is_html_page(response)}


def _is_html_page(response) -> bool:
    """A page a person reads (not a CSV download, a JSON answer or a streamed file)."""
    return not response.streaming and response.get("Content-Type", "").startswith("text/html")


def _customer_pages(account) -> dict[str, str]:
    installation = send_and_deliver(account, "installation")
    activation = send_and_deliver(account, "activation")
    phone = Client(HTTP_USER_AGENT=PHONE)
    urls = {"installation page": f"/i/{installation}", "activation page": f"/a/{activation}",
            "unknown link": "/a/no-such-token-0000000000"}
    return {name: phone.get(url).content.decode() for name, url in urls.items()}


def _audited_sms_and_licence_expiry(world) -> None:
    """Audit entries whose sentences are kept translatable, for the audit log to show: an SMS
    queued and a licence expired."""
    from django.utils import timezone

    from activation.services import activation_send_sms
    from console.audit import Actor
    from licensing.models import Licence
    from licensing.services import licences_mark_expired

    activation_send_sms(actor=Actor.of(world.personas.administrator), account_id=world.account.pk, purpose="installation")
    Licence.objects.filter(account=world.disabled_account).update(valid_until=timezone.localdate() - timedelta(days=1))
    licences_mark_expired(actor=Actor.system(), today=timezone.localdate())


@pytest.fixture
def rendered(personas, wizard_account) -> dict[str, str]:
    world = build_world(personas)
    _audited_sms_and_licence_expiry(world)
    with pseudo_translation():
        pages = {**_operator_pages(world), **_customer_pages(wizard_account)}
    assert all("⟦" in html for html in pages.values()), "the pseudo-locale did not reach every page"
    return pages


def _unmarked_by_page(pages: dict[str, str], keep=lambda piece: True) -> dict[str, list[str]]:
    data = stored_values() | LANGUAGE_NAMES
    found = {page: [piece for piece in unmarked(outside_markers(html), data) if keep(piece)] for page, html in pages.items()}
    return {page: pieces for page, pieces in found.items() if pieces}


def _report(found: dict[str, list[str]]) -> str:
    return "text not marked for translation:\n" + "\n".join(f"  {page}: {pieces}" for page, pieces in sorted(found.items()))


def test_no_page_shows_text_that_is_not_marked_for_translation(rendered):
    found = _unmarked_by_page(rendered)
    assert not found, _report(found)


def test_the_pseudo_locale_finds_a_string_nobody_marked(personas):
    """The check's own control: an unmarked word on a page is found, a marked one is not."""
    page = "<main><h1>⟦Gruppi⟧</h1><p>Unmarked words</p><p>⟦<strong>x</strong> allowed⟧</p><td>Acme</td><td>2026-12-07</td></main>"
    assert unmarked(outside_markers(page), {"Acme"}) == ["Unmarked words"]
