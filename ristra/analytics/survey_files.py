"""Read survey responses exported from Qualtrics or REDCap (no Django).

Both parsers take the file's bytes and the instrument, and return every data row with its
converted values and its problems (nothing is dropped silently: the app records each row's
fate in its import ledger).  A file that cannot be read as an export at all raises
:class:`ResponseFileError` with a message that says what was expected.

What they accept:

* text in UTF-8 (with or without a byte-order mark) or UTF-16 with a BOM (Qualtrics' TSV
  export); anything else is read as Windows-1252 and the file notes it;
* commas, semicolons (a file re-saved by a spreadsheet in a European locale) or tabs
  between cells, detected from the header row;
* **Qualtrics**: the CSV export's three header rows (column ids, question text, and the
  ``{"ImportId": ...}`` row); numeric ("choice text" off) or label values; ``-99``
  (seen but unanswered) counts as no answer; multiple-answer cells hold comma-separated
  choices;
* **REDCap**: the raw export (field names, coded values, checkbox columns ``item___1``)
  or the label export (field labels as headings, choice labels as values, checkbox
  headings ``Question (choice=Label)`` with ``Checked``/``Unchecked``).

Columns map to items by their heading: the item key, or the item's question text, or an
explicit ``column_map`` (heading -> item key, or ``""`` to ignore the column).  Columns
that could identify a respondent or time their answer (IP address, recipient names and
e-mail, location, external reference, survey identifier, start/end/submission times) are
never carried into the result; :attr:`ParsedFile.dropped` names them.

Coded choice values: code *k* means the item's *k*-th option (1-based) unless the code is
itself one of the options.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from ristra.analytics.surveys import Instrument, Item, Scale

SEEN_UNANSWERED: Final = "-99"
DELIMITERS: Final = (",", ";", "\t")
_DELIMITER_NAMES: Final = {",": "commas", ";": "semicolons", "\t": "tabs"}
MAX_FIELD: Final = 1_000_000

QUALTRICS_ID_COLUMNS: Final = ("responseid", "_recordid", "responseid ")
QUALTRICS_KEPT: Final = ("Status", "Progress", "Finished", "UserLanguage", "DistributionChannel")
QUALTRICS_DROPPED: Final = (
    "Duration (in seconds)",
    "StartDate",
    "EndDate",
    "RecordedDate",
    "IPAddress",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "ExternalDataReference",
    "LocationLatitude",
    "LocationLongitude",
    "Q_RecaptchaScore",
    "Q_RelevantIDDuplicate",
    "Q_RelevantIDDuplicateScore",
    "Q_RelevantIDFraudScore",
    "Q_RelevantIDLastStartDate",
    "Q_URL",
)
# Qualtrics Status codes (numeric export) and labels that are not real responses.
QUALTRICS_NOT_REAL: Final = {
    "1": "a survey preview",
    "2": "a survey test",
    "8": "marked as spam",
    "survey preview": "a survey preview",
    "survey test": "a survey test",
    "spam": "marked as spam",
}
REDCAP_STRUCTURE: Final = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "event name",
    "repeat instrument",
    "repeat instance",
    "data access group",
)
REDCAP_DROPPED_NAMES: Final = ("redcap_survey_identifier", "survey identifier", "survey timestamp")
REDCAP_CHECKED: Final = {"1": True, "0": False, "checked": True, "unchecked": False}


class ResponseFileError(ValueError):
    """The file cannot be read as a response export; the message says why and what to do."""


@dataclass(frozen=True)
class ParsedRow:
    """One data row: ``raw`` (kept columns, as written), ``values`` (item key -> value:
    ``int`` for Likert, ``str`` for choice, demographic and text, ``tuple[str, ...]`` for
    multiple answers; an unreadable cell is left out and named in ``problems``)."""

    row_number: int
    raw: dict[str, str]
    values: dict[str, object]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ParsedFile:
    source: str  # "qualtrics" | "redcap"
    columns: tuple[str, ...]  # the headings kept (items and non-identifying metadata)
    rows: tuple[ParsedRow, ...]
    file_problems: tuple[str, ...]
    dropped: tuple[str, ...] = ()  # identifying or timing columns that were not carried
    response_id_column: str | None = None
    mapping: tuple[tuple[str, str], ...] = ()  # (heading, item key) pairs used

    @property
    def ok_rows(self) -> tuple[ParsedRow, ...]:
        return tuple(row for row in self.rows if not row.problems)


# ----------------------------------------------------------------------------- text


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[\W_]+", " ", bare).strip()


def decode(data: bytes) -> tuple[str, list[str]]:
    """The file's text and any notes about how it was read."""
    if not data or not data.strip():
        raise ResponseFileError("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        raise ResponseFileError(
            "This is a spreadsheet workbook (XLSX), not a CSV export: export the responses "
            "as CSV and upload that file."
        )
    if data.startswith(b"$FL2") or data.startswith(b"$FL3"):
        raise ResponseFileError("This is an SPSS data file: export the responses as CSV instead.")
    notes: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ResponseFileError(
                "The file starts with a UTF-16 byte-order mark but is not valid UTF-16 text."
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise ResponseFileError(
                    "The file is not text in UTF-8: export it again as CSV (UTF-8)."
                ) from None
            notes.append(
                "The file is not UTF-8; it was read as Windows-1252. Check accented "
                "characters, or export it again as CSV (UTF-8)."
            )
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise ResponseFileError(
            "The file holds NUL characters: it is not a CSV text export (perhaps a binary "
            "file or a different encoding). Export the responses as CSV (UTF-8)."
        )
    return text, notes


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: 0 for d in DELIMITERS}
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(text: str) -> tuple[list[list[str]], str]:
    """All records of a CSV text (blank lines skipped) and the delimiter used."""
    delimiter = _delimiter(text)
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD)
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for row in reader:
            if row:
                rows.append(row)
    except csv.Error as error:
        raise ResponseFileError(
            f"The file could not be read as CSV near line {reader.line_num}: {error}."
        ) from None
    finally:
        csv.field_size_limit(limit)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ResponseFileError("The file has no header row: the first line is empty.")
    return rows, delimiter


