"""Canonical fields accepted by each import kind.

Plain data only: the Django importer reads these definitions to know which
columns an upload may contain, how each one is typed and validated, and which
identifiers are used as upsert keys.  Nothing here imports Django.

Conventions
-----------
* Vocabulary codes are lowercase snake_case, except ``state`` which uses the
  USPS two-letter codes in upper case (``"CA"``, ``"DC"``, ``"PR"``).
* Every self-identification code field (``target == "selfid"``) also accepts
  the code ``"declined"``; it is already part of each vocabulary below.
* ``type == "codes"`` is multi-valued: a cell may hold several answers separated
  by ``;``, ``|`` or ``,``; the validated value is a list of codes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["text", "date", "int", "decimal", "code", "codes", "bool"]
FieldTarget = Literal["person", "identifier", "selfid", "stage"]

DECLINED = "declined"


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field of an import kind."""

    name: str
    label: str
    type: FieldType
    target: FieldTarget
    required: bool = False
    vocabulary: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    synonyms: tuple[str, ...] = ()
    help: str = ""
    #: Values must be strictly greater than ``min_value`` (e.g. FTE > 0).
    min_exclusive: bool = False
    #: A trailing ``%`` is accepted and divided by 100 (e.g. FTE "80%").
    percent: bool = False
    #: Longest accepted text value (after trimming); None = no limit.
    max_length: int | None = None
    #: Regular expression (Python and Rust compatible) a text value must match.
    pattern: str = ""
    #: Human description of ``pattern`` used in problem messages.
    pattern_hint: str = ""
    #: Value used when the column is missing or the cell is empty.
    default: str | None = None
    #: For ``target == "identifier"``: the identifier system (e.g. "email").
    system: str = ""


@dataclass(frozen=True)
class ImportKind:
    """One kind of upload (faculty roster, admissions cycle, ...)."""

    name: str
    label: str
    #: At least one of these must be present and non-empty on every row;
    #: they are the upsert keys and must be unique within one file.
    key_identifiers: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    #: Pairs (earlier, later) of date fields; ``later`` may not precede ``earlier``.
    date_order: tuple[tuple[str, str], ...] = ()
    #: Fields that, with the key identifier, tell one row from another: a person may
    #: appear on several rows (several cycles, appointments) but not twice with the same.
    row_scope: tuple[str, ...] = ()

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(spec.name == name for spec in self.fields)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @property
    def required_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for spec in self.fields if spec.required)


class UnknownKindError(KeyError):
    """Raised by :func:`get_kind` for a name that is not an import kind."""

    def __init__(self, name: str) -> None:
        self.name = name
        valid = ", ".join(sorted(KINDS))
        close = difflib.get_close_matches(name, list(KINDS), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        self.message = f"'{name}' is not an import kind.{hint} Valid kinds are: {valid}."
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def _yes_no(name: str, label: str, synonyms: tuple[str, ...], help_text: str = "") -> FieldSpec:
    return FieldSpec(
        name,
        label,
        "code",
        "selfid",
        vocabulary=("yes", "no", DECLINED),
        synonyms=synonyms,
        help=help_text,
    )


_DATE_HELP = "A date; ISO (2024-07-01) unless the profile declares date_format."

# --------------------------------------------------------------------------- person
PERSON_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "given_name",
        "Given name",
        "text",
        "person",
        required=True,
        max_length=150,
        synonyms=(
            "First Name",
            "First",
            "Given Name",
            "Given",
            "Forename",
            "Legal First Name",
            "Preferred First Name",
            "FName",
            "First_Nm",
            "Applicant First Name",
        ),
    ),
    FieldSpec(
        "family_name",
        "Family name",
        "text",
        "person",
        required=True,
        max_length=150,
        synonyms=(
            "Last Name",
            "Last",
            "Surname",
            "Family Name",
            "Legal Last Name",
            "LName",
            "Last_Nm",
            "Applicant Last Name",
        ),
    ),
    FieldSpec(
        "middle_name",
        "Middle name",
        "text",
        "person",
        max_length=150,
        synonyms=("Middle Name", "Middle", "Middle Initial", "MI", "Middle_Nm"),
    ),
    FieldSpec(
        "former_names",
        "Former names",
        "text",
        "person",
        max_length=300,
        synonyms=("Former Name", "Former Names", "Previous Name", "Maiden Name", "Other Names"),
    ),
    FieldSpec(
        "birth_date",
        "Birth date",
        "date",
        "person",
        synonyms=("DOB", "Date of Birth", "Birth Date", "Birthdate", "Birth Dt"),
        help=_DATE_HELP,
    ),
    FieldSpec(
        "email",
        "E-mail address",
        "text",
        "identifier",
        system="email",
        max_length=254,
        synonyms=(
            "Email",
            "E-mail",
            "Email Address",
            "Work Email",
            "Primary Email",
            "Preferred Email",
            "Preferred Email Address",
            "Business Email",
            "Institutional Email",
            "Email Addr",
        ),
        help="Stored in lower case; must look like name@example.edu.",
    ),
)

