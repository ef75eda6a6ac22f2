"""Telling the SIP server about account changes it must act on at once."""
from collections.abc import Iterable

from django.db import transaction


def drop_registrations_after_commit(usernames: Iterable[str]) -> None:
    """Once the current transaction commits, drop every live registration of `usernames` at the
    SIP server (Kamailio serves contacts from memory, so a disabled or deleted account's contacts
    stay until it is told). Nothing happens if the transaction rolls back, and a failing call
    never reaches the operator's request (accounts/sipserver/rpc.py logs it)."""
    from accounts.sipserver.rpc import configured_rpc_url, drop_registrations

    usernames = list(usernames)
    if not usernames:
        return

    def drop() -> None:
        url = configured_rpc_url()  # read once for all of them
        for username in usernames:
            drop_registrations(username, url)

    transaction.on_commit(drop, robust=True)
