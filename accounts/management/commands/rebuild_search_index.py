"""`manage.py rebuild_search_index`: rebuild the account search index from the database."""
import time

from django.core.management.base import BaseCommand

from accounts.search.engine.index import get_index


class Command(BaseCommand):
    help = "Rebuild the account search index from the database (searches keep working meanwhile)."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        count = get_index().rebuild()
        elapsed = time.monotonic() - started
        self.stdout.write(f"Indexed {count} accounts in {elapsed:.1f} s.")
