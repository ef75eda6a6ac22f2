"""Allow and deny lists of source networks (SPEC A6): parsing, canonical form and the decision.

An entry is `<address>/<netmask>` (`192.168.0.38/255.255.255.255`), CIDR (`10.0.0.0/8`), a bare
address (one host) or an IPv6 prefix. The decision for a source address: the most specific
matching entry wins, a tie goes to Deny, and when the account has any Allow entry an address
matching none is refused. The SIP server applies the same rule in SQL (accounts/sipserver).
"""

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext

ALLOW = "allow"
DENY = "deny"
MAX_ENTRY_LENGTH = 100  # AccessRule.as_typed keeps what the operator typed, in 100 characters


class AccessEntryError(ValueError):
    """An entry that is not a network; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class AccessEntry:
    action: str
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    as_typed: str

    @property
    def canonical(self) -> str:
        return self.network.with_prefixlen


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    entry: AccessEntry | None = None


def _netmask_prefix(entry: str, netmask: str) -> int:
    try:
        mask = ipaddress.IPv4Address(netmask)
    except ValueError:
        raise AccessEntryError(gettext("%(entry)s: %(netmask)s is not a network mask.") % {"entry": repr(entry), "netmask": repr(netmask)}) from None
    bits = int(mask)
    inverted = ~bits & 0xFFFFFFFF
    if inverted & (inverted + 1):
        raise AccessEntryError(gettext("%(entry)s: the mask %(netmask)s is not contiguous (ones must come first).") % {"entry": repr(entry), "netmask": netmask})
    return 32 - inverted.bit_length()


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Parse one entry into a network; host bits set, bad masks and bad addresses raise AccessEntryError."""
    entry = text.strip()
    if not entry:
        raise AccessEntryError(gettext("An empty entry is not a network."))
    if len(entry) > MAX_ENTRY_LENGTH:
        raise AccessEntryError(gettext("%(entry)s...: an entry is at most %(limit)d characters.") % {"entry": repr(entry[:20]), "limit": MAX_ENTRY_LENGTH})
    address, slash, mask = entry.partition("/")
    address, mask = address.strip(), mask.strip()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise AccessEntryError(gettext("%(entry)s: %(address)s is not an IP address.") % {"entry": repr(entry), "address": repr(address)}) from None
    if getattr(ip, "scope_id", None):
        # fe80::1%eth0: a zone names an interface of one machine, and PostgreSQL's cidr type
        # (which the SIP server's decision uses) refuses it.
        raise AccessEntryError(gettext("%(entry)s: a zone (%%%(scope_id)s) cannot be part of a network.") % {"entry": repr(entry), "scope_id": ip.scope_id})
    if not slash:
        prefix = ip.max_prefixlen
    elif ip.version == 4 and "." in mask:
        prefix = _netmask_prefix(entry, mask)
    elif mask.isascii() and mask.isdigit() and int(mask) <= ip.max_prefixlen:
        # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
        prefix = int(mask)
    else:
        raise AccessEntryError(gettext("%(entry)s: %(mask)s is neither a network mask nor a prefix length 0-%(max_prefixlen)s.") % {"entry": repr(entry), "mask": repr(mask), "max_prefixlen": ip.max_prefixlen})
    try:
        return ipaddress.ip_network(f"{ip}/{prefix}", strict=True)
    except ValueError:
        raise AccessEntryError(
            gettext("%(entry)s: host bits are set; the network would be %(network)s.") % {
                "entry": repr(entry), "network": ipaddress.ip_network(f"{ip}/{prefix}", strict=False)}
        ) from None


def parse_entries(action: str, text: str) -> list[AccessEntry]:
    """Parse a whitespace- or comma-separated list; raises AccessEntryError naming every bad entry."""
    entries: list[AccessEntry] = []
    errors: list[str] = []
    seen: set[str] = set()
    for token in text.replace(",", " ").split():
        try:
            network = parse_network(token)
        except AccessEntryError as error:
            errors.append(str(error))
            continue
        if network.with_prefixlen not in seen:
            seen.add(network.with_prefixlen)
            entries.append(AccessEntry(action=action, network=network, as_typed=token))
    if errors:
        raise AccessEntryError(" ".join(errors))
    return entries


def decide(address: str, entries: Iterable[AccessEntry]) -> Decision:
    """Whether `address` may use the account, and why (most specific match wins; ties deny)."""
    try:
        source = ipaddress.ip_address(address.strip())
    except ValueError:
        raise AccessEntryError(gettext("%(address)s is not an IP address.") % {"address": repr(address.strip())}) from None
    entries = list(entries)
    matches = [entry for entry in entries if entry.network.version == source.version and source in entry.network]
    if matches:
        best = max(matches, key=lambda entry: (entry.network.prefixlen, entry.action == DENY))
        if best.action == ALLOW:
            reason = gettext("allowed by the allow entry %(entry)s (most specific match)")
        else:
            reason = gettext("refused by the deny entry %(entry)s (most specific match)")
        return Decision(best.action == ALLOW, reason % {"entry": best.as_typed}, best)
    if any(entry.action == ALLOW for entry in entries):
        return Decision(False, gettext("refused: the account has an allow list and no entry matches this address"))
    return Decision(True, gettext("allowed: no entry matches this address"))
