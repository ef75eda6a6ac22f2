"""Telling the SIP server about account changes it must act on at once."""
from django.db import transaction


def drop_registrations_after_commit(username: str) -> None:
    """Once the current transaction commits, drop every live registration of `username` at the
    SIP server (Kamailio serves contacts from memory, so a disabled or deleted account's contacts
    stay until it is told). Nothing happens if the transaction rolls back, and a failing call
    never reaches the operator's request (accounts/sipserver/rpc.py logs it)."""
    from accounts.sipserver.rpc import drop_registrations

    transaction.on_commit(lambda: drop_registrations(username), robust=True)
