"""Give an operator a new one-time password from the shell: the way back in for an Administrator
who lost theirs (the console's own reset needs another Administrator)."""
from django.core.management.base import BaseCommand, CommandError

from console.audit import Actor
from console.models import Operator
from console.services import generate_one_time_password, operator_set_password


class Command(BaseCommand):
    help = "Set a new one-time password for an operator (printed once; it must be changed at the next login)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The operator, e.g. admin (the first Administrator).")

    def handle(self, *args, username: str, **options):
        operator = Operator.objects.filter(username=username).first()
        if operator is None:
            raise CommandError(f"No operator is called {username!r}.")
        password = generate_one_time_password()
        operator_set_password(actor=Actor.system(), operator_id=operator.pk, password=password, must_change=True)
        self.stdout.write(f"New one-time password for {operator.username}: {password}\n"
                          "Log in with it and choose your own password.")
