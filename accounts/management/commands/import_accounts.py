"""`manage.py import_accounts FILE.csv --group NAME`: the batch way from the shell (B1)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.batch.importer import ImportOptions, accounts_import
from console.audit import Actor
from groups.models import Group


class Command(BaseCommand):
    help = ("Import accounts from a CSV file (the console's template columns) into a group: every row or none. "
            "On any problem it prints the report, writes nothing and exits with status 1.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file.")
        parser.add_argument("--group", required=True, help="The group's name (case-insensitive).")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file and print the report.")
        parser.add_argument("--send-installation-sms", action="store_true", help="Queue the installation SMS of every imported account.")
        parser.add_argument("--send-activation-sms", action="store_true", help="Queue the activation SMS of every imported account.")

    def handle(self, *args, file: str, group: str, dry_run: bool, **options):
        target = Group.objects.filter(name__iexact=group).first()
        if target is None:
            raise CommandError(f"There is no group named {group!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file!r}.")
        import_options = ImportOptions(
            send_installation_sms=options["send_installation_sms"], send_activation_sms=options["send_activation_sms"],
        )
        with path.open("rb") as stream:
            report = accounts_import(
                actor=Actor.command("import_accounts"), group=target, stream=stream, dry_run=dry_run,
                options=import_options, source_name=path.name,
            )
        if not report.ok or (not dry_run and not report.committed):
            for problem in report.problems:
                where = f"row {problem.line}" if problem.line else "file"
                column = f", column {problem.column}" if problem.column else ""
                self.stderr.write(f"{where}{column}: {problem.message}")
            if not report.listed_all_problems:
                self.stderr.write(f"... {report.problem_count - len(report.problems)} more problems not listed.")
            raise CommandError(report.summary(), returncode=1)
        if dry_run:
            self.stdout.write(report.summary())
        else:
            self.stdout.write(f"{report.imported} account{'s' if report.imported != 1 else ''} imported into {target.name}.")
