"""Benchmark of account search on a large PostgreSQL database (not run by the test suite).

    DATABASE_URL=postgres://.../DB SEARCH_INDEX_DIR=/some/dir python manage.py migrate
    DATABASE_URL=... python manage.py generate_demo_data --groups 200 --accounts 1000000
    DATABASE_URL=... SEARCH_INDEX_DIR=... python bench/search.py [--repeat 20] [--skip-rebuild]
    DATABASE_URL=... SEARCH_INDEX_DIR=... python bench/search.py --skip-rebuild --property 2000

Prints the full rebuild time and peak memory and the index's size on disk (by file kind), then
for each kind of query the p50 and p95 latency of the index search (account ids of every match,
newest first, as the result page needs them) side by side with the same search done as
PostgreSQL `ILIKE '%term%'` over the five default fields (what Django admin's search does), in
the same run. Exact phrases of two to five words and fuzzy terms are also drawn from the
accounts' own text (`--seed`; common words included), and have no ILIKE column.

`--property N` checks instead the property of issue 3 on the index as it is: N random query
strings (seeded, see `random_query`) and every query of WORST_CASES must each give results or a
query error (SearchQueryError) within 2 s. It prints the slowest answers and exits with status 1
if any answer took longer or raised anything else.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_FIELDS = ("owner", "username", "caller_id", "email", "description")

# Each kind: (index queries, ILIKE equivalent: list of words every one of which must appear in
# one of the five fields, or None). Words come from the demo data generator's vocabulary.
KINDS: dict[str, list[tuple[str, list[str] | None]]] = {
    "term": [("rossi", ["rossi"]), ("dubois", ["dubois"]), ("milano", ["milano"]), ("novák", ["novák"]),
             ("chiara", ["chiara"]), ("horváth", ["horváth"])],
    "two terms": [("giulia rossi", ["giulia", "rossi"]), ("marco ferrari", ["marco", "ferrari"]),
                  ("léa moreau", ["léa", "moreau"]), ("jakub wójcik", ["jakub", "wójcik"])],
    "phrase": [('"giulia rossi"', ["giulia rossi"]), ('"marco ferrari"', ["marco ferrari"]),
               ('"léa moreau"', ["léa moreau"]), ('"jakub wójcik"', ["jakub wójcik"])],
    "prefix": [("ross*", ["ross"]), ("dubo*", ["dubo"]), ("schrö*", ["schrö"]), ("gonç*", ["gonç"])],
    "leading wildcard": [("*ssi", ["ssi"]), ("*bois", ["bois"]), ("*ández", ["ández"]), ("*czyk", ["czyk"])],
    "fuzzy": [("rosi~1", None), ("duboiss~1", None), ("ferari~", None), ("horvat~1", None)],
    "range": [("username:[5100000000 TO 5100500000]", None), ("created:[2024-01-01 TO 2024-03-31]", None),
              ("username:{5900000000 TO *]", None)],
    "field-qualified": [("owner:rossi", None), ("email:dubois*", None), ("owner:\"marco ferrari\"", None),
                        ("type:snom AND enabled:false", None)],
}


# Queries that expand to huge term or result sets: each must give its results within 2 s.
WORST_CASES = ["*", "*:*", "NOT rossi", "/.*/", "*a*", "e~2", "[* TO *]", "a* OR e* OR i*", "*?*?*"]

PROPERTY_SECONDS = 2.0
# What random queries are made of: the syntax's special characters and operators, field names,
# words and word pieces of the demo data, digits, accented and non-Latin letters.
SPECIAL = list('+-&|!(){}[]^"~*?:\\/') + ["AND ", "OR ", "NOT ", " TO ", "&&", "||", "~1", "~2",
                                           "~0.5", "^2", "\\u00e9", "\\", "\\\"", "[a TO z]",
                                           "{5 TO 6]", "/[0-9]+/", '"giulia rossi"', '"rossi giulia"~2']
FIELD_NAMES = ["owner:", "username:", "callerid:", "email:", "description:", "number:", "group:",
               "status:", "enabled:", "type:", "created:", "*:"]
WORDS = ["rossi", "giulia", "ross", "ssi", "mar", "a", "e", "o", "5", "51", "39", "2024-01", ".com",
         "@", ".*", "é", "ö", "日", "*", "*", "?", "~"]


def random_query(rng: random.Random) -> str:
    """A random query string: mostly words and wildcards, some of them in a field, with syntax
    characters and operators between them; sometimes arbitrary characters."""
    if rng.random() < 0.15:
        alphabet = [chr(rng.randrange(32, 0x3000)) for _ in range(8)] + list('*?~/[]{}:\\" ')
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))
    tokens = []
    for _ in range(rng.randrange(1, 8)):
        roll = rng.random()
        if roll < 0.12:
            tokens.append(rng.choice(SPECIAL))
        else:
            field = rng.choice(FIELD_NAMES) if roll < 0.3 else ""
            tokens.append(field + "".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 3))))
        tokens.append(" " if rng.random() < 0.7 else "")
    return "".join(tokens)


def drawn_queries(seed: int, per_kind: int = 6) -> dict[str, list[tuple[str, None]]]:
    """Exact phrases of 2 to 5 consecutive words of descriptions and owners, and fuzzy terms
    (a word of the accounts' text with one letter dropped or two swapped), drawn from random
    accounts: the queries an operator copies from what the console shows."""
    from django.db.models import Max, Min

    from accounts.models import Account

    rng = random.Random(seed)
    bounds = Account.objects.aggregate(low=Min("id"), high=Max("id"))
    ids = [rng.randrange(bounds["low"], bounds["high"] + 1) for _ in range(400)]
    texts = [text for row in Account.objects.filter(id__in=ids).order_by("id").values_list("description", "owner")
             for text in row if text]
    rng.shuffle(texts)
    kinds: dict[str, list[tuple[str, None]]] = {}
    for length in range(2, 6):
        phrases = []
        for text in texts:
            words = re.findall(r"[^\W_]+(?:'[^\W_]+)?", text.lower())
            if len(words) >= length and len(phrases) < per_kind:
                start = rng.randrange(len(words) - length + 1)
                phrase = " ".join(words[start:start + length])
                if phrase not in phrases:
                    phrases.append(phrase)
        kinds[f"phrase {length} words"] = [(f'"{phrase}"', None) for phrase in phrases]
    fuzzy = []
    for text in texts:
        words = [word for word in re.findall(r"[^\W\d_]{5,}", text.lower())]
        if words and len(fuzzy) < per_kind:
            word = rng.choice(words)
            at = rng.randrange(1, len(word) - 1)
            typo = word[:at] + word[at + 1:] if len(fuzzy) % 2 else word[:at] + word[at + 1] + word[at] + word[at + 2:]
            fuzzy.append((f"{typo}~1" if len(fuzzy) % 3 else f"{typo}~", None))
    kinds["fuzzy (drawn)"] = fuzzy
    return kinds


def index_size(directory: Path) -> tuple[int, dict[str, int]]:
    """Bytes of the live generation of the index, and by file kind (extension; saved lexicons)."""
    import json

    generation = directory / json.loads((directory / "state.json").read_text())["generation"]
    kinds: dict[str, int] = {}
    for path in generation.rglob("*"):
        if path.is_file():
            kind = "lexicons" if path.parent.name == "lexicons" else path.suffix or path.name
            kinds[kind] = kinds.get(kind, 0) + path.stat().st_size
    return sum(kinds.values()), kinds


def query_error_class() -> type:
    try:
        from accounts.search.language.errors import SearchQueryError
    except ImportError:  # the layout before language/ and engine/, to compare with it
        from accounts.search.errors import SearchQueryError
    return SearchQueryError


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_calls(function, repeat: int) -> list[float]:
    """Milliseconds of each call; a query answered with an error counts with its time too."""
    SearchQueryError = query_error_class()

    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            function()
        except SearchQueryError:
            pass
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def hit_count(search_account_ids, query: str) -> int | None:
    SearchQueryError = query_error_class()

    try:
        return len(search_account_ids(query))
    except SearchQueryError:
        return None


def ilike_ids(words: list[str]) -> list[int]:
    from django.db.models import Q

    from accounts.models import Account

    condition = Q()
    for word in words:
        any_field = Q()
        for field in TEXT_FIELDS:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return list(Account.objects.filter(condition).order_by("-id").values_list("id", flat=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="runs of each query (default 20)")
    parser.add_argument("--ilike-repeat", type=int, default=3, help="runs of each ILIKE query (default 3)")
    parser.add_argument("--skip-rebuild", action="store_true", help="use the existing index")
    parser.add_argument("--worst-cases", action="store_true", help="also time the broadest queries once each")
    parser.add_argument("--property", type=int, metavar="N",
                        help="check that N random queries and the worst cases each answer within 2 s")
    parser.add_argument("--seed", type=int, default=3, help="seed of the random queries (default 3)")
    options = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.db import connection

    from accounts.models import Account
    try:
        from accounts.search.engine.index import get_index, search_account_ids
    except ImportError:  # the layout before language/ and engine/, to compare with it
        from accounts.search.index import get_index, search_account_ids

    if connection.vendor != "postgresql":
        raise SystemExit("bench/search.py compares with PostgreSQL ILIKE: set DATABASE_URL=postgres://...")
    index = get_index()
    accounts = Account.objects.count()
    print(f"{accounts} accounts, index in {index.directory}, {os.cpu_count()} CPUs")
    if options.property is not None:
        started = time.perf_counter()
        search_account_ids("warmup")
        print(f"first search after opening the index: {(time.perf_counter() - started) * 1000:.0f} ms")
        raise SystemExit(check_property(search_account_ids, options.property, options.seed))
    if not options.skip_rebuild:
        started = time.perf_counter()
        count = index.rebuild()
        elapsed = time.perf_counter() - started
        cpu = sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for field in ("ru_utime", "ru_stime"))
        load = os.getloadavg()[0]
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        print(f"full rebuild: {count} accounts in {elapsed:.1f} s wall, {cpu:.1f} s CPU in this process and "
              f"its workers (load average {load:.1f} on {os.cpu_count()} CPUs); peak memory {peak_self} MB "
              f"in this process, {peak_children} MB in the largest worker")
    total, by_kind = index_size(Path(index.directory))
    print(f"index size: {total / 2**20:.1f} MB (" + ", ".join(
        f"{kind} {size / 2**20:.1f}" for kind, size in sorted(by_kind.items(), key=lambda item: -item[1])) + ")")
    started = time.perf_counter()
    search_account_ids("warmup")
    print(f"first search after opening the index: {(time.perf_counter() - started) * 1000:.0f} ms")

    header = f"{'kind':<20}{'hits (avg)':>11}{'p50 ms':>9}{'p95 ms':>9}{'ILIKE p50':>11}{'ILIKE p95':>11}{'speed-up p50':>14}"
    print(header)
    print("-" * len(header))
    drawn = drawn_queries(options.seed)
    for kind, queries in drawn.items():
        print(f"{kind}: " + " ".join(query for query, _ in queries))
    for kind, queries in {**KINDS, **drawn}.items():
        durations, ilike_durations, hits = [], [], []
        for query, words in queries:
            hits.append(hit_count(search_account_ids, query))
            durations += time_calls(lambda query=query: search_account_ids(query), options.repeat)
            if words is not None:
                ilike_durations += time_calls(lambda words=words: ilike_ids(words), options.ilike_repeat)
        p50, p95 = percentile(durations, 0.5), percentile(durations, 0.95)
        refused = sum(1 for count in hits if count is None)
        hits = [count for count in hits if count is not None] or [0]
        if ilike_durations:
            i50, i95 = percentile(ilike_durations, 0.5), percentile(ilike_durations, 0.95)
            ilike = f"{i50:>11.1f}{i95:>11.1f}{i50 / p50:>13.1f}x"
        else:
            ilike = f"{'—':>11}{'—':>11}{'—':>14}"
        note = f"  ({refused} of {len(queries)} queries answered with an error)" if refused else ""
        print(f"{kind:<20}{statistics.mean(hits):>11.0f}{p50:>9.1f}{p95:>9.1f}{ilike}{note}")
    if options.worst_cases:
        print_worst_cases(search_account_ids)


def timed_answer(search_account_ids, query: str) -> tuple[float, str, bool]:
    """Seconds the query took, what it answered (a count or the query error) and whether it
    answered properly: results or a query error, never another exception."""
    SearchQueryError = query_error_class()

    started = time.perf_counter()
    proper = True
    try:
        answer = f"{len(search_account_ids(query))} accounts"
    except SearchQueryError as error:
        answer = f"query error: {error.message}"
    except Exception as error:  # noqa: BLE001 - what the property forbids, reported
        answer, proper = f"{type(error).__name__}: {error}", False
    return time.perf_counter() - started, answer, proper


def print_worst_cases(search_account_ids) -> None:
    print()
    print(f"{'broad query':<18}{'ms':>9}  answer")
    for query in WORST_CASES:
        elapsed, answer, _ = timed_answer(search_account_ids, query)
        print(f"{query:<18}{elapsed * 1000:>9.0f}  {answer}")


def check_property(search_account_ids, count: int, seed: int) -> int:
    """Exit status of the property check: 0 if every query answered properly in time."""
    rng = random.Random(seed)
    queries = WORST_CASES + [random_query(rng) for _ in range(count)]
    timings: list[tuple[float, str, str]] = []
    failures: list[str] = []
    started_all = time.perf_counter()
    cpu_all = time.process_time()
    for query in queries:
        elapsed, answer, proper = timed_answer(search_account_ids, query)
        if not proper:
            failures.append(f"{query!r}: {answer}")
        if elapsed > PROPERTY_SECONDS:
            failures.append(f"{query!r}: {elapsed:.2f} s")
        timings.append((elapsed, query, answer))
    timings.sort(reverse=True)
    errors = sum(1 for _, _, answer in timings if answer.startswith("query error"))
    print(f"{len(queries)} queries ({len(WORST_CASES)} worst cases, {count} random, seed {seed}) in "
          f"{time.perf_counter() - started_all:.1f} s wall, {time.process_time() - cpu_all:.1f} s CPU; "
          f"{errors} query errors; load average {os.getloadavg()[0]:.1f}; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    print(f"{'slowest queries':<40}{'ms':>9}  answer")
    for elapsed, query, answer in timings[:15]:
        print(f"{query!r:<40}{elapsed * 1000:>9.0f}  {answer[:70]}")
    for failure in failures:
        print(f"FAILED {failure}")
    print("property holds" if not failures else f"property FAILS for {len(failures)} queries")
    return 1 if failures else 0


if __name__ == "__main__":
    main()
