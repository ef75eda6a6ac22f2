"""Property tests of the allow/deny lists (A6, accounts/access_lists.py): parsing is stable through the
canonical form, bad entries are refused by name, and the decision agrees with a brute-force
reference written here with plain integer arithmetic."""
import ipaddress

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accounts.access_lists import (
    ALLOW,
    DENY,
    AccessEntry,
    AccessEntryError,
    decide,
    parse_entries,
    parse_network,
)

BITS = {4: 32, 6: 128}
FAST = settings(max_examples=200, deadline=None)


def _mask(version: int, prefix: int) -> int:
    bits = BITS[version]
    return ((1 << bits) - 1) ^ ((1 << (bits - prefix)) - 1)


def _address_text(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


@st.composite
def networks(draw, versions=(4, 6)):
    """(version, network as an integer, prefix length) with no host bits set."""
    version = draw(st.sampled_from(versions))
    prefix = draw(st.integers(0, BITS[version]))
    value = draw(st.integers(0, (1 << BITS[version]) - 1)) & _mask(version, prefix)
    return version, value, prefix


@st.composite
def typed_networks(draw):
    """A network and one of the ways an operator may type it."""
    version, value, prefix = draw(networks())
    address = _address_text(version, value)
    if version == 6:
        address = draw(st.sampled_from([address, address.upper(), ipaddress.IPv6Address(value).exploded]))
    forms = [f"{address}/{prefix}"]
    if version == 4:
        forms.append(f"{address}/{ipaddress.IPv4Address(_mask(4, prefix))}")
    if prefix == BITS[version]:
        forms.append(address)
    text = draw(st.sampled_from(forms))
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return (version, value, prefix), f"{padding}{text}{padding}"


@FAST
@given(typed_networks())
@example(((4, int(ipaddress.IPv4Address("192.168.0.38")), 32), "192.168.0.38/255.255.255.255"))
@example(((4, 0, 0), "0.0.0.0/0.0.0.0"))
def test_parse_then_canonical_then_parse_is_stable(typed):
    (version, value, prefix), text = typed
    network = parse_network(text)
    assert (network.version, int(network.network_address), network.prefixlen) == (version, value, prefix)
    canonical = network.with_prefixlen
    assert parse_network(canonical) == network
    assert parse_network(canonical).with_prefixlen == canonical


@FAST
@given(st.integers(0, 2**32 - 1), st.integers(0, 32), st.data())
def test_an_ipv4_entry_with_host_bits_set_is_refused_naming_the_entry(value, prefix, data):
    text = f"{ipaddress.IPv4Address(value)}/{prefix}"
    has_host_bits = value & ~_mask(4, prefix) & 0xFFFFFFFF
    if not has_host_bits:
        assert parse_network(text).prefixlen == prefix
        return
    with pytest.raises(AccessEntryError) as refused:
        parse_network(text)
    assert repr(text) in str(refused.value)
    assert "host bits" in str(refused.value)


@FAST
@given(st.integers(0, 2**32 - 1))
def test_a_netmask_that_is_not_contiguous_is_refused_naming_the_entry(mask):
    text = f"0.0.0.0/{ipaddress.IPv4Address(mask)}"
    contiguous = any(mask == _mask(4, prefix) for prefix in range(33))
    if contiguous:
        assert parse_network(text).network_address == ipaddress.IPv4Address(0)
        return
    with pytest.raises(AccessEntryError) as refused:
        parse_network(text)
    assert repr(text) in str(refused.value)


@FAST
@given(st.one_of(st.text(max_size=40), st.text("0123456789abcdef.:/%² ", max_size=130)))
@example("0.0.0.0/²")  # str.isdigit() accepts "²", int() does not: was a server error
@example("10.0.0.0/٣")  # an Arabic-Indic digit: was read as /3
@example("fe80::1%eth0/128")  # a zone: was stored, and PostgreSQL's cidr refuses it
@example("::/" + "0" * 120)  # longer than the stored entry: was a database error on PostgreSQL
def test_any_text_either_parses_to_a_storable_network_or_is_refused_with_a_message(text):
    try:
        network = parse_network(text)
    except AccessEntryError as error:
        assert str(error)
    else:
        canonical = network.with_prefixlen
        assert parse_network(canonical) == network
        assert len(text.strip()) <= 100 and len(canonical) <= 64
        assert canonical.isascii() and "%" not in canonical
        ipaddress.ip_network(canonical, strict=True)


@FAST
@given(st.lists(typed_networks(), max_size=6), st.lists(st.sampled_from(["bogus", "10.0.0.1/8", "1.2.3.4/255.0.255.0"]), max_size=2))
def test_a_list_keeps_each_network_once_and_names_every_bad_entry(typed, bad):
    texts = [text.strip() for _, text in typed] + bad
    if bad:
        with pytest.raises(AccessEntryError) as refused:
            parse_entries(ALLOW, "\n".join(texts))
        for entry in bad:
            assert repr(entry) in str(refused.value)
        return
    entries = parse_entries(ALLOW, ", ".join(texts))
    canonical = [entry.canonical for entry in entries]
    expected = list(dict.fromkeys(parse_network(text).with_prefixlen for text in texts))
    assert canonical == expected


# --- The decision -------------------------------------------------------------------------------

# A small address space, so that random entries and addresses overlap often.
NEAR_BASES = {4: int(ipaddress.IPv4Address("10.1.0.0")), 6: int(ipaddress.IPv6Address("2001:db8::"))}


@st.composite
def nearby_networks(draw):
    version = draw(st.sampled_from([4, 4, 4, 6]))
    bits = BITS[version]
    prefix = draw(st.sampled_from([0, 1, bits - 16, bits - 12, bits - 8, bits - 4, bits - 2, bits - 1, bits]))
    value = (NEAR_BASES[version] + draw(st.integers(0, 2**16 - 1))) & _mask(version, prefix)
    return version, value, prefix


@st.composite
def rule_sets(draw):
    allows = draw(st.lists(nearby_networks(), max_size=4))
    denies = draw(st.lists(nearby_networks(), max_size=4))
    if draw(st.booleans()) and allows:
        denies.append(draw(st.sampled_from(allows)))  # the same network in both lists: a tie
    return [(ALLOW, rule) for rule in allows] + [(DENY, rule) for rule in denies]


@st.composite
def sources(draw):
    version = draw(st.sampled_from([4, 4, 6]))
    if draw(st.booleans()):
        return version, NEAR_BASES[version] + draw(st.integers(0, 2**16 - 1))
    return version, draw(st.integers(0, (1 << BITS[version]) - 1))


def _entries(rules) -> list[AccessEntry]:
    return [
        AccessEntry(action, ipaddress.ip_network(f"{_address_text(version, value)}/{prefix}"), f"#{index}")
        for index, (action, (version, value, prefix)) in enumerate(rules)
    ]


def reference_decision(source, rules) -> tuple[bool, int | None]:
    """Brute force: collect every entry containing the source (same family, equal leading bits),
    keep the longest prefix, deny if any of those is a deny; no match: refused only when the
    account has an allow entry. Returns (allowed, winning prefix length)."""
    version, address = source
    bits = BITS[version]
    matching = [
        (action, prefix) for action, (rule_version, value, prefix) in rules
        if rule_version == version and address >> (bits - prefix) == value >> (bits - prefix)
    ]
    if not matching:
        return not any(action == ALLOW for action, _ in rules), None
    longest = max(prefix for _, prefix in matching)
    return all(action == ALLOW for action, prefix in matching if prefix == longest), longest


@settings(max_examples=400, deadline=None)
@given(rule_sets(), sources())
def test_the_decision_is_the_most_specific_match_with_ties_denied_and_allow_lists_refusing_the_unlisted(rules, source):
    allowed, longest = reference_decision(source, rules)
    decision = decide(_address_text(*source), _entries(rules))
    assert decision.allowed == allowed
    if longest is None:
        assert decision.entry is None
        expected_reason = "has an allow list" if not allowed else "no entry matches"
        assert expected_reason in decision.reason
    else:
        assert decision.entry.network.prefixlen == longest
        assert decision.entry.action == (ALLOW if allowed else DENY)
        assert decision.entry.as_typed in decision.reason


@FAST
@given(st.lists(nearby_networks(), min_size=1, max_size=4), sources())
def test_an_allow_list_refuses_every_address_it_does_not_list(allows, source):
    rules = [(ALLOW, rule) for rule in allows]
    listed = reference_decision(source, rules)[1] is not None
    assert decide(_address_text(*source), _entries(rules)).allowed == listed


def test_a_deny_and_an_allow_of_the_same_network_tie_and_the_tie_denies():
    entries = parse_entries(ALLOW, "10.0.0.0/8") + parse_entries(DENY, "10.0.0.0/255.0.0.0")
    decision = decide("10.20.30.40", entries)
    assert (decision.allowed, decision.entry.action) == (False, DENY)


def test_a_more_specific_allow_beats_a_broader_deny():
    entries = parse_entries(DENY, "0.0.0.0/0.0.0.0") + parse_entries(ALLOW, "192.168.0.38")
    assert decide("192.168.0.38", entries).allowed is True
    assert decide("192.168.0.39", entries).allowed is False
