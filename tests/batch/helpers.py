"""Building CSV files for the batch tests."""
import csv
import io

from accounts.batch.columns import COLUMNS


def csv_bytes(rows: list[dict], columns=COLUMNS, *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue().encode(encoding)


def plain_row(n: int, **cells) -> dict:
    return {"username": f"77{n:08d}", "virtual_number": f"+4930{n:08d}", "password": f"pass-word-{n}", "owner": f"Owner {n}", **cells}


def wizard_row(n: int, **cells) -> dict:
    return {"virtual_number": f"+4940{n:08d}", "owner": f"Wizard {n}", **cells}