# ----------------------------------------------------------------------- identifiers
_ID_LEN = 64


def _identifier(
    name: str,
    label: str,
    synonyms: tuple[str, ...],
    *,
    pattern: str = "",
    pattern_hint: str = "",
    help_text: str = "",
) -> FieldSpec:
    return FieldSpec(
        name,
        label,
        "text",
        "identifier",
        system=name,
        max_length=_ID_LEN,
        pattern=pattern,
        pattern_hint=pattern_hint,
        synonyms=synonyms,
        help=help_text,
    )


IDENTIFIER_FIELDS: tuple[FieldSpec, ...] = (
    _identifier(
        "employee_id",
        "Employee ID",
        (
            "Emp ID",
            "EmpID",
            "EMPLID",
            "Employee ID",
            "Employee Number",
            "Employee No",
            "Employee #",
            "Worker ID",
            "Personnel Number",
            "HR ID",
        ),
    ),
    _identifier(
        "student_id",
        "Student ID",
        ("Student ID", "Student Number", "Student No", "SID", "Campus ID", "Student #"),
    ),
    _identifier(
        "aamc_id",
        "AAMC ID",
        ("AAMC ID", "AAMCID", "AMCAS ID", "AAMC Number", "AAMC #"),
        pattern=r"^[0-9]{7,8}$",
        pattern_hint="an AAMC ID has 7 or 8 digits",
    ),
    _identifier("nrmp_id", "NRMP ID", ("NRMP ID", "NRMP Number", "NRMP Code")),
    _identifier("eras_id", "ERAS ID", ("ERAS ID", "ERAS Number", "ERAS Applicant ID")),
    _identifier(
        "npi",
        "NPI",
        ("NPI", "NPI Number", "National Provider Identifier", "Provider NPI"),
        pattern=r"^[0-9]{10}$",
        pattern_hint="an NPI has exactly 10 digits",
        help_text="10 digits; the last digit is a Luhn check digit (prefix 80840).",
    ),
)

# ------------------------------------------------------------------ self-identification
USPS_STATES: tuple[str, ...] = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    "AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "PW", "AA", "AE", "AP",
)  # fmt: skip

#: State FIPS codes (first two digits of a county FIPS code).
STATE_FIPS: frozenset[str] = frozenset(
    [f"{n:02d}" for n in range(1, 57) if n not in (3, 7, 14, 43, 52)]
    + ["60", "64", "66", "68", "69", "70", "72", "74", "78"]
)