def _delimiter_note(delimiter: str) -> list[str]:
    if delimiter == ",":
        return []
    return [
        f"Read with {_DELIMITER_NAMES[delimiter]} between columns (a spreadsheet in a "
        "European locale saves CSV this way)."
    ]


# ----------------------------------------------------------------------------- values


def _likert(item: Item, scale: Scale, cell: str) -> tuple[object, str | None]:
    text = cell.strip()
    if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
        value = int(float(text))
        if value in scale.values:
            return value, None
        return None, (
            f"{item.key}: {text} is outside the scale "
            f"({', '.join(map(str, scale.values))}); left unanswered."
        )
    folded = _fold(text)
    for value, label in scale.pairs():
        if _fold(label) == folded:
            return value, None
    return None, (
        f"{item.key}: {_short(text)!r} is neither a value nor a label of the scale "
        f"({', '.join(scale.labels)}); left unanswered."
    )


def _option(item: Item, text: str) -> str | None:
    folded = _fold(text)
    for option in item.options:
        if _fold(option) == folded:
            return option
    if re.fullmatch(r"\d{1,4}", text.strip()):
        k = int(text)
        if 1 <= k <= len(item.options):
            return item.options[k - 1]
    return None


def _choice(item: Item, cell: str) -> tuple[object, str | None]:
    text = cell.strip()
    if not item.options:  # a demographic item reusing a school category: kept as written
        return text, None
    option = _option(item, text)
    if option is not None:
        return option, None
    return None, (
        f"{item.key}: {_short(text)!r} is not one of the options "
        f"({', '.join(item.options)}); left unanswered."
    )


def _multi(item: Item, cell: str) -> tuple[object, str | None]:
    whole = _option(item, cell)
    if whole is not None:
        return (whole,), None
    chosen: list[str] = []
    unknown: list[str] = []
    for part in (p.strip() for p in cell.split(",")):
        if not part:
            continue
        option = _option(item, part)
        if option is None:
            unknown.append(part)
        elif option not in chosen:
            chosen.append(option)
    if unknown:
        return None, (
            f"{item.key}: {', '.join(repr(_short(u)) for u in unknown)} not among the options "
            f"({', '.join(item.options)}); left unanswered."
        )
    return tuple(chosen), None


