"""A separate console process for the consistency and concurrency tests.

    python -m tests.search.child_process create USERNAME OWNER [--die]
    python -m tests.search.child_process search QUERY
    python -m tests.search.child_process churn SECONDS SEED

The database and index directory come from DATABASE_URL and SEARCH_INDEX_DIR. `--die` kills the
process with SIGKILL right after the account is committed, before it could touch the index.
"""
import os
import random
import signal
import sys
import time


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()


def create(username: str, owner: str, die: bool) -> None:
    from accounts.services import account_create
    from console.audit import Actor
    from groups.models import Group

    group = Group.objects.order_by("pk").first()
    account_create(actor=Actor.system(), group=group, password="s3cret-pass",
                   fields={"username": username, "virtual_number": f"+39{username}", "owner": owner})
    if die:
        os.kill(os.getpid(), signal.SIGKILL)


def search(query: str) -> None:
    from accounts.models import Account
    from accounts.search.engine.index import search_account_ids

    ids = search_account_ids(query)
    print(",".join(sorted(Account.objects.filter(pk__in=ids).values_list("username", flat=True))))


def churn(seconds: float, seed: int) -> None:
    """Create, update, delete and search accounts for `seconds`; print how many operations."""
    from accounts.models import Account
    from accounts.search.engine.index import search_account_ids
    from accounts.services import account_create, account_delete, account_update
    from console.audit import Actor
    from groups.models import Group

    rng = random.Random(seed)
    groups = list(Group.objects.order_by("pk"))
    mine: list[int] = []
    operations = 0
    deadline = time.monotonic() + seconds
    serial = 0
    while time.monotonic() < deadline:
        action = rng.random()
        if action < 0.35 or not mine:
            serial += 1
            username = f"{seed:03d}{serial:07d}"
            account = account_create(actor=Actor.system(), group=rng.choice(groups), password="s3cret-pass",
                                     fields={"username": username, "virtual_number": f"+39{username}",
                                             "owner": f"churn{seed} word{rng.randint(0, 9)}"})
            mine.append(account.pk)
            found = search_account_ids(f"username:{username}")
            assert found == [account.pk], (username, found)
        elif action < 0.6:
            account = Account.objects.get(pk=rng.choice(mine))
            owner = f"churn{seed} word{rng.randint(0, 9)} edited"
            account_update(actor=Actor.system(), account_id=account.pk, expected_version=account.version,
                           fields={"owner": owner})
            assert account.pk in search_account_ids(f'owner:"{owner}"')
        elif action < 0.7:
            victim = mine.pop(rng.randrange(len(mine)))
            account_delete(actor=Actor.system(), account_id=victim)
            assert victim not in search_account_ids(f"churn{seed}")
        else:
            search_account_ids(f"churn{rng.randint(0, 9)} OR word{rng.randint(0, 9)}")
        operations += 1
    print(operations)


if __name__ == "__main__":
    setup()
    command, *arguments = sys.argv[1:]
    if command == "create":
        create(arguments[0], arguments[1], "--die" in arguments)
    elif command == "search":
        search(arguments[0])
    elif command == "churn":
        churn(float(arguments[0]), int(arguments[1]))
    else:
        raise SystemExit(f"unknown command {command}")
