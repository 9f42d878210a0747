"""National Student Clearinghouse StudentTracker files: the request file we send and the
Student Detail Report that comes back.

Request file (StudentTracker for Colleges and Universities, as the Clearinghouse's public
guide describes it): a tab-delimited text file of one header row, one detail row per
student and one trailer row, every row a fixed sequence of fields:

``H1`` header: ``H1``, school code (6-digit OPEID), branch code (2), school name (up to
40), file creation date (YYYYMMDD), inquiry type (``CO`` longitudinal cohort, ``SE``
subsequent enrollment, ``PA`` prior attendance, ``DA`` declined admission), ``I``.

``D1`` detail: ``D1``, SSN (left blank: never sent), first name (20), middle initial (1),
last name (20), name suffix (5), date of birth (YYYYMMDD), search begin date (YYYYMMDD),
a blank field, school code, branch code, requester return field (50; we send
``p<participant id>`` so no name or identifier of ours travels back and forth).

``T1`` trailer: ``T1``, the number of rows in the file including header and trailer.

Names are sent in the Latin alphabet without accents (the Clearinghouse matches on those);
a name with no Latin form cannot be searched and the participant is left out with a note.
The Clearinghouse asks for at least 11 detail rows.

Return file: the Student Detail Report, a CSV with a heading row. We read the columns
named below (others are kept in each row's raw copy): the requester return field finds
the participant, ``Record Found Y/N`` says whether any enrolment was found.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

DELIMITER = "\t"
INQUIRY_TYPES = ("CO", "SE", "PA", "DA")
MIN_DETAIL_ROWS = 11
LIMITS = {"school_name": 40, "first_name": 20, "last_name": 20, "suffix": 5, "return": 50}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}
_RETURN = re.compile(r"^p(\d+)$")


class ClearinghouseError(ValueError):
    """A file that does not follow the layout; ``message`` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RequestHeader:
    school_code: str
    branch_code: str
    school_name: str
    created_on: dt.date
    inquiry_type: str = "CO"


@dataclass(frozen=True)
class RequestDetail:
    first_name: str
    middle_initial: str
    last_name: str
    suffix: str
    birth_date: dt.date | None
    search_from: dt.date
    return_field: str


@dataclass
class RequestFile:
    header: RequestHeader
    details: list[RequestDetail]
    #: Participants left out and why (participant id, reason).
    skipped: list[tuple[int, str]] = field(default_factory=list)


