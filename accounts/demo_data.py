"""Demo data for trials and benchmarks: many groups and realistic accounts, written in bulk.

Bulk generation deliberately bypasses `accounts.services.account_create` (one transaction and a
handful of queries per account would take hours for a million accounts). It writes exactly what a
list page reads: the accounts and their licences, plus ONE audit entry for the whole run. It writes
no status events and no search change-log rows: the `generate_demo_data` command then rebuilds
the search index, and any other index notices accounts newer than it was told about and is
rebuilt (accounts/search/engine/sync.py).

On PostgreSQL rows go in with COPY, a chunk at a time, inside one transaction; elsewhere with
`bulk_create`. Account ids are assigned here, above every id the table has ever handed out, and
usernames and numbers are derived from them through a bijection, so two runs never collide with
each other; a clash with a hand-made account is refused before anything is written.
"""
from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils.translation import gettext_noop

from accounts.models import Account
from activation.models import ProvisioningProfile
from console.audit import Actor, audit_record
from console.audit_text import audit_text
from console.errors import ServiceError
from groups.models import Group
from licensing.models import Licence

DEMO_PASSWORD = "demo-password-2024"
COPY_CHUNK_ROWS = 20_000
BULK_CREATE_BATCH = 2_000
REBUILD_INDEXES_FROM = 100_000

# Usernames and numbers are `offset + (id * multiplier) % modulus`: a bijection on [0, modulus)
# because each multiplier is coprime with its modulus, so distinct ids give distinct values, and
# consecutive ids give scattered values (like the console's random usernames).
USERNAME_BASE, USERNAME_MODULUS, USERNAME_MULTIPLIER = 5_000_000_000, 1_000_000_000, 387_420_489
NUMBER_MODULUS, NUMBER_MULTIPLIER, SECONDARY_MULTIPLIER = 1_000_000_000, 282_475_249, 1_594_323

