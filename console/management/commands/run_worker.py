"""The worker: sends SMS, applies delivery reports, notices registrations, keeps the search index warm."""
import signal

from django.core.management.base import BaseCommand

from console.worker import run_forever


def _stop(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the background worker (many may run at once on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=None, help="Stop after this many rounds (default: run until stopped).")

    def handle(self, *args, rounds: int | None, **options):
        # A supervisor's SIGTERM stops the worker as Ctrl-C does: the SMS batches in hand are finished and recorded.
        signal.signal(signal.SIGTERM, _stop)
        self.stdout.write("Worker started.")
        try:
            run_forever(rounds=rounds)
        except KeyboardInterrupt:
            self.stdout.write("Worker stopped.")
