"""Read CSV and XLSX exports into all-text polars frames.

Every value comes back as ``pl.String`` (types are decided later, by
validation, never guessed by the reader), trimmed, with empty cells as null.
A leading ``__row__`` column (``pl.Int64``) holds the row number a person sees
when opening the file in Excel: the heading row is row 1 (or later, if blank
rows precede it) and every record counts as one row, even when a quoted value
spans several physical lines.  Completely blank rows are skipped but still
counted, so row numbers always match the file.

Anything that makes a file unusable raises :class:`UnusableInput` whose
``message`` is a sentence suitable for end users.  Irregularities that do not
stop the import (ragged rows, unnamed columns) are reported as
``TableInfo.notes``.

CSV files are read twice, both times as a stream: a first pass checks the
encoding and learns the shape of the table (width, ragged rows, row count), a
second pass produces the chunks.  Memory therefore stays bounded by the chunk
size whatever the file size, and every chunk has the same columns.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Literal

import polars as pl

ROW_COLUMN = "__row__"
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
MAX_COLUMNS = 1000
_SAMPLE_BYTES = 64 * 1024
_SAMPLE_RECORDS = 50
_DEFAULT_CHUNK_ROWS = 50_000
_XLSX_SUFFIXES = (".xlsx", ".xlsm")

Source = bytes | str | os.PathLike[str]

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class UnusableInput(Exception):
    """The upload cannot be read as a table.

    ``code`` is a stable machine code (``empty_file``, ``header_only``,
    ``not_a_table``, ``encoding``, ``bad_xlsx``, ``duplicate_headers``,
    ``no_header``, ``too_large``, ``missing_sheet``, ``bad_option``,
    ``unterminated_quote``); ``message`` is the sentence to show.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class TableInfo:
    """What was learnt about a file while reading it."""

    format: Literal["csv", "xlsx"]
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    sheet: str | None
    #: File-level remarks for the user (ragged rows, unnamed columns, ...).
    notes: tuple[str, ...] = ()
    #: Number of non-blank data rows; None when only sniffed.
    data_rows: int | None = None
    #: Row number of the heading row (1 unless blank rows precede it).
    header_row: int = 1
    sheets: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- helpers
def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _join_and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _quote_list(items: Iterable[str], limit: int = 8) -> str:
    items = list(items)
    shown = [f"'{x}'" for x in items[:limit]]
    if len(items) > limit:
        shown.append(f"{len(items) - limit} more")
    return _join_and(shown)


_WS_RE = re.compile(r"\s+")


def _clean_header(name: str) -> str:
    return _WS_RE.sub(" ", name.replace("\ufeff", "")).strip()


def _is_blank(record: Sequence[str]) -> bool:
    return not "".join(record).strip()


_DATA_LIKE_RE = re.compile(
    r"^[-+]?(\d+([.,]\d+)?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4})$",
)


def _display_name(filename: str) -> str:
    return f"'{filename}'" if filename else "The file"


def _object_name(filename: str) -> str:
    return f"'{filename}'" if filename else "the file"


# ------------------------------------------------------------------ content detection
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "a PDF document", ""),
    (b"\x89PNG", "a PNG image", ""),
    (b"\xff\xd8\xff", "a JPEG image", ""),
    (b"GIF8", "a GIF image", ""),
    (b"\x1f\x8b", "a compressed (gzip) file", ""),
    (b"Rar!", "a RAR archive", ""),
    (b"7z\xbc\xaf", "a 7-Zip archive", ""),
    (b"\x7fELF", "a program", ""),
    (b"MZ\x90\x00", "a Windows program", ""),
    (b"{\\rtf", "a rich-text (RTF) document", ""),
    (
        b"\xd0\xcf\x11\xe0",
        "an Excel 97-2003 (.xls) workbook or a password-protected Office file",
        " If it is an old .xls workbook, open it in Excel and save it as .xlsx;"
        " if it is password-protected, remove the password first.",
    ),
)


def _not_a_table(what: str, extra: str = "") -> UnusableInput:
    return UnusableInput(
        "not_a_table",
        f"This file does not look like a spreadsheet (it appears to be {what}).{extra}"
        " Upload a CSV or XLSX export.",
    )