FIRST_NAMES = [
    "José", "María", "Jürgen", "François", "Zoë", "Łukasz", "Søren", "Chloé", "Inès", "Ángel", "Müge", "Ana",
    "Björn", "Élodie", "Nuño", "Renée", "Håkon", "Giulia", "Marco", "Luca", "Francesca", "Paolo", "Chiara", "Matteo",
    "Sofía", "Lucía", "João", "Conceição", "Hélène", "Jérôme", "Ségolène", "Günter", "Jörg", "Mårten", "Åsa",
    "Dvořák", "Zdeněk", "Małgorzata", "Ioana", "Ştefan", "Anaïs", "Noémie", "Raphaël", "Léa", "Thibault", "Olga",
    "Pietro", "Elena", "Alessandro", "Martina", "Emma", "Noah", "Liam", "Mia", "Jakub", "Eszter", "Gábor", "Dóra",
]
LAST_NAMES = [
    "Rossi", "Bianchi", "Esposito", "Ferrari", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo",
    "García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Núñez", "Peña", "Ibáñez", "Muñoz",
    "Müller", "Schäfer", "Köhler", "Weiß", "Groß", "Schröder", "Krüger", "Bäcker", "Lefèvre", "Dubois", "Moreau",
    "Girard", "Lemaître", "Bérenger", "Chevalier", "Gonçalves", "Conceição", "Simões", "Araújo", "Magalhães",
    "Nørgaard", "Sørensen", "Åberg", "Ødegård", "Kowalczyk", "Wiśniewski", "Wójcik", "Dvořáková", "Novák",
    "Horváth", "Szabó", "Tóth", "Popescu", "Ionescu", "O'Brien", "Rossi-Bianchi", "De Luca", "van der Berg",
    # Names with particles, which make the common words of multi-word phrases ("de la cruz").
    "de la Cruz", "da Silva", "dos Santos", "van den Broek", "von Bülow", "di Stefano", "del Río", "de la Fuente",
    "van Dijk", "ter Horst", "Le Goff", "d'Almeida", "O'Neill", "Mac Giolla", "de Oliveira", "van der Linden",
]
COMPANIES = [
    ("Rossi Costruzioni", "rossi-costruzioni.it"), ("Banca Popolare del Nord", "bpn.example.it"),
    ("Ayuntamiento de Cáceres", "caceres.example.es"), ("Société Générale d'Énergie", "sge.example.fr"),
    ("Müller & Söhne Logistik", "mueller-logistik.example.de"), ("Clínica San José", "clinicasanjose.example.es"),
    ("Studio Legale Ferrari", "studioferrari.example.it"), ("Nordisk Ørsted Shipping", "nos.example.dk"),
    ("Ministério da Saúde", "saude.example.pt"), ("Zürcher Privatbank", "zpb.example.ch"),
    ("Hôpital Saint-Éloi", "saint-eloi.example.fr"), ("Polskie Młyny", "mlyny.example.pl"),
    ("Acme Security", "acme-security.example.com"), ("Globex Defence", "globex.example.com"),
    ("Initech Consulting", "initech.example.com"), ("Vehement Capital", "vehement.example.com"),
]
DEPARTMENTS = [
    "Sales", "Board", "Legal", "IT", "Finance", "Security", "Procurement", "Operations", "R&D", "Support",
    "customer care", "human resources", "facility management", "internal audit", "public relations",
    "quality assurance", "the executive office", "the service desk", "field service", "accounts payable",
]
CITIES = ["Milano", "Roma", "Torino", "Madrid", "Sevilla", "Paris", "Lyon", "München", "Zürich", "Lisboa", "Kraków", "Århus"]
DEVICES = ["iPhone 15", "iPhone 13", "Pixel 8", "Galaxy S24", "Galaxy A54", "Snom D735", "Snom D785", "Xperia 10"]
# Descriptions are drawn from these shapes, as operators write them: a role ("head of customer
# care"), a device in a place ("phone in meeting room 3"), a stand-in for a person, a project.
ROLES = [
    "head of", "deputy head of", "assistant to the head of", "manager of", "team lead of", "intern in",
    "on call for", "night shift of", "backup line of", "director of", "secretary of", "consultant for",
]
PLACES = [
    "meeting room {n}", "the reception desk", "the lobby", "conference room {n}", "the server room",
    "the warehouse", "floor {n}", "building {n}", "the board room", "the front office", "the loading dock",
    "the branch in {city}", "the {city} office", "the car of {first}", "the home office of {first}",
]
THINGS = ["phone", "desk phone", "mobile", "spare phone", "conference phone", "tablet", "shared phone", "pager"]
DESCRIPTIONS = [
    "{role} {department}", "{role} {department} in {city}", "{thing} in {place}", "{device} in {place}",
    "{thing} of {first} {last}", "stands in for {first} {last} of {department}", "{department}, {city} office",
    "{device} — {department}", "assistant to {first} {last}", "temporary: {department} project until {month}",
    "{thing} for {department} on floor {n}", "", "",
]
MONTHS = ["january", "march", "june", "september", "december"]
COUNTRY_CODES = ["+39", "+34", "+33", "+49", "+41", "+43", "+48", "+45"]

PGSM_WIZARD_STATUSES = (
    [Account.Status.CREATED] * 8 + [Account.Status.INSTALLATION_SMS_SENT] * 8 + [Account.Status.INSTALLATION_CLICKED] * 4
    + [Account.Status.INSTALLED] * 5 + [Account.Status.ACTIVATION_SMS_SENT] * 8 + [Account.Status.ACTIVATED] * 20
    + [Account.Status.CONNECTED] * 47
)
PLAIN_STATUSES = [Account.Status.CREATED] * 35 + [Account.Status.CONNECTED] * 65
ACTIVE_STATUSES = frozenset({Account.Status.ACTIVATED, Account.Status.CONNECTED})

ACCOUNT_COLUMNS = (
    "id", "group_id", "username", "ha1", "ha1_sha256", "virtual_number", "secondary_number", "account_type",
    "security_model", "obfuscation", "obfuscation_key", "keepalive", "owner", "caller_id", "email", "description",
    "profile_id", "creation_method", "enabled", "status", "status_changed_at", "version", "created_at", "updated_at",
)
LICENCE_COLUMNS = (
    "account_id", "edition", "valid_until", "state", "device_id", "bound_at", "conflict_device_id", "last_checked_at",
    "keys_revoked", "revoked_at", "last_answer", "last_answer_device_id", "last_answer_recorded_at",
)


