"""Fill the console with demo groups and accounts, fast enough for a million (bench/)."""
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.demo_data import DEMO_PASSWORD, analyze_tables, demo_data_generate
from accounts.search.engine.index import get_index
from console.audit import Actor
from console.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Create demo groups and accounts (each with its licence) in one transaction, with one audit "
        "entry for the run, then rebuild this node's search index (as rebuild_search_index does). "
        "On PostgreSQL, from 100000 accounts on, the account and licence tables are locked for the "
        "whole run (their indexes are dropped and rebuilt around the load)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--groups", type=int, required=True, help="Number of groups to create.")
        parser.add_argument("--accounts", type=int, required=True, help="Number of accounts to create.")
        parser.add_argument(
            "--largest-group", type=int, default=None, metavar="N",
            help="Put N accounts in the first group and share the rest evenly (default: all groups about equal).",
        )
        parser.add_argument(
            "--password", default=DEMO_PASSWORD,
            help="The SIP password of every plain-way demo account (its digests are stored).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the pseudo-random data.")
        parser.add_argument(
            "--skip-search-index", action="store_true",
            help="Leave the search index as it is: the next search (small data) or the worker rebuilds it.",
        )

    def handle(self, *args, groups: int, accounts: int, largest_group: int | None, password: str, seed: int,
               skip_search_index: bool, **options):
        started = time.monotonic()

        def progress(written: int) -> None:
            if written % 100_000 == 0 or written == accounts:
                self.stdout.write(f"  {written} accounts written ({time.monotonic() - started:.1f} s)")

        try:
            result = demo_data_generate(
                actor=Actor.command("generate_demo_data"), groups=groups, accounts=accounts,
                largest_group=largest_group, password=password, seed=seed, progress=progress,
            )
        except ServiceError as error:
            raise CommandError(error.message) from None
        written = time.monotonic() - started
        analyze_tables()
        largest = result.groups[0]
        self.stdout.write(self.style.SUCCESS(
            f"Created {len(result.groups)} groups and {result.accounts} accounts in {written:.1f} s "
            f"(statistics refreshed in {time.monotonic() - started - written:.1f} s)."
        ))
        self.stdout.write(f"Largest group: {largest.name} (id {largest.pk}) with {result.largest_group_accounts} accounts.")
        self.stdout.write(f"Plain-way accounts have the SIP password {password!r}.")
        if skip_search_index or connection.in_atomic_block:
            # Inside a transaction (a test's) the index must not take rows that may roll back.
            self.stdout.write(self.style.WARNING(
                "The search index does not know these accounts yet: searches say it is being brought up to date "
                "until the worker or `python manage.py rebuild_search_index` has rebuilt it."
            ))
            return
        started = time.monotonic()
        indexed = get_index().rebuild()
        self.stdout.write(f"Search index rebuilt (as rebuild_search_index does): {indexed} accounts "
                          f"in {time.monotonic() - started:.1f} s.")