SELFID_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "sex",
        "Sex",
        "code",
        "selfid",
        vocabulary=("female", "male", "intersex", DECLINED),
        synonyms=("Sex", "Legal Sex", "Sex at Birth", "Gender", "Sex Assigned at Birth"),
    ),
    FieldSpec(
        "gender_identity",
        "Gender identity",
        "code",
        "selfid",
        vocabulary=(
            "woman",
            "man",
            "nonbinary",
            "transgender_woman",
            "transgender_man",
            "another",
            DECLINED,
        ),
        synonyms=("Gender Identity", "Gender Identity Self-Reported"),
    ),
    FieldSpec(
        "sexual_orientation",
        "Sexual orientation",
        "code",
        "selfid",
        vocabulary=("heterosexual", "gay_or_lesbian", "bisexual", "queer", "another", DECLINED),
        synonyms=("Sexual Orientation", "Orientation"),
    ),
    FieldSpec(
        "hispanic",
        "Hispanic or Latino (OMB 1997)",
        "code",
        "selfid",
        vocabulary=("yes", "no", DECLINED),
        synonyms=(
            "Hispanic",
            "Hispanic/Latino",
            "Hispanic or Latino",
            "Ethnicity",
            "Hispanic Ethnicity",
            "Hispanic Latino",
            "Is Hispanic",
        ),
        help="OMB 1997 question 1 (ethnicity).",
    ),
    FieldSpec(
        "race",
        "Race (OMB 1997)",
        "codes",
        "selfid",
        vocabulary=("aian", "asian", "black", "nhpi", "white", DECLINED),
        synonyms=("Race", "Races", "Race Category", "Race Categories", "Race (OMB)"),
        help="OMB 1997 question 2; several answers separated by ; | or ,",
    ),
    FieldSpec(
        "race_ethnicity_2024",
        "Race and ethnicity (SPD 15, 2024)",
        "codes",
        "selfid",
        vocabulary=("aian", "asian", "black", "hispanic", "mena", "nhpi", "white", DECLINED),
        synonyms=(
            "Race/Ethnicity",
            "Race and Ethnicity",
            "Race Ethnicity",
            "Race/Ethnicity 2024",
            "SPD 15",
        ),
        help="SPD 15 (2024) combined question; several answers separated by ; | or ,",
    ),
    FieldSpec(
        "detailed_groups",
        "Detailed race/ethnicity groups",
        "text",
        "selfid",
        max_length=1000,
        synonyms=("Detailed Groups", "Detailed Race", "Detailed Ethnicity", "Ancestry", "Subgroup"),
        help="Free text detailed subgroups (e.g. 'Mexican; Korean').",
    ),
    _yes_no("disability", "Disability", ("Disability", "Disability Status", "Has Disability")),
    _yes_no("veteran", "Veteran", ("Veteran", "Veteran Status", "Military Service")),
    _yes_no(
        "first_generation",
        "First-generation college",
        ("First Generation", "First Gen", "First-Generation", "First Generation College"),
    ),
    _yes_no("pell", "Pell grant recipient", ("Pell", "Pell Grant", "Pell Recipient")),
    _yes_no(
        "fee_assistance",
        "AAMC Fee Assistance Program",
        ("Fee Assistance", "FAP", "Fee Assistance Program", "AAMC FAP"),
    ),
    FieldSpec(
        "parental_education",
        "Highest parental education",
        "code",
        "selfid",
        vocabulary=(
            "less_than_high_school",
            "high_school",
            "some_college",
            "associate",
            "bachelor",
            "master",
            "doctorate",
            "professional",
            DECLINED,
        ),
        synonyms=("Parental Education", "Parent Education", "Highest Parental Education"),
    ),
    FieldSpec(
        "parental_occupation",
        "Parental occupation",
        "text",
        "selfid",
        max_length=300,
        synonyms=("Parental Occupation", "Parent Occupation"),
    ),
    FieldSpec(
        "ses_group",
        "Socio-economic status group (EO)",
        "code",
        "selfid",
        vocabulary=("eo1", "eo2", "eo3", "eo4", "eo5", DECLINED),
        synonyms=("SES", "SES Group", "EO Indicator", "EO Level", "SES Indicator"),
    ),
    FieldSpec(
        "county_fips",
        "County FIPS code",
        "text",
        "selfid",
        pattern=r"^[0-9]{5}$",
        pattern_hint="a county FIPS code has 5 digits (state 2 + county 3)",
        synonyms=("County FIPS", "FIPS", "County Code", "FIPS Code", "County FIPS Code"),
        help="5 digits; a leading zero dropped by Excel (1001) is restored (01001).",
    ),
    FieldSpec(
        "state",
        "State (USPS)",
        "code",
        "selfid",
        vocabulary=(*USPS_STATES, DECLINED),
        synonyms=("State", "State of Residence", "Home State", "Legal Residence State", "ST"),
        help="USPS two-letter code (DC and territories included); names are accepted too.",
    ),
    FieldSpec(
        "citizenship",
        "Citizenship",
        "code",
        "selfid",
        vocabulary=("us_citizen", "permanent_resident", "nonresident", DECLINED),
        synonyms=("Citizenship", "Citizenship Status", "Visa Status", "Residency Status"),
    ),
    FieldSpec(
        "self_id_date",
        "Self-identification date",
        "date",
        "selfid",
        synonyms=("Self ID Date", "Survey Date", "Self-Identification Date", "Response Date"),
        help="When the person answered (optional). " + _DATE_HELP,
    ),
)

