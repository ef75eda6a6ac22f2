"""Rows per page (`?page_size=`): a list shows the size asked for when it is one of the offered
choices; any other value falls back to the default, without an error."""
import pytest
from django.urls import reverse

from activation.models import SmsMessage
from console.listing import PAGE_SIZE
from tests.conftest import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def sixty_accounts(personas):
    return [make_account(personas.group, owner=f"Owner {n}") for n in range(60)]


@pytest.mark.parametrize(("asked", "rows"), [
    ("25", 25), ("100", 60), ("", PAGE_SIZE), ("7", PAGE_SIZE), ("0", PAGE_SIZE), ("-25", PAGE_SIZE), ("100000", PAGE_SIZE),
    ("ten", PAGE_SIZE), (" 25", PAGE_SIZE), ("25\x00", PAGE_SIZE), ("²⁵", PAGE_SIZE),
])
def test_the_account_list_shows_an_offered_page_size_and_falls_back_from_any_other(personas, client_for, sixty_accounts, asked, rows):
    response = client_for(personas.operator).get(reverse("accounts:account_list", args=[personas.group.pk]), {"page_size": asked})
    assert response.status_code == 200
    assert len(response.context["page"]) == rows
    assert response.content.decode().count('class="account-link"') == rows


def test_the_page_size_holds_on_every_page(personas, client_for, sixty_accounts):
    client = client_for(personas.operator)
    last = client.get(reverse("accounts:account_list", args=[personas.group.pk]), {"page_size": "25", "page": "3"})
    assert len(last.context["page"]) == 10 and last.context["page"].paginator.num_pages == 3
    assert 'href="?page_size=25&amp;page=2"' in last.content.decode()


def test_the_sms_log_shows_an_offered_page_size_and_falls_back_from_any_other(personas, client_for, sixty_accounts):
    SmsMessage.objects.bulk_create(SmsMessage(account=account, group=personas.group, account_username=account.username,
                                              purpose=SmsMessage.Purpose.INSTALLATION, recipient=account.virtual_number,
                                              text="Install your secure voice app: …", next_attempt_at=account.created_at,
                                              created_at=account.created_at) for account in sixty_accounts)
    client = client_for(personas.administrator)
    assert [len(client.get(reverse("activation:sms_list"), {"page_size": asked}).context["page"]) for asked in ("25", "200", "1")] == [25, 60, PAGE_SIZE]

