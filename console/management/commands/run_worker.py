"""The worker: sends SMS, applies delivery reports, notices registrations, keeps the search index warm."""
from django.core.management.base import BaseCommand

from console.worker import run_forever


class Command(BaseCommand):
    help = "Run the background worker (many may run at once on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=None, help="Stop after this many rounds (default: run until stopped).")

    def handle(self, *args, rounds: int | None, **options):
        self.stdout.write("Worker started.")
        try:
            run_forever(rounds=rounds)
        except KeyboardInterrupt:
            self.stdout.write("Worker stopped.")
