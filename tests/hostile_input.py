"""Hypothesis strategies for input built to break a parser: groups and JSON nested far deeper than
anyone writes them (past Python's recursion limit), and bodies larger than anything sent."""
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
# Python's default recursion limit is 1000: depths just under it and well past it. (Queries
# longer than 2000 characters are refused for their length, so deeper ones test nothing more.)
query_depths = st.one_of(st.integers(1, 60), st.integers(400, 1100))
json_depths = st.one_of(st.integers(1, 60), st.integers(400, 1100), st.integers(1100, 60_000))
words = st.sampled_from(["a", "rossi", "owner:rossi", "*", "ross*", "rossi~", "/ros+i/", '"jose rossi"', "[a TO b]", ""])
operators = st.sampled_from(["", " ", " AND ", " OR ", " NOT ", " +", " -", " && ", " || ", " !"])


@st.composite
def nested_queries(draw) -> str:
    """A Lucene query of groups in groups: `(a OR (b (...)))`, balanced or not, with fields,
    boosts and modifiers on the way in."""
    depth = draw(query_depths)
    opener = draw(st.sampled_from(["(", "+(", "-(", "owner:(", "NOT (", "a (", "a OR (", "*:("]))
    closer = draw(st.sampled_from([")", ")^2", ") b", ")~"]))
    inner = draw(words)
    closing = depth if draw(st.booleans()) else draw(st.integers(0, depth))
    return draw(operators).lstrip() + opener * depth + inner + closer * closing


@st.composite
def nested_json(draw) -> bytes:
    """A JSON text nested `depth` deep in arrays or objects, sometimes inside a valid-looking
    member (`{"token": [[[...` ), sometimes cut off before it closes."""
    depth = draw(json_depths)
    opener = draw(st.sampled_from(["[", '{"a":', '{"token":', '{"status":', '{"device_id":', "[{}, "]))
    closer = {"[": "]", "[{}, ": "]"}.get(opener, "}")
    inner = draw(st.sampled_from(["1", '"x"', "null", "{}", "[]", '"delivered"']))
    closing = depth if draw(st.booleans()) else draw(st.integers(0, depth))
    prefix = draw(st.sampled_from(["", '{"token": ', '{"status": ', '{"device_id": "d1", "nonce": ']))
    suffix = "}" if prefix else ""
    return (prefix + opener * depth + inner + closer * closing + suffix).encode()


oversized_json = st.integers(3 * 2**20, 4 * 2**20).map(lambda size: b'{"token": "' + b"x" * size + b'"}')
garbage = st.binary(max_size=200)
hostile_json_bodies = st.one_of(nested_json(), garbage, st.just(b""), st.just(b"[]"), st.just(b'"x"'), oversized_json)
