"""The account list's "last status older than N days" filter (the dashboard's stuck links)."""
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from tests.conftest import make_account


def test_the_list_filters_accounts_whose_last_status_is_older_than_n_days(personas, client_for):
    old, _recent, other_status = (make_account(personas.group) for _ in range(3))
    Account.objects.filter(pk__in=[old.pk, other_status.pk]).update(status_changed_at=timezone.now() - timedelta(days=4))
    Account.objects.filter(pk=other_status.pk).update(status=Account.Status.INSTALLED)

    response = client_for(personas.operator).get(reverse("accounts:account_list", args=[personas.group.pk]), {"status": "created", "stuck": "3"})

    assert [account.pk for account in response.context["page"]] == [old.pk]
    assert "Last status older than 3 days" in response.content.decode()
    for malformed in ("0", "-1", "x", "99999"):
        response = client_for(personas.operator).get(reverse("accounts:account_list", args=[personas.group.pk]), {"stuck": malformed})
        assert response.status_code == 200 and response.context["page"].paginator.count == 3