def convert(item: Item, instrument: Instrument, cell: str) -> tuple[object, str | None]:
    """One cell's value for ``item`` (``None`` when empty) and a problem, if any."""
    if not cell.strip() or cell.strip() == SEEN_UNANSWERED:
        return None, None
    if item.kind == "likert":
        return _likert(item, instrument.scale_of(item), cell)
    if item.kind in ("choice", "demographic"):
        return _choice(item, cell)
    if item.kind == "multi":
        return _multi(item, cell)
    return cell.strip(), None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------- mapping


def _check_column_map(
    column_map: Mapping[str, str] | None, instrument: Instrument
) -> dict[str, str]:
    keys = {item.key for item in instrument.items}
    result: dict[str, str] = {}
    for heading, key in (column_map or {}).items():
        if key and key not in keys:
            raise ResponseFileError(
                f"The column map sends {heading!r} to {key!r}, which is not an item of "
                f"instrument {instrument.key!r}."
            )
        result[heading.strip()] = key
    return result


def _map_columns(
    headings: Sequence[str],
    texts: Sequence[str] | None,
    instrument: Instrument,
    column_map: dict[str, str],
) -> dict[int, Item]:
    """Column index -> item, by explicit map, item key, or question text."""
    by_key = {item.key: item for item in instrument.items}
    by_folded_key = {item.key.casefold(): item for item in instrument.items}
    by_text = {_fold(item.text): item for item in instrument.items if item.text}
    mapped: dict[int, Item] = {}
    for j, heading in enumerate(headings):
        name = heading.strip()
        if name in column_map:
            if column_map[name]:
                mapped[j] = by_key[column_map[name]]
            continue
        item = by_key.get(name) or by_folded_key.get(name.casefold()) or by_text.get(_fold(name))
        if item is None and texts is not None and j < len(texts):
            item = by_text.get(_fold(texts[j]))
        if item is not None:
            mapped[j] = item
    seen: dict[str, int] = {}
    for j, item in sorted(mapped.items()):
        if item.key in seen:
            raise ResponseFileError(
                f"Columns {headings[seen[item.key]]!r} and {headings[j]!r} both map to item "
                f"{item.key!r}; keep one (or map the other to nothing in the column map)."
            )
        seen[item.key] = j
    return mapped


def _missing_items(
    instrument: Instrument, mapped: Mapping[int, Item], multi_keys: set[str]
) -> list[str]:
    present = {item.key for item in mapped.values()} | multi_keys
    missing = [item.key for item in instrument.items if item.key not in present]
    if not missing:
        return []
    return [f"Not in the file (left unanswered for every row): {', '.join(missing)}."]


def _unknown(headings: Sequence[str], used: set[int], kind: str) -> list[str]:
    unknown = [h for j, h in enumerate(headings) if j not in used and h.strip()]
    if not unknown:
        return []
    shown = ", ".join(repr(_short(h, 30)) for h in unknown[:12])
    more = f" and {len(unknown) - 12} more" if len(unknown) > 12 else ""
    return [
        f"{len(unknown)} column{'s' if len(unknown) > 1 else ''} match no item of the "
        f"instrument and {'were' if len(unknown) > 1 else 'was'} ignored: {shown}{more}. "
        f"Map {'them' if len(unknown) > 1 else 'it'} to items in the column map if they "
        f"hold answers ({kind} headings should be the item keys)."
    ]


def _fit(row: list[str], width: int) -> tuple[list[str], str | None]:
    if len(row) == width:
        return row, None
    problem = f"has {len(row)} cells but the header has {width}"
    if len(row) < width:
        return row + [""] * (width - len(row)), problem + "; the missing cells are empty."
    extra = [c for c in row[width:] if c.strip()]
    if not extra:
        return row[:width], None
    return row[:width], problem + "; the extra cells were ignored."