def latin(text: str) -> str:
    """Upper-case Latin letters, digits, spaces, hyphens and apostrophes only."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9 '\-]", "", ascii_text)
    return " ".join(cleaned.split()).upper()


def _yyyymmdd(day: dt.date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _check_header(header: RequestHeader) -> None:
    if not re.fullmatch(r"\d{6}", header.school_code):
        raise ClearinghouseError(_("The school code must be the 6-digit OPEID code."))
    if not re.fullmatch(r"\d{2}", header.branch_code):
        raise ClearinghouseError(_("The branch code must be 2 digits (usually 00)."))
    if header.inquiry_type not in INQUIRY_TYPES:
        raise ClearinghouseError(
            _("The inquiry type must be one of %(types)s.") % {"types": ", ".join(INQUIRY_TYPES)}
        )


def detail_for(
    *,
    participant_id: int,
    given_name: str,
    family_name: str,
    birth_date: dt.date | None,
    search_from: dt.date,
) -> RequestDetail:
    """The detail row for one participant (ClearinghouseError when it cannot be sent)."""
    first_parts = latin(given_name).split()
    last_parts = latin(family_name).split()
    suffix = ""
    if len(last_parts) > 1 and last_parts[-1].lower().rstrip(".") in _SUFFIXES:
        suffix = last_parts.pop()
    if not first_parts or not last_parts:
        raise ClearinghouseError(_("the name has no Latin-alphabet form to search"))
    middle = first_parts[1][0] if len(first_parts) > 1 else ""
    return RequestDetail(
        first_name=first_parts[0][: LIMITS["first_name"]],
        middle_initial=middle,
        last_name=" ".join(last_parts)[: LIMITS["last_name"]],
        suffix=suffix[: LIMITS["suffix"]],
        birth_date=birth_date,
        search_from=search_from,
        return_field=f"p{participant_id}",
    )


def render_request(request: RequestFile) -> bytes:
    """The request file's bytes (ASCII, CRLF line ends as the Clearinghouse's tools write)."""
    h = request.header
    _check_header(h)
    if len(request.details) < MIN_DETAIL_ROWS:
        raise ClearinghouseError(
            _(
                "The Clearinghouse needs at least %(n)d students in a request file; this one "
                "would have %(have)d."
            )
            % {"n": MIN_DETAIL_ROWS, "have": len(request.details)}
        )
    rows: list[list[str]] = [
        [
            "H1",
            h.school_code,
            h.branch_code,
            latin(h.school_name)[: LIMITS["school_name"]],
            _yyyymmdd(h.created_on),
            h.inquiry_type,
            "I",
        ]
    ]
    for d in request.details:
        rows.append(
            [
                "D1",
                "",
                d.first_name,
                d.middle_initial,
                d.last_name,
                d.suffix,
                _yyyymmdd(d.birth_date),
                _yyyymmdd(d.search_from),
                "",
                h.school_code,
                h.branch_code,
                d.return_field[: LIMITS["return"]],
            ]
        )
    rows.append(["T1", str(len(rows) + 1)])
    text = "\r\n".join(DELIMITER.join(r) for r in rows) + "\r\n"
    return text.encode("ascii")


def _date(text: str, what: str, row: int) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        raise ClearinghouseError(
            _("Row %(row)d: the %(what)s %(value)s is not a date as YYYYMMDD.")
            % {"row": row, "what": what, "value": text}
        ) from None


def parse_request(content: bytes) -> RequestFile:
    """Read a request file back (to check one before sending it)."""
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        raise ClearinghouseError(_("A request file must be plain ASCII text.")) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise ClearinghouseError(_("A request file needs a header row and a trailer row."))
    head = lines[0].split(DELIMITER)
    if head[0] != "H1" or len(head) != 7:
        raise ClearinghouseError(_("Row 1 must be the H1 header row with 7 fields."))
    header = RequestHeader(
        school_code=head[1],
        branch_code=head[2],
        school_name=head[3],
        created_on=_date(head[4], _("file date"), 1) or dt.date.min,
        inquiry_type=head[5],
    )
    _check_header(header)
    trailer = lines[-1].split(DELIMITER)
    if trailer[0] != "T1" or len(trailer) != 2:
        raise ClearinghouseError(_("The last row must be the T1 trailer row with 2 fields."))
    if trailer[1] != str(len(lines)):
        raise ClearinghouseError(
            _("The trailer counts %(said)s rows but the file has %(have)d.")
            % {"said": trailer[1], "have": len(lines)}
        )
    details = []
    for number, line in enumerate(lines[1:-1], start=2):
        f = line.split(DELIMITER)
        if f[0] != "D1" or len(f) != 12:
            raise ClearinghouseError(
                _("Row %(row)d must be a D1 detail row with 12 fields.") % {"row": number}
            )
        search = _date(f[7], _("search date"), number)
        if search is None:
            raise ClearinghouseError(_("Row %(row)d has no search date.") % {"row": number})
        details.append(
            RequestDetail(
                first_name=f[2],
                middle_initial=f[3],
                last_name=f[4],
                suffix=f[5],
                birth_date=_date(f[6], _("birth date"), number),
                search_from=search,
                return_field=f[11],
            )
        )
    return RequestFile(header=header, details=details)


# ------------------------------------------------------------------------ return file

RETURN_COLUMNS = {
    "return": "Requester Return Field",
    "found": "Record Found Y/N",
    "college": "College Name",
    "state": "College State",
    "begin": "Enrollment Begin",
    "end": "Enrollment End",
    "graduated": "Graduated?",
    "graduation_date": "Graduation Date",
    "degree": "Degree Title",
}
REQUIRED_RETURN = ("return", "found")


@dataclass(frozen=True)
class ReturnRow:
    row: int
    raw: dict[str, Any]
    participant_id: int | None
    found: bool = False
    college: str = ""
    state: str = ""
    begin: dt.date | None = None
    end: dt.date | None = None
    graduated: bool = False
    graduation_date: dt.date | None = None
    degree: str = ""
    #: Empty when the row is usable; otherwise why it was rejected.
    problem: str = ""


def return_columns(headers: Sequence[str]) -> dict[str, str]:
    """Our key -> the file's heading; ClearinghouseError when a required one is missing."""
    norm = {h.strip().lower(): h for h in headers}
    found = {k: norm[v.lower()] for k, v in RETURN_COLUMNS.items() if v.lower() in norm}
    missing = [RETURN_COLUMNS[k] for k in REQUIRED_RETURN if k not in found]
    if missing:
        raise ClearinghouseError(
            _(
                "This is not a StudentTracker detail report: the column %(what)s is missing. "
                "Upload the Student Detail Report CSV exactly as the Clearinghouse sent it."
            )
            % {"what": ", ".join(f"“{m}”" for m in missing)}
        )
    return found


def parse_return_row(number: int, raw: dict[str, Any], columns: dict[str, str]) -> ReturnRow:
    """One detail-report row; never raises (a bad row carries its ``problem``)."""

    def get(key: str) -> str:
        heading = columns.get(key)
        value = raw.get(heading) if heading else None
        return "" if value is None else str(value).strip()

    match = _RETURN.match(get("return"))
    if match is None:
        return ReturnRow(
            number,
            raw,
            None,
            problem=_("The requester return field %(value)s is not one of ours (p<number>).")
            % {"value": get("return") or "—"},
        )
    found_text = get("found").upper()
    if found_text not in {"Y", "N"}:
        return ReturnRow(
            number,
            raw,
            int(match.group(1)),
            problem=_("Record Found must be Y or N, not %(value)s.") % {"value": found_text or "—"},
        )
    try:
        begin = _date(get("begin"), _("enrollment begin date"), number)
        end = _date(get("end"), _("enrollment end date"), number)
        graduation = _date(get("graduation_date"), _("graduation date"), number)
    except ClearinghouseError as exc:
        return ReturnRow(number, raw, int(match.group(1)), problem=exc.message)
    return ReturnRow(
        number,
        raw,
        int(match.group(1)),
        found=found_text == "Y",
        college=get("college")[:200],
        state=get("state")[:2],
        begin=begin,
        end=end,
        graduated=get("graduated").upper() == "Y",
        graduation_date=graduation,
        degree=get("degree")[:200],
    )
