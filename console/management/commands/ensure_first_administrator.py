"""Create the first Administrator on an empty console and print its one-time password (X2)."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from console.models import Operator
from console.services import first_administrator_create


class Command(BaseCommand):
    help = "On an empty database, create the first Administrator and print its one-time password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin",
                            help="The first Administrator's username (default: admin; choose another in production, "
                                 "as guessers try admin first).")
        parser.add_argument("--url", help="Where the console answers, for the message (default: PUBLIC_BASE_URL).")

    def handle(self, *args, username: str, url: str | None, **options):
        try:
            Operator._meta.get_field("username").run_validators(username)
        except ValidationError as error:
            raise CommandError(f"--username {username!r}: {' '.join(error.messages)}") from None
        created = first_administrator_create(username=username)
        if created is None:
            return
        operator, password = created
        banner = "=" * 64
        self.stdout.write(self.style.WARNING(
            f"{banner}\nFirst Administrator created.\n  username: {operator.username}\n"
            f"  one-time password: {password}\nLog in at {url or settings.PUBLIC_BASE_URL or 'the console'} "
            f"and choose your own password.\n{banner}"
        ))