def scale_summary(
    mapped: Mapping[int, Item],
    headings: Sequence[str],
    rows: Sequence[list[str]],
    instrument: Instrument,
) -> list[str]:
    """File-level notes when a column's numbers do not fit the instrument's scale: how many
    answers are off the scale and, where the pattern is clear, what the export used."""
    notes: list[str] = []
    for j, item in sorted(mapped.items()):
        if item.kind != "likert":
            continue
        scale = instrument.scale_of(item)
        seen: set[int] = set()
        for cells in rows:
            cell = cells[j].strip() if j < len(cells) else ""
            if re.fullmatch(r"[+-]?\d{1,6}", cell) and cell != SEEN_UNANSWERED:
                seen.add(int(cell))
        outside = sorted(seen - set(scale.values))
        if not outside:
            continue
        low, high = min(scale.values), max(scale.values)
        hint = ""
        if seen and min(seen) == low - 1 and max(seen) == high - 1:
            hint = (
                f" The export seems to code the scale from {low - 1} to {high - 1}, "
                "one below the instrument."
            )
        elif seen and max(seen) > high and min(seen) >= low:
            hint = f" The export seems to use a longer scale (up to {max(seen)})."
        notes.append(
            f"Column {headings[j]!r} (item {item.key}) holds values outside scale "
            f"{scale.key} ({', '.join(map(str, scale.values))}): "
            f"{', '.join(map(str, outside[:8]))}{' ...' if len(outside) > 8 else ''}; those "
            f"answers are left unanswered.{hint} Check that the export's scale matches the "
            "instrument."
        )
    return notes


# ----------------------------------------------------------------------------- Qualtrics


def _is_import_id(cell: str) -> bool:
    return cell.strip().replace(" ", "").startswith('{"ImportId"')


def parse_qualtrics(
    data: bytes, instrument: Instrument, *, column_map: Mapping[str, str] | None = None
) -> ParsedFile:
    """Read a Qualtrics CSV (or UTF-16 TSV) export; see the module docstring."""
    mapping = _check_column_map(column_map, instrument)
    text, notes = decode(data)
    records, delimiter = read_rows(text)
    notes += _delimiter_note(delimiter)
    headings = [h.strip() for h in records[0]]
    folded = [h.casefold() for h in headings]
    id_index = next((j for j, h in enumerate(folded) if h in QUALTRICS_ID_COLUMNS), None)
    if id_index is None:
        if "record_id" in folded or any("___" in h for h in headings):
            raise ResponseFileError(
                "This looks like a REDCap export (record_id, checkbox columns): import it "
                "as a REDCap file."
            )
        raise ResponseFileError(
            "The first row has no ResponseId column, so this does not look like a Qualtrics "
            "export. Export from Qualtrics (Data & Analysis > Export & Import > Export data > "
            "CSV) without editing the three header rows."
        )
    import_row = next(
        (
            r
            for r in (1, 2)
            if r < len(records)
            and id_index < len(records[r])
            and _is_import_id(records[r][id_index])
        ),
        None,
    )
    if import_row is None:
        found = records[2][id_index] if len(records) > 2 and id_index < len(records[2]) else ""
        raise ResponseFileError(
            "The third row should hold Qualtrics' ImportId entries such as "
            '{"ImportId":"_recordId"} under ResponseId'
            + (f", but holds {_short(found)!r}" if found else ", but the file has fewer rows")
            + ". Export again as CSV from Qualtrics (not the legacy format) and do not edit "
            "or remove the header rows."
        )
    if import_row == 1:
        notes.append(
            "The question-text header row is missing; the ImportId row was found on row 2."
        )
    texts = records[1] if import_row == 2 else None
    width = len(headings)
    mapped = _map_columns(headings, texts, instrument, mapping)
    if not mapped:
        raise ResponseFileError(
            "No column matches an item of the instrument "
            f"{instrument.key!r} (by key or question text). Set the question export tags "
            "in Qualtrics to the item keys, or give a column map."
        )
    kept_meta = {j for j, h in enumerate(headings) if h in QUALTRICS_KEPT or j == id_index}
    dropped_idx = {
        j
        for j, h in enumerate(headings)
        if j not in mapped and (h in QUALTRICS_DROPPED or h.startswith("Recipient"))
    }
    ignored_by_map = {j for j, h in enumerate(headings) if mapping.get(h) == ""}
    used = set(mapped) | kept_meta | dropped_idx | ignored_by_map
    file_problems = (
        notes + _missing_items(instrument, mapped, set()) + _unknown(headings, used, "Qualtrics")
    )
    status_index = next((j for j, h in enumerate(headings) if h == "Status"), None)
    keep = sorted(set(mapped) | kept_meta)
    rows: list[ParsedRow] = []
    first_seen: dict[str, int] = {}
    for offset, record in enumerate(records[import_row + 1 :], start=import_row + 2):
        cells, shape_problem = _fit(record, width)
        problems = [f"Row {offset} {shape_problem}"] if shape_problem else []
        if not any(c.strip() for c in cells):
            rows.append(ParsedRow(offset, {}, {}, ("The row is empty.",)))
            continue
        response_id = cells[id_index].strip()
        if not response_id:
            problems.append("No ResponseId.")
        elif response_id in first_seen:
            problems.append(
                f"Duplicate ResponseId {_short(response_id)!r} (first on row "
                f"{first_seen[response_id]}): the same response appears twice."
            )
        else:
            first_seen[response_id] = offset
        if status_index is not None:
            status = cells[status_index].strip().casefold()
            if status in QUALTRICS_NOT_REAL:
                problems.append(
                    f"Status says this is {QUALTRICS_NOT_REAL[status]}, not a real response."
                )
        values: dict[str, object] = {}
        for j, item in mapped.items():
            value, problem = convert(item, instrument, cells[j])
            if problem:
                problems.append(problem)
            if value is not None:
                values[item.key] = value
        raw = {headings[j]: cells[j] for j in keep}
        rows.append(ParsedRow(offset, raw, values, tuple(problems)))
    if not rows:
        file_problems.append("The file has header rows but no responses.")
    file_problems += scale_summary(mapped, headings, records[import_row + 1 :], instrument)
    return ParsedFile(
        source="qualtrics",
        columns=tuple(headings[j] for j in keep),
        rows=tuple(rows),
        file_problems=tuple(file_problems),
        dropped=tuple(headings[j] for j in sorted(dropped_idx)),
        response_id_column=headings[id_index],
        mapping=tuple((headings[j], item.key) for j, item in sorted(mapped.items())),
    )


