"""A read-only Django admin view of accounts: the yardstick bench/list_pages.py measures the
console's account list against (same columns, filter, page size and sort keys).

It is view-only on purpose: writes go through accounts/services.py (audit, status events, search
change log), which the admin would bypass. The console does not mount the admin; only the
benchmark does (bench/list_pages_urls.py).
"""
from django.contrib import admin

from accounts.models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "username", "owner", "caller_id", "virtual_number", "account_type", "enabled", "status",
        "status_changed_at", "licence_state",
    ]
    list_filter = ["group"]
    list_per_page = 50
    list_select_related = ["group", "licence"]
    # Counting every account (not just the filtered ones) on each page would make the admin pay a
    # cost the console does not; leaving it out keeps the comparison like for like.
    show_full_result_count = False

    @admin.display(description="licence")
    def licence_state(self, account: Account) -> str:
        licence = getattr(account, "licence", None)
        return licence.get_state_display() if licence else "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