COMMON_FIELDS: tuple[FieldSpec, ...] = PERSON_FIELDS + IDENTIFIER_FIELDS + SELFID_FIELDS

# ----------------------------------------------------------------------- stage fields
_SEPARATION = FieldSpec(
    "separation_reason",
    "Separation reason",
    "code",
    "stage",
    vocabulary=("retirement", "resignation", "non_renewal", "dismissal", "death", "other"),
    synonyms=("Separation Reason", "Termination Reason", "Term Reason", "Reason for Leaving"),
)


def _department(required: bool) -> FieldSpec:
    return FieldSpec(
        "department",
        "Department",
        "text",
        "stage",
        required=required,
        max_length=200,
        synonyms=("Dept", "Department", "Department Name", "Dept Name", "Home Department", "Org"),
    )


def _fte() -> FieldSpec:
    return FieldSpec(
        "fte",
        "FTE",
        "decimal",
        "stage",
        min_value=0.0,
        max_value=1.0,
        min_exclusive=True,
        percent=True,
        synonyms=("FTE", "FTE %", "Percent Time", "Appointment FTE", "Full Time Equivalent"),
        help="Greater than 0 and at most 1; '80%' and '0.8' both mean 0.8.",
    )


def _date(name: str, label: str, synonyms: tuple[str, ...], *, required: bool = False) -> FieldSpec:
    return FieldSpec(
        name, label, "date", "stage", required=required, synonyms=synonyms, help=_DATE_HELP
    )


_START_SYNONYMS = (
    "Hire Date",
    "Start Date",
    "Original Hire Date",
    "Appointment Start",
    "Begin Date",
)
_END_SYNONYMS = ("Term Date", "End Date", "Termination Date", "Separation Date", "Appointment End")

