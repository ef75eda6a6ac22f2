"""In a browser, at desktop and phone size: 50 accounts move to another group with their licences,
and a group that holds accounts is deleted with them after typing its name."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from groups.models import Group
from licensing.models import Licence
from tests.conftest import DESKTOP, PHONE, log_in, make_account, screenshot

pytestmark = pytest.mark.django_db(transaction=True)
SIZES = [(DESKTOP, "desktop"), (PHONE, "phone")]


@pytest.mark.parametrize("size,name", SIZES)
def test_move_50_accounts_and_find_them_in_the_new_group_with_their_licences(size, name, browser_page, personas):
    target = Group.objects.create(name=f"Acme {name}")
    personas.operator.account_groups.add(target)
    movers = [make_account(personas.group, owner=f"Mover {n}") for n in range(50)]
    stay = make_account(personas.group, owner="Stays put")
    Licence.objects.filter(account__in=movers[:10]).update(device_id="phone-x", state=Licence.State.VALID,
                                                           edition=Licence.Edition.ENTERPRISE, valid_until=date(2030, 1, 31))
    licences = list(Licence.objects.filter(account__in=movers).order_by("pk").values())

    page = browser_page(size=size)
    log_in(page, personas.operator.username)
    page.goto(f"/accounts/group/{personas.group.pk}/?q=mover")
    page.get_by_label("Bulk action", exact=True).select_option("move")
    page.get_by_role("button", name="Apply to all 50 matching").click()
    expect(page.locator(".bulk-consequence")).to_contain_text("Move 50 accounts: their licence")
    page.get_by_label("Move to the group").select_option(label=target.name)
    screenshot(page, f"fleet_move_confirm_{name}")
    page.get_by_role("button", name="Move 50 accounts").click()
    expect(page.locator(".bulk-summary")).to_contain_text("moved 50 of 50 accounts, 0 skipped")

    page.goto(f"/accounts/group/{target.pk}/?status=&sort=username")
    expect(page.locator(".pagination, p.small").first).to_contain_text("50 in all")
    expect(page.locator("table.table-accounts tbody td").filter(has_text=re.compile(r"^Valid$"))).to_have_count(10)
    screenshot(page, f"fleet_move_target_group_{name}")
    assert set(Account.objects.filter(group=target).values_list("pk", flat=True)) == {a.pk for a in movers}
    assert list(Licence.objects.filter(account__in=movers).order_by("pk").values()) == licences
    assert Account.objects.get(pk=stay.pk).group_id == personas.group.pk


@pytest.mark.parametrize("size,name", SIZES)
def test_delete_a_group_with_its_accounts_after_typing_its_name(size, name, browser_page, personas):
    doomed = Group.objects.create(name=f"Closing {name}")
    accounts = [make_account(doomed) for _ in range(3)]
    kept = make_account(personas.group)

    page = browser_page(size=size)
    log_in(page, personas.administrator.username)
    page.goto("/groups/")
    page.locator("tr", has_text=doomed.name).get_by_role("link", name="Delete").click()
    expect(page.locator("main")).to_contain_text("holds 3 accounts")
    page.get_by_label("Type the group's name").fill(doomed.name.upper())
    page.get_by_role("button", name="Delete the group and its 3 accounts").click()
    expect(page.locator(".alert-danger, .alert-warning").first).to_contain_text("exactly: nothing was deleted")
    assert Account.objects.filter(group=doomed).count() == 3
    page.get_by_label("Type the group's name").fill(doomed.name)
    screenshot(page, f"fleet_group_delete_{name}")
    page.get_by_role("button", name="Delete the group and its 3 accounts").click()
    expect(page.locator(".bulk-summary")).to_contain_text(f"deleted 3 of 3 accounts, 0 skipped. Group “{doomed.name}” was deleted.")

    assert not Group.objects.filter(pk=doomed.pk).exists()
    assert not Account.objects.filter(pk__in=[a.pk for a in accounts]).exists() and Account.objects.filter(pk=kept.pk).exists()
    page.goto("/groups/")
    expect(page.locator("main")).not_to_contain_text(doomed.name)
