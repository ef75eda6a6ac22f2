"""Reading an uploaded CSV file as a stream of rows, without holding the file in memory.

The file must be UTF-8 (a byte-order mark is allowed; UTF-16 with its byte-order mark, as some
spreadsheets save "Unicode text", is read too). The delimiter is the comma; a header line that
holds no comma but semicolons (spreadsheets of many European locales) or tabs selects that one.
Blank lines, and lines whose cells are all empty, are skipped.
"""
import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext, ngettext

from accounts.batch.columns import COLUMNS, REQUIRED_COLUMNS, unneutralise


class FileProblem(Exception):
    """The file cannot be read as a whole (encoding, header, quoting); `line` is where, if known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Row:
    """One data row: its line number in the file (the header is line 1) and its cells by column."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class RowShapeProblem:
    """A row that does not have as many cells as the header has columns."""

    line: int
    message: str


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _delimiter(header_line: str) -> str:
    if "," in header_line:
        return ","
    if ";" in header_line:
        return ";"
    if "\t" in header_line:
        return "\t"
    return ","


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower().lstrip("\ufeff") for cell in cells]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise FileProblem(
            ngettext("Unknown column in the header: %(shown)s. The columns are: %(columns)s (download the CSV "
                     "template). If every column is unknown, check that the file is comma-separated.",
                     "Unknown columns in the header: %(shown)s. The columns are: %(columns)s (download the CSV "
                     "template). If every column is unknown, check that the file is comma-separated.",
                     len(unknown)) % {"shown": shown, "columns": ", ".join(COLUMNS)},
            line=1,
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FileProblem(ngettext("Column named twice in the header: %(columns)s.",
                                   "Columns named twice in the header: %(columns)s.",
                                   len(repeated)) % {"columns": ", ".join(repeated)}, line=1)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise FileProblem(ngettext("The header lacks the required column: %(columns)s.",
                                   "The header lacks the required columns: %(columns)s.",
                                   len(missing)) % {"columns": ", ".join(missing)}, line=1)
    return names


class CsvRows:
    """Iterate the rows of an uploaded file: `Row` objects, or `RowShapeProblem` for a row with too
    many or too few cells. Raises FileProblem when reading cannot go on."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.columns: list[str] = []

    def __iter__(self) -> Iterator[Row | RowShapeProblem]:
        head = self.stream.read(4)
        self.stream.seek(0)
        text = io.TextIOWrapper(self.stream, encoding=_encoding(head), errors="strict", newline="")
        try:
            yield from self._rows(text)
        except UnicodeError as error:
            raise FileProblem(
                gettext("The file is not UTF-8 text (%(reason)s at byte %(byte)s of a block). "
                "Save it as \"CSV UTF-8\" and upload it again.") % {"reason": error.reason, "byte": getattr(error, "start", "?")}
            ) from None
        finally:
            text.detach()

    def _rows(self, text: io.TextIOWrapper) -> Iterator[Row | RowShapeProblem]:
        header_line, skipped = "", -1
        while not header_line.strip():
            header_line, skipped = text.readline(1 << 16), skipped + 1
            if not header_line:
                raise FileProblem(gettext("The file is empty: it needs a header line with the template's columns."))
        delimiter = _delimiter(header_line)
        reader = csv.reader(_prepend(header_line, text), delimiter=delimiter, strict=True)
        try:
            self.columns = _header(next(reader))
            width = len(self.columns)
            for cells in reader:
                line = reader.line_num + skipped
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != width:
                    yield RowShapeProblem(line, gettext("This row has %(cells)d cells, the header has %(width)d columns.") % {"cells": len(cells), "width": width})
                    continue
                yield Row(line, {name: unneutralise(cell) for name, cell in zip(self.columns, cells)})
        except csv.Error as error:
            line = reader.line_num + skipped
            raise FileProblem(gettext("The file is not valid CSV at line %(line)s: %(error)s. "
                              "Check the quotes: a quoted cell must end with a quote.") % {"line": line, "error": error}, line=line) from None


def _prepend(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield first
    for line in rest:  # noqa: UP028 (not `yield from`: closing this generator must not close the file)
        yield line