FACULTY_FIELDS: tuple[FieldSpec, ...] = (
    _department(required=True),
    FieldSpec(
        "rank",
        "Academic rank",
        "code",
        "stage",
        required=True,
        vocabulary=(
            "instructor",
            "assistant_professor",
            "associate_professor",
            "professor",
            "other",
        ),
        synonyms=("Rank", "Academic Rank", "Faculty Rank", "Current Rank", "Title Rank"),
    ),
    FieldSpec(
        "track",
        "Track",
        "code",
        "stage",
        vocabulary=("tenure_track", "clinician_educator", "research", "clinical", "other"),
        synonyms=("Track", "Faculty Track", "Appointment Track", "Series"),
    ),
    FieldSpec(
        "tenure",
        "Tenure status",
        "code",
        "stage",
        vocabulary=("tenured", "on_track", "not_on_track"),
        synonyms=("Tenure", "Tenure Status"),
    ),
    _fte(),
    _date("start_date", "Start date", _START_SYNONYMS, required=True),
    _date("end_date", "End date", _END_SYNONYMS),
    _SEPARATION,
    FieldSpec(
        "leadership_title",
        "Leadership title",
        "text",
        "stage",
        max_length=200,
        synonyms=("Leadership Title", "Leadership Role", "Admin Title", "Administrative Title"),
    ),
    _date(
        "leadership_start_date",
        "Leadership start date",
        ("Leadership Start Date", "Leadership Start", "Role Start Date"),
    ),
    _date(
        "last_promotion_date",
        "Last promotion date",
        ("Last Promotion Date", "Promotion Date", "Rank Date", "Date of Current Rank"),
    ),
)

STAFF_FIELDS: tuple[FieldSpec, ...] = (
    _department(required=True),
    FieldSpec(
        "job_title",
        "Job title",
        "text",
        "stage",
        max_length=200,
        synonyms=("Job Title", "Title", "Position Title", "Business Title", "Job"),
    ),
    FieldSpec(
        "senior_administrative",
        "Senior administrative role",
        "bool",
        "stage",
        synonyms=("Senior Administrative", "Senior Admin", "Senior Leadership", "Executive"),
    ),
    _fte(),
    _date("start_date", "Start date", _START_SYNONYMS, required=True),
    _date("end_date", "End date", _END_SYNONYMS),
    _SEPARATION,
)

ADMISSIONS_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "cycle",
        "Application cycle (entering year)",
        "int",
        "stage",
        required=True,
        min_value=2000,
        max_value=2100,
        synonyms=("Cycle", "Application Cycle", "Application Year", "Entering Year", "Matric Year"),
    ),
    FieldSpec(
        "program",
        "Program",
        "text",
        "stage",
        default="MD",
        max_length=100,
        synonyms=("Program", "Degree Program", "Program Type", "Degree"),
    ),
    FieldSpec(
        "round",
        "Admission round",
        "code",
        "stage",
        vocabulary=("early_decision", "regular", "other"),
        synonyms=("Round", "Application Round", "Application Type", "EDP"),
    ),
    _date(
        "application_date", "Application date", ("Application Date", "Submitted Date", "App Date")
    ),
    FieldSpec(
        "interviewed",
        "Interviewed",
        "bool",
        "stage",
        synonyms=("Interviewed", "Interview", "Interview Flag", "Was Interviewed"),
    ),
    _date("offer_date", "Offer date", ("Offer Date", "Acceptance Offer Date", "Accept Date")),
    FieldSpec(
        "offer_outcome",
        "Offer outcome",
        "code",
        "stage",
        vocabulary=("accepted", "declined", "withdrawn", "pending", "none"),
        synonyms=(
            "Offer Outcome",
            "Offer Status",
            "Offer Decision",
            "Offer Response",
            "Applicant Decision",
            "Final Decision",
            "Outcome",
            "Decision",
        ),
    ),
    _date("matriculation_date", "Matriculation date", ("Matriculation Date", "Matric Date")),
    FieldSpec(
        "gpa",
        "GPA",
        "decimal",
        "stage",
        min_value=0.0,
        max_value=4.0,
        synonyms=("GPA", "Total GPA", "Cumulative GPA", "AMCAS GPA", "Overall GPA"),
    ),
    FieldSpec(
        "mcat",
        "MCAT total score",
        "int",
        "stage",
        min_value=472,
        max_value=528,
        synonyms=("MCAT", "MCAT Total", "MCAT Score", "Total MCAT", "MCAT Total Score"),
    ),
)

