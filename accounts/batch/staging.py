"""A scratch file for one import: the validated rows and the usernames and numbers seen so far.

It keeps the import's memory flat whatever the file size: rows wait on disk (SQLite from the
standard library, in a temporary directory) between validation and writing, and duplicates
inside the file are found with an index instead of an in-memory set. The rows may hold SIP
passwords: the directory is the server user's alone (0700) and the file 0600.
"""
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from accounts.batch.rows import CleanRow


class Staging:
    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="account-import-")  # created 0700
        self.path = Path(self._directory.name) / "staging.sqlite3"
        self.path.touch(mode=0o600)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-4000;"
            "CREATE TABLE seen (key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;"
            "CREATE TABLE row (line INTEGER PRIMARY KEY, payload BLOB NOT NULL);"
        )

    def close(self) -> None:
        self.db.close()
        self._directory.cleanup()

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lines_of(self, keys: list[str]) -> dict[str, int]:
        """The line of the row that first used each of `keys` (only the keys seen before)."""
        found: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            placeholders = ",".join("?" * len(part))
            found.update(self.db.execute(f"SELECT key, line FROM seen WHERE key IN ({placeholders})", part))
        return found

    def remember(self, keys: list[tuple[str, int]]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO seen (key, line) VALUES (?, ?)", keys)

    def stage(self, rows: list[CleanRow]) -> None:
        self.db.executemany(
            "INSERT INTO row (line, payload) VALUES (?, ?)",
            ((row.line, pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)) for row in rows),
        )

    def staged(self, chunk_size: int) -> Iterator[list[CleanRow]]:
        """The staged rows in file order, `chunk_size` at a time."""
        last = -1
        while True:
            found = self.db.execute(
                "SELECT line, payload FROM row WHERE line > ? ORDER BY line LIMIT ?", (last, chunk_size)
            ).fetchall()
            if not found:
                return
            last = found[-1][0]
            yield [pickle.loads(payload) for _, payload in found]