# ----------------------------------------------------------------------------- REDCap

_CHECKBOX_RAW = re.compile(r"^(?P<field>[A-Za-z][A-Za-z0-9_]*?)___(?P<code>[A-Za-z0-9_-]+)$")
_CHECKBOX_LABEL = re.compile(r"^(?P<text>.*)\(choice=(?P<label>.*)\)\s*$", re.S)


def _checkbox_columns(
    headings: Sequence[str],
    instrument: Instrument,
    mapped: Mapping[int, Item],
    mapping: dict[str, str],
) -> tuple[dict[int, tuple[Item, str]], list[str]]:
    """Column index -> (multi item, option) for REDCap checkbox columns."""
    by_key = {item.key: item for item in instrument.items if item.kind == "multi"}
    by_text = {_fold(item.text): item for item in instrument.items if item.kind == "multi"}
    result: dict[int, tuple[Item, str]] = {}
    problems: list[str] = []
    for j, heading in enumerate(headings):
        if j in mapped or heading in mapping:
            continue
        item: Item | None = None
        code = ""
        raw = _CHECKBOX_RAW.match(heading)
        if raw and raw["field"] in by_key:
            item, code = by_key[raw["field"]], raw["code"]
        else:
            label = _CHECKBOX_LABEL.match(heading)
            if label and _fold(label["text"]) in by_text:
                item, code = by_text[_fold(label["text"])], label["label"].strip()
        if item is None:
            continue
        option = _option(item, code)
        if option is None:
            problems.append(
                f"Checkbox column {heading!r}: {code!r} is not an option of item {item.key!r} "
                f"({', '.join(item.options)}); the column was ignored."
            )
            continue
        result[j] = (item, option)
    return result, problems


