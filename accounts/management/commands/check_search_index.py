"""`manage.py check_search_index`: compare the search index with the database."""
from django.core.management.base import BaseCommand, CommandError

from accounts.search.engine.index import get_index

SHOWN_PER_KIND = 20


class Command(BaseCommand):
    help = "Report every difference between the search index and the database; exit 1 on any."

    def handle(self, *args, **options) -> None:
        report = get_index().check()
        kinds = (
            ("missing from the index", report.missing),
            ("in the index but deleted from the database", report.extra),
            ("indexed with outdated values", report.stale),
            ("indexed more than once", report.duplicated),
        )
        for label, account_ids in kinds:
            if account_ids:
                shown = ", ".join(str(account_id) for account_id in account_ids[:SHOWN_PER_KIND])
                more = f" (and {len(account_ids) - SHOWN_PER_KIND} more)" if len(account_ids) > SHOWN_PER_KIND else ""
                self.stdout.write(f"{len(account_ids)} accounts {label}: {shown}{more}")
        if report.difference_count:
            raise CommandError(
                f"The search index differs from the database in {report.difference_count} accounts; "
                "run rebuild_search_index."
            )
        self.stdout.write(f"The search index matches the database ({report.accounts} accounts).")