def _zip_kind(data: bytes | None, path: Path | None) -> str:
    """Classify a ZIP container: 'xlsx' or a description of what it is."""
    try:
        handle: IO[bytes] = io.BytesIO(data) if data is not None else open(path or "", "rb")  # noqa: SIM115
        with handle, zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return "a damaged ZIP or Excel file"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "a Word document"
    if any(n.startswith("ppt/") for n in names):
        return "a PowerPoint presentation"
    if "content.xml" in names:
        return "an OpenDocument file (save it as .xlsx or CSV)"
    return "a ZIP archive"


def _check_not_binary(head: bytes) -> None:
    for magic, what, extra in _MAGIC:
        if head.startswith(magic):
            raise _not_a_table(what, extra)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body")):
        raise _not_a_table(
            "a web page (HTML), even if it is named like a spreadsheet",
            " Open it in Excel and save it as .xlsx or CSV.",
        )
    if stripped.startswith(b"<?xml"):
        raise _not_a_table("an XML file", " Open it in Excel and save it as .xlsx or CSV.")


def _check_text_sample(text: str) -> None:
    if not text:
        return
    if "\x00" in text:
        raise _not_a_table("binary data")
    bad = sum(
        1
        for ch in text
        if (ch not in "\t\r\n\f\v" and unicodedata.category(ch) == "Cc") or ch == "\ufffd"
    )
    if bad > max(2, len(text) // 100):
        raise _not_a_table("binary data")


def _decode_sample(head: bytes, encoding: str, truncated: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    return decoder.decode(head, final=not truncated)


def _guess_encoding(head: bytes, truncated: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        _decode_sample(head, "utf-8", truncated)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _encoding_error(filename: str, encoding: str, row: int | None) -> UnusableInput:
    where = f" near row {row:,}" if row else ""
    if encoding in ("utf-8", "utf-8-sig"):
        advice = (
            " Save it again as 'CSV UTF-8', or declare its encoding (for example cp1252)"
            " in the mapping profile."
        )
    else:
        advice = " Save it again as 'CSV UTF-8' and upload it again."
    return UnusableInput(
        "encoding",
        f"{_display_name(filename)} contains characters that are not valid {encoding} text{where}."
        + advice,
    )


def _check_codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UnusableInput(
            "encoding",
            f"'{encoding}' is not a text encoding this system knows; use for example utf-8 or"
            " cp1252.",
        ) from None


# ------------------------------------------------------------------------- delimiter
def _sample_records(text: str, delimiter: str, truncated: bool) -> list[list[str]] | None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    try:
        for record in reader:
            if not _is_blank(record):
                records.append(record)
                if len(records) > _SAMPLE_RECORDS:
                    break
    except csv.Error:
        return None
    if truncated and len(records) > 1:
        records.pop()
    return records


def detect_delimiter(text: str, *, truncated: bool = False) -> str:
    """Pick the delimiter giving a consistent (>1) field count across the sample.

    Each candidate is parsed with quote handling; candidates whose heading row
    has fewer than two fields are discarded.  The winner has the highest share
    of data rows with exactly the heading's field count, then the most fields,
    then the earliest position in ``DELIMITERS``.  A file with no usable
    candidate is a single-column file (comma).
    """
    best: tuple[float, int, int] | None = None
    choice = ","
    for priority, delimiter in enumerate(DELIMITERS):
        records = _sample_records(text, delimiter, truncated)
        if not records:
            continue
        width = len(records[0])
        if width < 2:
            continue
        rest = records[1:]
        consistent = sum(1 for r in rest if len(r) == width) / len(rest) if rest else 1.0
        score = (consistent, width, -priority)
        if best is None or score > best:
            best, choice = score, delimiter
    return choice


# ---------------------------------------------------------------------------- sources
@dataclass
class _Input:
    """Bytes in memory or a path on disk, opened as often as needed."""

    data: bytes | None
    path: Path | None
    filename: str

    def open(self) -> IO[bytes]:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None  # noqa: S101 - invariant of _make_input
        return open(self.path, "rb")  # noqa: SIM115 - caller closes

    def head(self, size: int = _SAMPLE_BYTES) -> tuple[bytes, bool]:
        with self.open() as handle:
            chunk = handle.read(size + 1)
        return chunk[:size], len(chunk) > size


def _make_input(source: Source, filename: str | None) -> _Input:
    if isinstance(source, bytes | bytearray | memoryview):
        return _Input(bytes(source), None, filename or "")
    path = Path(os.fspath(source))
    name = filename or path.name
    if not path.is_file():
        raise UnusableInput("not_found", f"The file '{name}' could not be found.")
    return _Input(None, path, name)


# ---------------------------------------------------------------------------- records
Record = tuple[int, list[str]]
RecordFactory = Callable[[], Iterator[Record]]


def _csv_records(inp: _Input, encoding: str, delimiter: str) -> Iterator[Record]:
    """Yield (row number, fields) for every record, blank ones included."""
    row = 0
    with inp.open() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        reader = csv.reader(text, delimiter=delimiter, quotechar='"', strict=False)
        try:
            for record in reader:
                row += 1
                yield row, record
        except UnicodeDecodeError:
            raise _encoding_error(inp.filename, encoding, row + 1) from None
        except csv.Error:
            raise UnusableInput(
                "unterminated_quote",
                f"Row {row + 1:,} of {_object_name(inp.filename)} has a value that is too long"
                ' to be real data; this usually means a quotation mark (") was opened and'
                " never closed. Check that row in a text editor and export the file again.",
            ) from None


_ISO_TIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]00:00(:00(\.0+)?)?$")


def cell_text(value: object) -> str:
    """Convert one spreadsheet cell to the text a person would type."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(value, ".15g")  # Excel shows at most 15 significant digits
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _xlsx_rows(
    inp: _Input, sheet: str | None, nrows: int | None = None
) -> tuple[str, tuple[str, ...], list[list[str]]]:
    import python_calamine as calamine  # local: only needed for workbooks

    try:
        if inp.data is not None:
            workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(inp.data))
        else:
            workbook = calamine.CalamineWorkbook.from_path(str(inp.path))
        names = tuple(workbook.sheet_names)
    except Exception:
        raise UnusableInput(
            "bad_xlsx",
            f"{_display_name(inp.filename)} could not be opened as an Excel workbook; it may be"
            " damaged or password-protected. Open it in Excel, save it again as .xlsx (or"
            " CSV), and upload it again.",
        ) from None
    if not names:
        raise UnusableInput("bad_xlsx", f"{_display_name(inp.filename)} has no worksheets.")
    if sheet is None:
        visible = [
            m.name
            for m in workbook.sheets_metadata
            if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")
        ]
        chosen = visible[0] if visible else names[0]
    elif sheet in names:
        chosen = sheet
    else:
        raise UnusableInput(
            "missing_sheet",
            f"The workbook has no sheet named '{sheet}'. Its sheets are {_quote_list(names)}.",
        )
    try:
        end_col = (workbook.get_sheet_by_name(chosen).end or (0, 0))[1]
    except Exception:
        end_col = 0
    if end_col >= MAX_COLUMNS:
        raise UnusableInput(
            "too_large",
            f"The sheet '{chosen}' of {_object_name(inp.filename)} uses {end_col + 1:,} columns;"
            f" at most {MAX_COLUMNS:,} are supported. Delete the unused columns (or export CSV)"
            " and upload it again.",
        )
    try:
        cells = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False, nrows=nrows)
    except Exception:
        raise UnusableInput(
            "bad_xlsx",
            f"The sheet '{chosen}' of {_object_name(inp.filename)} could not be read; it may be"
            " damaged. Save the workbook again in Excel and upload it again.",
        ) from None
    rows = [[cell_text(v) for v in row] for row in cells]
    return chosen, names, rows


# ------------------------------------------------------------------------------ layout
@dataclass
class _Layout:
    header_row: int
    names: list[str]
    width: int
    keep: list[int]
    data_rows: int
    notes: list[str]


def _parse_header(record: list[str], row: int, filename: str) -> list[str]:
    names = [_clean_header(h) for h in record]
    if len(names) > MAX_COLUMNS:
        raise UnusableInput(
            "too_large",
            f"{_display_name(filename)} has {len(names):,} columns; at most {MAX_COLUMNS:,} are"
            " supported. Remove the columns you do not need and upload it again.",
        )
    filled = [n for n in names if n]
    if filled and all(_DATA_LIKE_RE.match(n) for n in filled):
        raise UnusableInput(
            "no_header",
            f"The first row of {_object_name(filename)}"
            f" ({_quote_list(filled, 4)}) looks like data, not column headings. Add a heading row"
            " that names each column and upload it again.",
        )
    counts: dict[str, int] = {}
    for n in filled:
        counts[n] = counts.get(n, 0) + 1
    duplicated = [n for n, c in counts.items() if c > 1]
    if duplicated:
        raise UnusableInput(
            "duplicate_headers",
            f"Row {row} has more than one column headed {_quote_list(duplicated)}. Give every"
            " column a different heading (or delete the extra copy) and upload it again.",
        )
    if ROW_COLUMN in counts:
        raise UnusableInput(
            "duplicate_headers",
            f"The column heading '{ROW_COLUMN}' is reserved; rename that column and upload again.",
        )
    return names


def _scan(records: Iterator[Record], filename: str) -> _Layout:
    header: list[str] | None = None
    header_row = 0
    data_rows = blank_rows = 0
    long_rows: list[int] = []
    short_rows: list[int] = []
    max_width = 0
    named_width = 0
    unnamed: list[int] = []
    has_data: set[int] = set()
    for row, record in records:
        if _is_blank(record):
            if header is not None:
                blank_rows += 1
            continue
        if header is None:
            if not any(_clean_header(h) for h in record):
                continue  # only invisible characters (e.g. a stray BOM): not a heading
            header = _parse_header(record, row, filename)
            header_row = row
            max_width = len(header)
            named_width = max((i + 1 for i, n in enumerate(header) if n), default=0)
            unnamed = [i for i, n in enumerate(header) if not n]
            continue
        data_rows += 1
        size = len(record)
        if size > len(header):
            effective = size
            while effective > len(header) and not record[effective - 1].strip():
                effective -= 1
            if effective > len(header):
                long_rows.append(row)
                max_width = max(max_width, effective)
                has_data.update(i for i in range(len(header), effective) if record[i].strip())
        elif size < named_width:
            short_rows.append(row)
        for i in unnamed:
            if i not in has_data and i < size and record[i].strip():
                has_data.add(i)
    if header is None:
        raise UnusableInput(
            "empty_file",
            f"{_display_name(filename)} is empty: it has no column headings and no data rows.",
        )
    if data_rows == 0:
        raise UnusableInput(
            "header_only",
            f"{_display_name(filename)} has column headings but no data rows.",
        )
    if max_width > MAX_COLUMNS:
        raise UnusableInput(
            "too_large",
            f"Some rows of {_object_name(filename)} have {max_width:,} values; at most"
            f" {MAX_COLUMNS:,} columns are supported.",
        )
    notes: list[str] = []
    names = list(header)
    for i in unnamed:
        if i in has_data:
            names[i] = f"column_{i + 1}"
            notes.append(
                f"Column {i + 1} has no heading but contains values; they were kept under"
                f" 'column_{i + 1}'."
            )
    existing = set(names)
    extra: list[str] = []
    for i in range(len(header), max_width):
        name = ""
        if i in has_data:
            name = f"column_{i + 1}"
            while name in existing:
                name += "_extra"
            existing.add(name)
            extra.append(name)
        names.append(name)
    keep = [i for i, n in enumerate(names) if n]
    if long_rows:
        cols = _join_and(extra)
        if len(long_rows) == 1:
            notes.append(
                f"Row {long_rows[0]:,} has more values than the heading row has columns"
                f" ({len(header)}); the extra values were kept under {cols}."
            )
        else:
            first = ", ".join(f"{r:,}" for r in long_rows[:5])
            notes.append(
                f"{_plural(len(long_rows), 'row')} (first: {first}) have more values than the"
                f" heading row has columns ({len(header)}); the extra values were kept under"
                f" {cols}. This usually means a value contains the delimiter without quotes."
            )
    if short_rows:
        first = ", ".join(f"{r:,}" for r in short_rows[:5])
        notes.append(
            f"{_plural(len(short_rows), 'row')} (first: {first}) "
            f"{'has' if len(short_rows) == 1 else 'have'} fewer values than the heading row has"
            " columns; the missing values were treated as empty."
        )
    if blank_rows:
        notes.append(
            f"{_plural(blank_rows, 'blank row')} {'was' if blank_rows == 1 else 'were'} skipped."
        )
    return _Layout(header_row, [names[i] for i in keep], max_width, keep, data_rows, notes)


def _frame(rows: list[list[str]], numbers: list[int], names: list[str]) -> pl.DataFrame:
    columns: list[pl.Series] = [pl.Series(ROW_COLUMN, numbers, dtype=pl.Int64)]
    transposed = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    for name, values in zip(names, transposed, strict=True):
        columns.append(pl.Series(name, values, dtype=pl.String))
    return _tidy(pl.DataFrame(columns), names)


def _tidy(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Trim every value; empty values become null."""
    if not names:
        return frame
    stripped = [pl.col(n).str.strip_chars() for n in names]
    return frame.with_columns(
        [
            pl.when(e.str.len_bytes() > 0).then(e).otherwise(None).alias(n)
            for e, n in zip(stripped, names, strict=True)
        ]
    )


def _chunks(
    records: Iterator[Record], layout: _Layout, chunk_rows: int | None
) -> Iterator[pl.DataFrame]:
    width = layout.width
    keep = layout.keep
    select = len(keep) != width
    names = layout.names
    rows: list[list[str]] = []
    numbers: list[int] = []
    for row, record in records:
        if row <= layout.header_row or _is_blank(record):
            continue
        size = len(record)
        if size != width:
            record = record[:width] if size > width else record + [""] * (width - size)
        if select:
            record = [record[i] for i in keep]
        rows.append(record)
        numbers.append(row)
        if chunk_rows is not None and len(rows) >= chunk_rows:
            yield _frame(rows, numbers, names)
            rows, numbers = [], []
    if rows:
        yield _frame(rows, numbers, names)


# ------------------------------------------------------------ fast path for plain CSV
# Most exports are plain: UTF-8, one record per line, no quotes, every line as wide as the
# heading row, no blank lines. For those, polars' native reader gives the same frames as
# the streaming reader above (row number = line number), several times faster. A first
# pass over the bytes proves the file is plain; anything else takes the streaming reader,
# which explains every irregularity.
_FAST_CSV = True
_FAST_BLOCK_BYTES = 8 << 20
# Characters the two readers could treat differently: quotes, NUL, the separators Python
# counts as whitespace, and a carriage return that does not end a line.
_FAST_UNSAFE = ('"', "\x00", "\x1c", "\x1d", "\x1e", "\x1f")


_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def _fast_unsafe(text: str) -> bool:
    return any(c in text for c in _FAST_UNSAFE) or text.count("\r") != text.count("\r\n")


def _fast_lines_plain(block: bytes, lines: int, delimiter: str, width: int) -> bool:
    """Whether each of the block's ``lines`` lines holds ``width`` values and is not blank."""
    column = pl.read_csv(
        block,
        has_header=False,
        schema={"line": pl.String},
        separator="\x1f",  # absent (checked): each line is one value
        quote_char=None,
    ).get_column("line")
    if column.len() != lines:
        return False
    ragged = column.str.count_matches(delimiter, literal=True).ne_missing(width - 1).any()
    blank = column.str.strip_chars(_WHITESPACE + delimiter).fill_null("").eq("").any()
    return not (ragged or blank)


@dataclass
class _FastLayout:
    names: list[str]
    data_rows: int
    #: (byte offset, byte length, lines) of each block of whole data lines.
    blocks: list[tuple[int, int, int]]


def _fast_blocks(handle: IO[bytes], size: int) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines (the last may lack its newline), with their byte offset."""
    offset = 0
    rest = b""
    while True:
        data = handle.read(size)
        if not data:
            break
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        yield offset, data[:cut]
        offset += cut
        rest = data[cut:]
    if rest:
        yield offset, rest


def _fast_layout(inp: _Input, encoding: str, delimiter: str) -> _FastLayout | None:
    """The layout of a plain CSV file, or None when the streaming reader must read it."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    names: list[str] | None = None
    width = data_rows = 0
    blocks: list[tuple[int, int, int]] = []
    with inp.open() as handle:
        for offset, block in _fast_blocks(handle, _FAST_BLOCK_BYTES):
            try:
                text = block.decode(encoding)
            except UnicodeDecodeError:
                return None
            start = 0
            if names is None:
                first, _, text = text.partition("\n")
                start = len(first.encode(encoding)) + 1
                first = first.removesuffix("\r")
                if _fast_unsafe(first):
                    return None
                record = next(csv.reader([first], delimiter=delimiter), [])
                if _is_blank(record):
                    return None
                try:
                    names = _parse_header(record, 1, inp.filename)
                except UnusableInput:
                    return None
                width = len(names)
                if width < 2 or not all(names):
                    return None
            if not text:
                continue
            if _fast_unsafe(text):
                return None
            lines = text.count("\n") + (0 if text.endswith("\n") else 1)
            if not _fast_lines_plain(block[start:], lines, delimiter, width):
                return None  # a short, long or blank row: the streaming reader explains it
            blocks.append((offset + start, len(block) - start, lines))
            data_rows += lines
    if names is None or data_rows == 0:
        return None
    return _FastLayout(names, data_rows, blocks)


def _fast_parse(
    inp: _Input, layout: _FastLayout, delimiter: str
) -> Iterator[tuple[int, pl.DataFrame]]:
    """Each block parsed by polars, with the row number of its first line."""
    schema = dict.fromkeys(layout.names, pl.String)
    row = 2
    with inp.open() as handle:
        for offset, length, lines in layout.blocks:
            handle.seek(offset)
            frame = pl.read_csv(
                handle.read(length),
                has_header=False,
                schema=schema,
                separator=delimiter,
                quote_char=None,
                encoding="utf8",
            )
            if frame.height != lines:
                raise UnusableInput(
                    "not_a_table", "The file changed while it was being read; upload it again."
                )
            yield row, frame
            row += lines


def _fast_chunks(
    inp: _Input, layout: _FastLayout, delimiter: str, chunk_rows: int | None
) -> Iterator[pl.DataFrame]:
    names = layout.names
    pending: list[pl.DataFrame] = []
    held = 0

    def emit(frames: list[pl.DataFrame]) -> pl.DataFrame:
        return _tidy(pl.concat(frames) if len(frames) > 1 else frames[0], names)

    for first_row, frame in _fast_parse(inp, layout, delimiter):
        frame = frame.select(
            pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias(ROW_COLUMN),
            *names,
        )
        while frame.height:
            take = frame.height if chunk_rows is None else min(chunk_rows - held, frame.height)
            pending.append(frame.slice(0, take))
            held += take
            frame = frame.slice(take)
            if chunk_rows is not None and held == chunk_rows:
                yield emit(pending)
                pending, held = [], 0
    if pending:
        yield emit(pending)


# ------------------------------------------------------------------------- public API
def _is_xlsx_name(filename: str) -> bool:
    return filename.lower().endswith(_XLSX_SUFFIXES)


def _sniff_input(
    inp: _Input, encoding: str | None, delimiter: str | None
) -> tuple[TableInfo, str | None]:
    """Return the sniffed info and, for text, a note about a misleading file name."""
    head, truncated = inp.head()
    if not head:
        raise UnusableInput("empty_file", f"{_display_name(inp.filename)} is empty.")
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(inp.data, inp.path)
        if kind != "xlsx":
            raise _not_a_table(kind)
        return TableInfo("xlsx", None, None, [], None), None
    _check_not_binary(head)
    if delimiter is not None and delimiter not in DELIMITERS:
        names = ", ".join(f"{_DELIMITER_NAMES[d]} ({d!r})" for d in DELIMITERS)
        raise UnusableInput(
            "bad_option", f"The delimiter {delimiter!r} is not supported; use one of {names}."
        )
    if encoding is not None:
        enc = _check_codec(encoding)
        if enc == "utf-8" and head.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
    else:
        enc = _guess_encoding(head, truncated)
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\x00" in head:
        raise _not_a_table("binary data")
    try:
        text = _decode_sample(head, enc, truncated)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise _encoding_error(inp.filename, enc, line) from None
    except (LookupError, ValueError):
        raise UnusableInput(
            "encoding", f"{_display_name(inp.filename)} could not be decoded as {enc} text."
        ) from None
    _check_text_sample(text)
    delim = delimiter or detect_delimiter(text, truncated=truncated)
    headers: list[str] = []
    records = _sample_records(text, delim, truncated)
    if records:
        headers = [n for n in (_clean_header(h) for h in records[0]) if n]
    note = None
    if _is_xlsx_name(inp.filename):
        note = (
            f"The file is named '{inp.filename}' but contains text, not an Excel workbook; it"
            " was read as CSV."
        )
    return TableInfo("csv", enc, delim, headers, None), note


def sniff(
    data: bytes,
    *,
    filename: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> TableInfo:
    """Detect format, encoding, delimiter and headings from the start of a file.

    For text, only the first 64 KiB are examined, so ``data`` may be just the
    start of the file.  A workbook must be passed whole (a ZIP cannot be read
    from its start); its headings come from the first non-blank row of the
    sheet (``sheet`` or the first visible one).  The headings are the
    non-empty cleaned names of the heading row; duplicates are not checked here.
    """
    inp = _Input(bytes(data), None, filename)
    info, _ = _sniff_input(inp, encoding, delimiter)
    if info.format != "xlsx":
        return info
    chosen, sheets, rows = _xlsx_rows(inp, sheet, nrows=_SAMPLE_RECORDS)
    headers: list[str] = []
    for row in rows:
        if not _is_blank(row):
            headers = [n for n in (_clean_header(h) for h in row) if n]
            break
    return replace(info, headers=headers, sheet=chosen, sheets=sheets)


def iter_table_chunks(
    path: Source,
    *,
    chunk_rows: int = _DEFAULT_CHUNK_ROWS,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    filename: str | None = None,
) -> tuple[TableInfo, Iterator[pl.DataFrame]]:
    """Like :func:`read_table` but yield frames of at most ``chunk_rows`` rows.

    All problems that make the file unusable are raised before this returns,
    so ``TableInfo`` (headings, notes, row count) is complete up front and every
    chunk has the same columns.  ``__row__`` continues across chunks.  CSV is
    streamed (bounded memory); XLSX is loaded whole.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    return _read(path, filename, encoding, delimiter, sheet, chunk_rows)


def read_table(
    source: Source,
    *,
    filename: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> tuple[TableInfo, pl.DataFrame]:
    """Read a whole CSV/XLSX export (bytes, or a path given as str/PathLike).

    Returns the table info and a frame whose first column is ``__row__``
    (Int64) and whose other columns, named after the cleaned headings, are all
    ``pl.String`` (trimmed, empty as null).
    """
    info, chunks = _read(source, filename, encoding, delimiter, sheet, None)
    frames = list(chunks)
    frame = pl.concat(frames) if len(frames) > 1 else frames[0]
    return info, frame


def _read(
    source: Source,
    filename: str | None,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    chunk_rows: int | None,
) -> tuple[TableInfo, Iterator[pl.DataFrame]]:
    inp = _make_input(source, filename)
    info, name_note = _sniff_input(inp, encoding, delimiter)
    extra_notes = [name_note] if name_note else []
    if info.format == "xlsx":
        chosen, sheets, rows = _xlsx_rows(inp, sheet)

        def factory() -> Iterator[Record]:
            return ((i, r) for i, r in enumerate(rows, start=1))

        layout = _scan(factory(), inp.filename)
        info = TableInfo(
            "xlsx",
            None,
            None,
            layout.names,
            chosen,
            tuple(layout.notes),
            layout.data_rows,
            layout.header_row,
            sheets,
        )
        return info, _chunks(factory(), layout, chunk_rows)

    enc = info.encoding or "utf-8"
    delim = info.delimiter or ","
    fast = _fast_layout(inp, enc, delim) if _FAST_CSV else None
    if fast is not None:
        info = replace(
            info,
            encoding=enc,
            headers=fast.names,
            notes=tuple(extra_notes),
            data_rows=fast.data_rows,
            header_row=1,
        )
        return info, _fast_chunks(inp, fast, delim, chunk_rows)
    try:
        layout = _scan(_csv_records(inp, enc, delim), inp.filename)
    except UnusableInput as exc:
        if exc.code != "encoding" or encoding is not None or enc != "utf-8":
            raise
        enc = "cp1252"  # valid UTF-8 at the start only: the rest is Windows text
        layout = _scan(_csv_records(inp, enc, delim), inp.filename)
    info = replace(
        info,
        encoding=enc,
        headers=layout.names,
        notes=tuple(extra_notes + layout.notes),
        data_rows=layout.data_rows,
        header_row=layout.header_row,
    )
    return info, _chunks(_csv_records(inp, enc, delim), layout, chunk_rows)