@dataclass(frozen=True)
class DemoDataResult:
    """What a run wrote: the new groups (largest first) and how many accounts."""

    groups: list[Group]
    accounts: int
    largest_group_accounts: int
    first_account_id: int


def demo_username(account_id: int) -> str:
    return str(USERNAME_BASE + (account_id * USERNAME_MULTIPLIER) % USERNAME_MODULUS)


def demo_numbers(account_id: int, country_code: str) -> tuple[str, str]:
    """(virtual number, secondary number): mobile-like `cc 3…` and landline-like `cc 0…`."""
    mobile = (account_id * NUMBER_MULTIPLIER) % NUMBER_MODULUS
    landline = (account_id * SECONDARY_MULTIPLIER) % NUMBER_MODULUS
    return f"{country_code}3{mobile:09d}", f"{country_code}0{landline:09d}"


def group_assignment(accounts: int, groups: int, largest_group: int) -> Iterator[int]:
    """The group index (0 = the largest group) of each account in creation order.

    The largest group's accounts are spread evenly through the run, the rest go round-robin to
    the other groups, so no group's rows sit together on disk (as after years of real use).
    """
    others = groups - 1
    next_other = 0
    for position in range(accounts):
        if (position * largest_group) // accounts != ((position + 1) * largest_group) // accounts:
            yield 0
        else:
            yield 1 + next_other
            next_other = (next_other + 1) % others


def _ascii(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in ".-")


class _RowMaker:
    """Builds the account and licence rows of one run, reproducibly from a seed."""

    def __init__(self, *, seed: int, now: datetime, realm: str, password: str, group_ids: list[int], domains: list[str],
                 profile_id: int | None):
        self.rng = random.Random(seed)
        self.now = now
        self.today = now.date()
        self.realm = realm
        self.password = password
        self.group_ids = group_ids
        self.domains = domains
        self.profile_id = profile_id
        self.first_ascii = {name: _ascii(name) for name in FIRST_NAMES}
        self.last_ascii = {name: _ascii(name).replace(" ", "") for name in LAST_NAMES}

    def account(self, account_id: int, group_index: int) -> tuple[tuple, tuple]:
        """(account row, licence row) in ACCOUNT_COLUMNS / LICENCE_COLUMNS order."""
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        owner = f"{first} {last}"
        username = demo_username(account_id)
        virtual_number, secondary = demo_numbers(account_id, rng.choice(COUNTRY_CODES))
        roll = rng.random()
        if roll < 0.12:
            account_type, method = Account.AccountType.SNOM, Account.CreationMethod.PLAIN
        elif roll < 0.55:
            account_type, method = Account.AccountType.PGSM, Account.CreationMethod.PLAIN
        else:
            account_type, method = Account.AccountType.PGSM, Account.CreationMethod.WIZARD
        if method == Account.CreationMethod.WIZARD:
            status = rng.choice(PGSM_WIZARD_STATUSES)
            enabled = status in ACTIVE_STATUSES and rng.random() > 0.03
        else:
            status = rng.choice(PLAIN_STATUSES)
            enabled = rng.random() > 0.05
        if method == Account.CreationMethod.PLAIN:
            material = f"{username}:{self.realm}:{self.password}".encode()
            ha1 = hashlib.md5(material, usedforsecurity=False).hexdigest()
            ha1_sha256 = hashlib.sha256(material).hexdigest()
        else:
            ha1 = ha1_sha256 = "!"
        created_at = self.now - timedelta(seconds=rng.randrange(60, 3 * 365 * 86400))
        status_changed_at = created_at + (self.now - created_at) * rng.random() if status != Account.Status.CREATED else created_at
        caller_style = rng.random()
        caller_id = f'"{owner}" <{virtual_number}>' if caller_style < 0.6 else (owner if caller_style < 0.8 else virtual_number)
        description = self._description()
        email = "" if rng.random() < 0.07 else (
            f"{self.first_ascii[first]}.{self.last_ascii[last]}{account_id % 1000}@{self.domains[group_index]}"
        )
        account_row = (
            account_id, self.group_ids[group_index], username, ha1, ha1_sha256, virtual_number,
            secondary if rng.random() < 0.15 else None, account_type,
            Account.SecurityModel.END_TO_END if rng.random() < 0.8 else Account.SecurityModel.END_TO_SITE,
            rng.random() < 0.9, 9 if rng.random() < 0.9 else rng.randrange(1, 250), rng.random() < 0.3,
            owner, caller_id, email, description, self.profile_id if method == Account.CreationMethod.WIZARD else None,
            method, enabled, status, status_changed_at, 1 + (status != Account.Status.CREATED), created_at, status_changed_at,
        )
        return account_row, self._licence(account_id, status)

    def _description(self) -> str:
        """A description in one of the DESCRIPTIONS shapes, its words drawn from the lists above."""
        rng = self.rng
        words = {
            "first": rng.choice(FIRST_NAMES), "last": rng.choice(LAST_NAMES), "city": rng.choice(CITIES),
            "n": rng.randrange(1, 13), "department": rng.choice(DEPARTMENTS), "role": rng.choice(ROLES),
            "thing": rng.choice(THINGS), "device": rng.choice(DEVICES), "month": rng.choice(MONTHS),
        }
        words["place"] = rng.choice(PLACES).format(**words)
        shape = rng.choice(DESCRIPTIONS)
        text = shape.format(**words)
        return text if shape.startswith("{device}") else text[:1].upper() + text[1:]

    def _licence(self, account_id: int, status: str) -> tuple:
        rng = self.rng
        edition = Licence.Edition.ENTERPRISE if rng.random() < 0.3 else Licence.Edition.PROFESSIONAL
        valid_until = None if rng.random() < 0.4 else self.today + timedelta(days=rng.randrange(-90, 3 * 365))
        device_id = bound_at = last_checked_at = revoked_at = None
        conflict_device_id = ""
        revoked = rng.random() < 0.01
        if status in ACTIVE_STATUSES:
            device_id = f"{rng.getrandbits(64):016x}"
            bound_at = self.now - timedelta(days=rng.randrange(1, 700))
            last_checked_at = self.now - timedelta(minutes=rng.randrange(1, 60 * 24 * 30))
        if revoked:
            state, revoked_at = Licence.State.REVOKED, self.now - timedelta(days=rng.randrange(1, 200))
        elif valid_until is not None and valid_until < self.today:
            state = Licence.State.EXPIRED
        elif device_id and rng.random() < 0.01:
            state, conflict_device_id = Licence.State.CONFLICT, f"{rng.getrandbits(64):016x}"
        else:
            state = Licence.State.VALID if device_id else Licence.State.NOT_VALIDATED
        return (
            account_id, edition, valid_until, state, device_id or "", bound_at, conflict_device_id, last_checked_at,
            revoked, revoked_at, "", "", None,
        )


