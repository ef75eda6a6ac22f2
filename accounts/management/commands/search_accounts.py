"""`manage.py search_accounts 'QUERY' [--group NAME]` and `--file FILE` (SPEC S5)."""
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from accounts.search.engine.index import search_account_ids
from accounts.search.engine.index_files import SearchIndexBusy
from accounts.search.language.errors import SearchQueryError
from groups.models import Group

MALFORMED_QUERY_EXIT_STATUS = 2


class Command(BaseCommand):
    help = (
        "Print the usernames of the accounts matching a Lucene query, one per line. With --file, "
        "answer one query per line as: query, tab, sorted comma-separated usernames (or ERROR, tab, message)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("query", nargs="?", help="the query, in Lucene query syntax")
        parser.add_argument("--group", help="search only this group (its name, any case)")
        parser.add_argument("--file", type=Path, help="a file with one query per line")

    def handle(self, *args, query: str | None, group: str | None, file: Path | None, **options) -> None:
        if (query is None) == (file is None):
            raise CommandError("Give either a QUERY or --file FILE.")
        group_ids = None if group is None else [self._group_id(group)]
        if file is not None:
            self._answer_file(file, group_ids)
            return
        try:
            usernames = _matching_usernames(query, group_ids)
        except SearchQueryError as error:
            self.stderr.write(f"error: {error}")
            sys.exit(MALFORMED_QUERY_EXIT_STATUS)
        except SearchIndexBusy as error:
            raise CommandError(str(error)) from None
        for username in usernames:
            self.stdout.write(username)

    def _group_id(self, name: str) -> int:
        group = Group.objects.filter(name__iexact=name).first()
        if group is None:
            raise CommandError(f"No group named {name!r}.")
        return group.pk

    def _answer_file(self, file: Path, group_ids: list[int] | None) -> None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        for line in lines:
            try:
                answer = ",".join(_matching_usernames(line, group_ids))
            except SearchQueryError as error:
                answer = f"ERROR\t{error}"
            except SearchIndexBusy as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"{line}\t{answer}")


def _matching_usernames(query: str, group_ids: list[int] | None) -> list[str]:
    """Usernames of the accounts matching `query`, sorted."""
    account_ids = search_account_ids(query, group_ids=group_ids)
    usernames = Account.objects.filter(pk__in=account_ids).values_list("username", flat=True)
    return sorted(usernames)