STUDENT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "program",
        "Program",
        "text",
        "stage",
        required=True,
        max_length=100,
        synonyms=("Program", "Degree Program", "Academic Program", "Plan", "Degree"),
    ),
    _date(
        "enrollment_date",
        "Enrollment date",
        ("Enrollment Date", "Matriculation Date", "Matric Date", "Start Date", "Admit Date"),
        required=True,
    ),
    _date(
        "expected_graduation_date",
        "Expected graduation date",
        ("Expected Graduation Date", "Expected Grad Date", "Anticipated Graduation"),
    ),
    _date("graduation_date", "Graduation date", ("Graduation Date", "Grad Date", "Degree Date")),
    FieldSpec(
        "status",
        "Enrollment status",
        "code",
        "stage",
        vocabulary=("enrolled", "leave_of_absence", "withdrawn", "dismissed", "graduated"),
        synonyms=("Status", "Enrollment Status", "Student Status", "Academic Status"),
    ),
    _SEPARATION,
)

GME_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "program",
        "GME program",
        "text",
        "stage",
        required=True,
        max_length=200,
        synonyms=("Program", "Program Name", "Residency Program", "Training Program"),
    ),
    FieldSpec(
        "specialty",
        "Specialty",
        "text",
        "stage",
        max_length=200,
        synonyms=("Specialty", "Specialty Name", "Discipline"),
    ),
    FieldSpec(
        "position",
        "Position",
        "code",
        "stage",
        vocabulary=("resident", "fellow"),
        synonyms=("Position", "Position Type", "Trainee Type", "Resident/Fellow"),
    ),
    FieldSpec(
        "pgy",
        "PGY level",
        "int",
        "stage",
        min_value=1,
        max_value=10,
        synonyms=("PGY", "PGY Level", "Post Graduate Year", "Training Level"),
        help="1 to 10; 'PGY-3' is accepted.",
    ),
    _date(
        "start_date",
        "Start date",
        ("Start Date", "Program Start Date", "Begin Date"),
        required=True,
    ),
    _date("end_date", "End date", ("End Date", "Program End Date", "Completion Date")),
    FieldSpec(
        "completion_status",
        "Completion status",
        "code",
        "stage",
        vocabulary=("completed", "withdrew", "dismissed", "transferred", "in_progress"),
        synonyms=("Completion Status", "Status", "Training Status", "Outcome"),
    ),
)


def _kind(
    name: str,
    label: str,
    keys: tuple[str, ...],
    fields: tuple[FieldSpec, ...],
    date_order: tuple[tuple[str, str], ...] = (),
    row_scope: tuple[str, ...] = (),
) -> ImportKind:
    return ImportKind(name, label, keys, COMMON_FIELDS + fields, date_order, row_scope)


KINDS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (
        _kind(
            "faculty",
            "Faculty roster",
            ("employee_id",),
            FACULTY_FIELDS,
            (("start_date", "end_date"),),
            ("department", "start_date"),
        ),
        _kind(
            "staff",
            "Staff roster",
            ("employee_id",),
            STAFF_FIELDS,
            (("start_date", "end_date"),),
            ("department", "start_date"),
        ),
        _kind(
            "admissions",
            "Admissions cycle",
            ("aamc_id",),
            ADMISSIONS_FIELDS,
            (("application_date", "offer_date"), ("offer_date", "matriculation_date")),
            ("cycle", "program"),
        ),
        _kind(
            "students",
            "Enrolled students",
            ("student_id",),
            STUDENT_FIELDS,
            (
                ("enrollment_date", "graduation_date"),
                ("enrollment_date", "expected_graduation_date"),
            ),
            ("program", "enrollment_date"),
        ),
        _kind(
            "gme",
            "Graduate medical education trainees",
            ("employee_id", "nrmp_id", "eras_id"),
            GME_FIELDS,
            (("start_date", "end_date"),),
            ("program", "start_date"),
        ),
    )
}


def get_kind(name: str) -> ImportKind:
    """Return the import kind called ``name`` or raise :class:`UnknownKindError`."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise UnknownKindError(str(name)) from None