def _copy_value(value) -> str:
    """One value in COPY's text format (the common cases first: this runs tens of millions of times)."""
    kind = type(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return _copy_value(str(value))  # TextChoices members and other str subclasses


def _copy_rows(cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    buffer.writelines("\t".join(map(_copy_value, row)) + "\n" for row in rows)
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


# Indexes that are not unique and foreign keys: what a large load drops first and rebuilds after
# (PostgreSQL's "Populating a Database" advice). Unique indexes stay and keep checking.
_DEFERRABLE_INDEXES_SQL = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
      FROM pg_index i
     WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary
"""
_FOREIGN_KEYS_SQL = """
    SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
     WHERE c.conrelid = %s::regclass AND c.contype = 'f'
"""


class _PostgresWriter:
    """COPY, one chunk of rows at a time, into the run's transaction.

    With `rebuild_indexes`, the tables' non-unique indexes and foreign keys are dropped before
    the load and recreated after it, in the same transaction: building an index once from a
    million rows, and checking a foreign key with one join, is several times faster than
    maintaining them row by row. Readers of the tables wait meanwhile (exclusive lock).
    """

    TABLES = (Account._meta.db_table, Licence._meta.db_table)

    def __init__(self, *, rebuild_indexes: bool):
        self.cursor = connection.cursor()
        self.restore: list[str] = []
        if rebuild_indexes:
            self._drop_indexes_and_foreign_keys()

    def _drop_indexes_and_foreign_keys(self) -> None:
        # A table with deferred foreign-key checks still pending cannot be altered: run them now.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in self.TABLES:
            self.cursor.execute(_FOREIGN_KEYS_SQL, [table])
            for name, definition in self.cursor.fetchall():
                self.cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                self.restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            self.cursor.execute(_DEFERRABLE_INDEXES_SQL, [table])
            for name, definition in self.cursor.fetchall():
                self.cursor.execute(f"DROP INDEX {name}")
                self.restore.insert(0, definition)  # indexes first: they speed up the key checks

    def write(self, accounts: list[tuple], licences: list[tuple]) -> None:
        _copy_rows(self.cursor, Account._meta.db_table, ACCOUNT_COLUMNS, accounts)
        _copy_rows(self.cursor, Licence._meta.db_table, LICENCE_COLUMNS, licences)

    def finish(self, first_id: int, last_id: int) -> None:
        if self.restore:
            self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in self.restore:
                self.cursor.execute(statement)
            self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if last_id >= first_id:
            self.cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [Account._meta.db_table, last_id]
            )


class _ModelWriter:
    """`bulk_create`, for SQLite and any other database."""

    def write(self, accounts: list[tuple], licences: list[tuple]) -> None:
        Account.objects.bulk_create(
            [Account(**dict(zip(ACCOUNT_COLUMNS, row))) for row in accounts], batch_size=BULK_CREATE_BATCH
        )
        Licence.objects.bulk_create(
            [Licence(**dict(zip(LICENCE_COLUMNS, row))) for row in licences], batch_size=BULK_CREATE_BATCH
        )

    def finish(self, first_id: int, last_id: int) -> None:
        # bulk_create stamps auto_now(_add) fields with the time of the run; put back dates that
        # agree with the status dates.
        Account.objects.filter(pk__range=(first_id, last_id)).update(
            created_at=F("status_changed_at"), updated_at=F("status_changed_at")
        )


def _next_free_account_id() -> int:
    """An id above every id the account table has handed out (deleted rows included, on PostgreSQL)."""
    highest = Account.objects.aggregate(highest=Max("id"))["highest"] or 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Account._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Account._meta.db_table])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last_value, is_called = cursor.fetchone()
            highest = max(highest, last_value if is_called else last_value - 1)
    return highest + 1


def _refuse_clashes(first_id: int, count: int) -> None:
    """Refuse, before writing, when a generated username or number already belongs to an account."""
    if first_id + count > USERNAME_MODULUS:
        raise ServiceError("Too many demo accounts: the demo username space (10 digits from 5000000000) is exhausted.")
    usernames = {demo_username(account_id) for account_id in range(first_id, first_id + count)}
    clashes = [name for name in Account.objects.values_list("username", flat=True).iterator(chunk_size=20_000)
               if name in usernames]
    if clashes:
        raise ServiceError(
            f"{len(clashes)} demo usernames are already taken (for example {clashes[0]}); nothing was written."
        )
    del usernames
    suffixes = {(account_id * NUMBER_MULTIPLIER) % NUMBER_MODULUS for account_id in range(first_id, first_id + count)}
    seconds = {(account_id * SECONDARY_MULTIPLIER) % NUMBER_MODULUS for account_id in range(first_id, first_id + count)}
    numbers = Account.objects.values_list("virtual_number", "secondary_number").iterator(chunk_size=20_000)
    for virtual_number, secondary_number in numbers:
        for number in (virtual_number, secondary_number):
            if number and _number_clashes(number, suffixes, seconds):
                raise ServiceError(f"The demo numbers would clash with the existing number {number}; nothing was written.")


def _number_clashes(number: str, mobiles: set[int], landlines: set[int]) -> bool:
    if len(number) != 13 or number[:3] not in COUNTRY_CODES or not number[4:].isdigit():
        return False
    pool = mobiles if number[3] == "3" else landlines if number[3] == "0" else ()
    return int(number[4:]) in pool


def _create_groups(count: int) -> list[Group]:
    start = (Group.objects.aggregate(highest=Max("id"))["highest"] or 0) + 1
    profile = ProvisioningProfile.objects.filter(is_default=True).first()
    groups = []
    for number in range(start, start + count):
        company, domain = COMPANIES[number % len(COMPANIES)]
        groups.append(Group(
            name=f"Demo {number:04d} {company}", admin_email=f"it@{domain}", profile=profile,
            description=f"Demo group of {company}, {CITIES[number % len(CITIES)]}",
        ))
    names = [group.name.lower() for group in groups]
    taken = [group.name for group in Group.objects.all() if group.name.lower() in names]
    if taken:
        raise ServiceError(f"A group named {taken[0]!r} exists already; nothing was written.")
    return Group.objects.bulk_create(groups)


@transaction.atomic
def demo_data_generate(
    *,
    actor: Actor,
    groups: int,
    accounts: int,
    largest_group: int | None = None,
    password: str = DEMO_PASSWORD,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    use_copy: bool | None = None,
    rebuild_indexes: bool | None = None,
) -> DemoDataResult:
    """Create `groups` groups and `accounts` accounts (each with its licence) in one transaction.

    `largest_group` accounts go to the first group and the rest are shared evenly by the others
    (default: all groups get about the same). Plain-way accounts get the digests of `password`;
    wizard accounts have unusable digests until activation, as in real use. `progress` is called
    with the number of accounts written so far after each chunk. `use_copy` (default: on
    PostgreSQL) writes with COPY rather than `bulk_create`; `rebuild_indexes` (default: from
    REBUILD_INDEXES_FROM accounts on) drops and rebuilds the indexes around a COPY load.
    """
    if groups < 1 or accounts < 0:
        raise ServiceError("Give at least one group and a non-negative number of accounts.")
    if largest_group is None:
        largest_group = -(-accounts // groups)
    if not 0 <= largest_group <= accounts:
        raise ServiceError("The largest group cannot hold more accounts than are generated.")
    if groups == 1 and largest_group != accounts:
        raise ServiceError("With one group, the largest group holds every account.")
    now = datetime.now(UTC).replace(microsecond=0)
    first_id = _next_free_account_id()
    _refuse_clashes(first_id, accounts)
    new_groups = _create_groups(groups)
    maker = _RowMaker(
        seed=seed, now=now, realm=settings.SIP_DOMAIN, password=password, group_ids=[group.pk for group in new_groups],
        domains=[group.admin_email.split("@", 1)[1] for group in new_groups],
        profile_id=new_groups[0].profile_id,
    )
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    if rebuild_indexes is None:
        rebuild_indexes = accounts >= REBUILD_INDEXES_FROM
    writer = _PostgresWriter(rebuild_indexes=rebuild_indexes) if use_copy else _ModelWriter()
    chunk = COPY_CHUNK_ROWS if use_copy else BULK_CREATE_BATCH * 5
    account_rows, licence_rows = [], []
    written = 0
    for offset, group_index in enumerate(group_assignment(accounts, groups, largest_group)):
        account_row, licence_row = maker.account(first_id + offset, group_index)
        account_rows.append(account_row)
        licence_rows.append(licence_row)
        if len(account_rows) == chunk:
            writer.write(account_rows, licence_rows)
            written += len(account_rows)
            account_rows, licence_rows = [], []
            if progress:
                progress(written)
    if account_rows:
        writer.write(account_rows, licence_rows)
        written += len(account_rows)
        if progress:
            progress(written)
    writer.finish(first_id, first_id + accounts - 1)
    audit_record(
        actor=actor, action="demo_data.generate", object_type="group", object_repr=f"{groups} demo groups",
        after={
            "groups": groups, "accounts": accounts, "largest_group": new_groups[0].name,
            "largest_group_accounts": largest_group, "first_account_id": first_id, "seed": seed,
        },
        message=audit_text(gettext_noop("Demo data generated: %(accounts)s accounts in %(groups)s groups (%(largest)s in %(largest_group)s)."),
                           accounts=accounts, groups=groups, largest=largest_group, largest_group=new_groups[0].name),
    )
    return DemoDataResult(groups=new_groups, accounts=accounts, largest_group_accounts=largest_group, first_account_id=first_id)


def analyze_tables() -> None:
    """Refresh the planner's statistics and the visibility map after a bulk load (PostgreSQL only).

    The list's COUNT and id queries are index-only scans, which need an up-to-date visibility
    map; autovacuum would get there eventually, a benchmark should not wait for it. VACUUM cannot
    run inside a transaction, so there only ANALYZE runs.
    """
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in (Account, Licence):
            cursor.execute(f"{command} {model._meta.db_table}")