def parse_redcap(
    data: bytes, instrument: Instrument, *, column_map: Mapping[str, str] | None = None
) -> ParsedFile:
    """Read a REDCap CSV export, raw or labels; see the module docstring."""
    mapping = _check_column_map(column_map, instrument)
    text, notes = decode(data)
    records, delimiter = read_rows(text)
    notes += _delimiter_note(delimiter)
    headings = [h.strip() for h in records[0]]
    if (
        len(records) > 1
        and any(_is_import_id(c) for c in records[1][:3])
        or (len(records) > 2 and any(_is_import_id(c) for c in records[2][:3]))
    ):
        raise ResponseFileError(
            "This looks like a Qualtrics export (it has an ImportId header row): import it "
            "as a Qualtrics file."
        )
    width = len(headings)
    mapped = _map_columns(headings, None, instrument, mapping)
    checkboxes, checkbox_problems = _checkbox_columns(headings, instrument, mapped, mapping)
    if not mapped and not checkboxes:
        raise ResponseFileError(
            f"No column in the first row matches an item of the instrument {instrument.key!r}. "
            "The first row should hold the REDCap field names (raw export) or field labels "
            "(label export) equal to the item keys or question texts; otherwise give a "
            "column map."
        )
    folded = [_fold(h) for h in headings]
    id_index = 0 if 0 not in mapped and 0 not in checkboxes else None
    structure = [j for j, f in enumerate(folded) if f in {_fold(s) for s in REDCAP_STRUCTURE}]
    dropped_names = {_fold(s) for s in REDCAP_DROPPED_NAMES}
    dropped_idx = {
        j
        for j, f in enumerate(folded)
        if j not in mapped
        and j not in checkboxes
        and (
            f in dropped_names
            or f.endswith(" timestamp")
            or f.endswith("_timestamp")
            or f.endswith("timestamp")
        )
    }
    complete_idx = {
        j
        for j, f in enumerate(folded)
        if j not in mapped and (f.endswith(" complete") or f == "complete")
    }
    ignored_by_map = {j for j, h in enumerate(headings) if mapping.get(h) == ""}
    meta = ({id_index} if id_index is not None else set()) | set(structure) | complete_idx
    used = set(mapped) | set(checkboxes) | meta | dropped_idx | ignored_by_map
    multi_keys = {item.key for item, _ in checkboxes.values()}
    file_problems = (
        notes
        + checkbox_problems
        + _missing_items(instrument, mapped, multi_keys)
        + _unknown(headings, used, "REDCap")
    )
    keep = sorted(set(mapped) | set(checkboxes) | meta)
    rows: list[ParsedRow] = []
    first_seen: dict[tuple[str, ...], int] = {}
    for offset, record in enumerate(records[1:], start=2):
        cells, shape_problem = _fit(record, width)
        problems = [f"Row {offset} {shape_problem}"] if shape_problem else []
        if not any(c.strip() for c in cells):
            rows.append(ParsedRow(offset, {}, {}, ("The row is empty.",)))
            continue
        if id_index is not None:
            record_key = tuple(cells[j].strip() for j in [id_index, *structure])
            if not record_key[0]:
                problems.append(f"No record id in column {headings[id_index]!r}.")
            elif record_key in first_seen:
                problems.append(
                    f"Duplicate record {_short(record_key[0])!r} (first on row "
                    f"{first_seen[record_key]}): the same response appears twice."
                )
            else:
                first_seen[record_key] = offset
        values: dict[str, object] = {}
        for j, item in mapped.items():
            value, problem = convert(item, instrument, cells[j])
            if problem:
                problems.append(problem)
            if value is not None:
                values[item.key] = value
        chosen: dict[str, list[str]] = {}
        for j, (item, option) in checkboxes.items():
            cell = cells[j].strip().casefold()
            if not cell:
                continue
            if cell not in REDCAP_CHECKED:
                problems.append(
                    f"{item.key}: {_short(cells[j])!r} in checkbox column {headings[j]!r} "
                    "should be 1/0 or Checked/Unchecked; left unanswered."
                )
                continue
            chosen.setdefault(item.key, [])
            if REDCAP_CHECKED[cell]:
                chosen[item.key].append(option)
        for key, options in chosen.items():
            values[key] = tuple(options)
        raw = {headings[j]: cells[j] for j in keep}
        rows.append(ParsedRow(offset, raw, values, tuple(problems)))
    if not rows:
        file_problems.append("The file has a header row but no responses.")
    file_problems += scale_summary(mapped, headings, records[1:], instrument)
    return ParsedFile(
        source="redcap",
        columns=tuple(headings[j] for j in keep),
        rows=tuple(rows),
        file_problems=tuple(file_problems),
        dropped=tuple(headings[j] for j in sorted(dropped_idx)),
        response_id_column=headings[id_index] if id_index is not None else None,
        mapping=tuple((headings[j], item.key) for j, item in sorted(mapped.items())),
    )
