"""Sample export files an office would really have, to try the importer with.

``write_demo_exports(directory)`` writes three messy-but-realistic files about the demo
school's people, without touching the database:

- ``hr_faculty_export.csv``: a Workday-like HR faculty export; Windows-1252, commas, US dates
  (MM/DD/YYYY), ranks spelled as HR systems spell them, and a handful of bad rows;
- ``admissions_amcas.xlsx``: an AMCAS-like admissions export for the 2026 and 2027 cycles;
  ISO dates, county FIPS codes as numbers (so some lost their leading zero) and bad rows;
- ``hr_staff_export.csv``: a staff export; UTF-8 with a byte-order mark, semicolons, ISO
  dates, FTE as a percentage, and bad rows.

The files are generated from the same seeded population as ``manage.py demo`` (same seed and
scale), so they overlap the demo database: most rows are people already there, some
unchanged and some with changed values (a promotion, a new e-mail address, a lower FTE, a
separation, a late offer), the rest are new people.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from ristra.people.demo import (
    AMCAS,
    DEMO_SEED,
    DEMO_TODAY,
    DEPARTMENTS,
    HR,
    LAST_CYCLE,
    RACE_RAW,
    SCHOOL_EMAIL_DOMAIN,
    STAFF_TITLES_ADMIN,
    STAFF_TITLES_DEPT,
    DemoAnswer,
    DemoGenerator,
    DemoPerson,
    DemoStage,
    DemoWorld,
    ascii_fold,
    generate_demo_world,
)
from ristra.people.models import DepartmentClass, IdSystem, StageKind

FACULTY_FILE = "hr_faculty_export.csv"
ADMISSIONS_FILE = "admissions_amcas.xlsx"
STAFF_FILE = "hr_staff_export.csv"

FACULTY_HEADERS = (
    "EMPLID", "Last Name", "First Name", "Middle Name", "Preferred Email", "Date of Birth",
    "Department", "Academic Rank", "Track", "Tenure Status", "FTE", "Hire Date", "Term Date",
    "Term Reason", "Sex", "Ethnicity", "Race", "Veteran Status", "Disability Status",
)  # fmt: skip
ADMISSIONS_HEADERS = (
    "AAMC ID", "Last Name", "First Name", "Birth Date", "Email", "Application Cycle",
    "Program", "Application Round", "Application Date", "Interviewed", "Offer Date",
    "Offer Decision", "Matriculation Date", "Total GPA", "MCAT Total", "Sex",
    "Hispanic/Latino", "Race", "First Generation", "Fee Assistance Program", "Pell Grant",
    "County of Legal Residence", "State of Legal Residence",
)  # fmt: skip
STAFF_HEADERS = (
    "Employee ID", "Surname", "Given Name", "Email", "Department", "Job Title", "Senior Admin",
    "FTE", "Start Date", "End Date", "Separation Reason", "Gender",
)  # fmt: skip

HR_RANK = {
    "instructor": "Instructor",
    "assistant_professor": "Assistant Professor",
    "associate_professor": "Assoc Professor",
    "professor": "Professor",
    "other": "Other",
}
HR_TRACK = {
    "tenure_track": "Tenure Track",
    "clinician_educator": "Clinician Educator",
    "research": "Research",
    "clinical": "Clinical",
    "other": "Other",
}
HR_TENURE = {"tenured": "Tenured", "on_track": "On Track", "not_on_track": "Not on Track"}
HR_TERM_REASON = {
    "retirement": "Retirement",
    "resignation": "Resignation",
    "non_renewal": "Non-Renewal",
    "dismissal": "Dismissal",
    "death": "Deceased",
    "other": "Other",
}
STAFF_SEPARATION = {
    "retirement": "Retirement",
    "resignation": "Voluntary Resignation",
    "non_renewal": "End of Appointment",
    "dismissal": "Involuntary Termination",
    "death": "Deceased",
    "other": "Other",
}
DECLINE_HR = "Decline to State"
NEXT_RANK = {
    "instructor": "assistant_professor",
    "assistant_professor": "associate_professor",
    "associate_professor": "professor",
}
#: Ranks of new hires and their typical age at hire.
NEW_HIRE_AGE = {
    "instructor": 31,
    "assistant_professor": 35,
    "associate_professor": 43,
    "professor": 50,
}
#: Written into the workbook so the file is byte-for-byte reproducible.
EXPORTED_AT = dt.datetime(2026, 11, 16, 7, 30)  # noqa: DTZ001 - a naive workbook property

Row = dict[str, Any]

#: Mapping profiles for the three files (``manage.py import KIND FILE --profile PROFILE``).
PROFILES: dict[str, str] = {
    "hr_faculty_export.profile.yaml": """\
# Mapping profile for the demo's hr_faculty_export.csv (a Workday-like faculty export).
name: Demo HR faculty export
kind: faculty
description: Fictional demo school's HR faculty export (Windows-1252, US dates).
date_format: "%m/%d/%Y"
encoding: cp1252
columns:
  EMPLID: employee_id
  Last Name: family_name
  First Name: given_name
  Middle Name: middle_name
  Preferred Email: email
  Date of Birth: birth_date
  Department: department
  Academic Rank: rank
  Track: track
  Tenure Status: tenure
  FTE: fte
  Hire Date: start_date
  Term Date: end_date
  Term Reason: separation_reason
  Sex: sex
  Ethnicity: hispanic
  Race: race
  Veteran Status: veteran
  Disability Status: disability
values:
  rank:
    Assoc Professor: associate_professor
  tenure:
    Not on Track: not_on_track
    On Track: on_track
  separation_reason:
    Non-Renewal: non_renewal
    Deceased: death
  veteran:
    Protected Veteran: "yes"
    Not a Protected Veteran: "no"
""",
    "admissions_amcas.profile.yaml": """\
# Mapping profile for the demo's admissions_amcas.xlsx (an AMCAS-like applicant export).
name: Demo AMCAS export
kind: admissions
description: Fictional demo school's AMCAS applicant export, cycles 2025-2027.
date_format: iso
columns:
  AAMC ID: aamc_id
  Last Name: family_name
  First Name: given_name
  Birth Date: birth_date
  Email: email
  Application Cycle: cycle
  Program: program
  Application Round: round
  Application Date: application_date
  Interviewed: interviewed
  Offer Date: offer_date
  Offer Decision: offer_outcome
  Matriculation Date: matriculation_date
  Total GPA: gpa
  MCAT Total: mcat
  Sex: sex
  Hispanic/Latino: hispanic
  Race: race
  First Generation: first_generation
  Fee Assistance Program: fee_assistance
  Pell Grant: pell
  County of Legal Residence: county_fips
  State of Legal Residence: state
values:
  round:
    Early Decision: early_decision
    Regular: regular
  offer_outcome:
    Accepted: accepted
    Declined: declined
defaults:
  program: MD
""",
    "hr_staff_export.profile.yaml": """\
# Mapping profile for the demo's hr_staff_export.csv (semicolons, UTF-8 with BOM).
name: Demo HR staff export
kind: staff
description: Fictional demo school's HR staff export (ISO dates, FTE as a percentage).
date_format: iso
delimiter: ";"
columns:
  Employee ID: employee_id
  Surname: family_name
  Given Name: given_name
  Email: email
  Department: department
  Job Title: job_title
  Senior Admin: senior_administrative
  FTE: fte
  Start Date: start_date
  End Date: end_date
  Separation Reason: separation_reason
  Gender: sex
values:
  separation_reason:
    Voluntary Resignation: resignation
    End of Appointment: non_renewal
    Involuntary Termination: dismissal
    Deceased: death
  sex:
    Undisclosed: declined
""",
}


def write_demo_exports(
    directory: Path, *, seed: int = DEMO_SEED, scale: str = "full"
) -> list[Path]:
    """Write the three sample export files into ``directory``; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    world = generate_demo_world(seed=seed, scale=scale)
    gen = DemoGenerator(seed + 7919, scale)
    gen.units = world.units
    gen.used = {system: set(values) for system, values in world.used.items()}
    paths = [
        _write_faculty(directory / FACULTY_FILE, world, gen),
        _write_admissions(directory / ADMISSIONS_FILE, world, gen),
        _write_staff(directory / STAFF_FILE, world, gen),
    ]
    for name, text in PROFILES.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------
# Helpers.


def _us(day: dt.date | None) -> str:
    return day.strftime("%m/%d/%Y") if day else ""


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _latest(dp: DemoPerson, dimensions: Sequence[str], sources: Sequence[str]) -> DemoAnswer | None:
    found = [a for a in dp.answers if a.dimension in dimensions and a.source in sources]
    return max(found, key=lambda a: a.reported_on) if found else None


def _last_stage(dp: DemoPerson, kind: str) -> DemoStage | None:
    stages = dp.stages_of(kind)
    return max(stages, key=lambda s: s.start_date) if stages else None


def _is_current(stage: DemoStage) -> bool:
    return stage.end_date is None or stage.end_date > DEMO_TODAY


def _unit_name(world: DemoWorld, code: str) -> str:
    return world.units[code].name


def _sex_word(answer: DemoAnswer | None, declined: str) -> str:
    if answer is None:
        return ""
    if answer.declined:
        return declined
    return {"female": "Female", "male": "Male", "intersex": "Intersex"}[answer.codes[0]]


def _ethnicity_and_race(answers: Sequence[DemoAnswer], *, declined: str) -> tuple[str, str]:
    """("yes"/"no"/declined/"", races) in the 1997 two-question form from ``answers``.

    An answer to the 2024 combined question is rendered the 1997 way: Hispanic or Latino
    becomes the ethnicity, and Middle Eastern or North African counts as White, as the 1997
    standard defined it.
    """

    def latest(dimension: str) -> DemoAnswer | None:
        found = [a for a in answers if a.dimension == dimension]
        return max(found, key=lambda a: a.reported_on) if found else None

    combined = latest("race_ethnicity_2024")
    hispanic = latest("hispanic")
    race = latest("race")
    if combined is not None and (hispanic is None or combined.reported_on >= hispanic.reported_on):
        if combined.declined:
            return declined, declined
        others = ["white" if c == "mena" else c for c in combined.codes if c != "hispanic"]
        ethnicity = "yes" if "hispanic" in combined.codes else "no"
        return ethnicity, ";".join(RACE_RAW[c] for c in dict.fromkeys(others))
    ethnicity = ""
    if hispanic is not None:
        ethnicity = declined if hispanic.declined else hispanic.codes[0]
    races = ""
    if race is not None:
        races = declined if race.declined else ";".join(RACE_RAW[c] for c in race.codes)
    return ethnicity, races


def _race_1997(codes: Sequence[str]) -> str:
    """A person's 2024-style groups as the 1997 race labels (MENA counted as White)."""
    others = ["white" if c == "mena" else c for c in codes if c != "hispanic"]
    return ";".join(RACE_RAW[c] for c in dict.fromkeys(others))


def _yes_no_answer(
    dp: DemoPerson, dimension: str, sources: Sequence[str], words: tuple[str, str, str]
) -> str:
    """``words`` = (yes, no, declined); blank when the question was never answered."""
    answer = _latest(dp, (dimension,), sources)
    if answer is None:
        return ""
    if answer.declined:
        return words[2]
    return words[0] if answer.codes[0] == "yes" else words[1]


def _new_employee_email(gen: DemoGenerator, dp: DemoPerson) -> str:
    """A changed address in the newer ``given.family@`` style."""
    given = "".join(c for c in ascii_fold(dp.given_name) if c.isalnum())
    family = "".join(c for c in ascii_fold(dp.family_name) if c.isalnum())
    candidate = f"{given}.{family}@{SCHOOL_EMAIL_DOMAIN}"
    n = 1
    while candidate in gen.used[IdSystem.EMAIL]:
        n += 1
        candidate = f"{given}.{family}{n}@{SCHOOL_EMAIL_DOMAIN}"
    gen.used[IdSystem.EMAIL].add(candidate)
    return candidate


def _pick_department(gen: DemoGenerator, *, staff: bool) -> str:
    weights = [d[4] if staff else d[3] for d in DEPARTMENTS]
    return gen.pick([d[0] for d in DEPARTMENTS], weights)


@dataclass
class _Changes:
    """How many existing people get each kind of change (the rest are unchanged)."""

    counts: dict[str, int]

    def take(self, kind: str) -> bool:
        if self.counts.get(kind, 0) > 0:
            self.counts[kind] -= 1
            return True
        return False


# ---------------------------------------------------------------------------------------
# HR faculty export.


def _faculty_row(world: DemoWorld, dp: DemoPerson, appt: DemoStage) -> Row:
    # What the HR system holds: the answers given at hire (a separate 2025 survey is not HR's).
    sources = (HR,)
    hr_answers = [a for a in dp.answers if a.source == HR]
    ethnicity, race = _ethnicity_and_race(hr_answers, declined=DECLINE_HR)
    return {
        "EMPLID": dp.identifier(IdSystem.EMPLOYEE_ID),
        "Last Name": dp.family_name,
        "First Name": dp.given_name,
        "Middle Name": dp.middle_name,
        "Preferred Email": next(
            (e for e in dp.identifiers_of(IdSystem.EMAIL) if e.endswith(SCHOOL_EMAIL_DOMAIN)), ""
        ),
        "Date of Birth": _us(dp.birth_date),
        "Department": _unit_name(world, appt.unit),
        "Academic Rank": HR_RANK[appt.rank],
        "Track": HR_TRACK.get(appt.track, appt.track),
        "Tenure Status": HR_TENURE.get(appt.tenure, appt.tenure),
        "FTE": f"{appt.fte:.2f}" if appt.fte is not None else "",
        "Hire Date": _us(appt.start_date),
        "Term Date": _us(appt.end_date),
        "Term Reason": HR_TERM_REASON.get(appt.reason, appt.reason),
        "Sex": _sex_word(_latest(dp, ("sex",), sources), DECLINE_HR),
        "Ethnicity": {"yes": "Hispanic or Latino", "no": "Not Hispanic or Latino"}.get(
            ethnicity, ethnicity
        ),
        "Race": race,
        "Veteran Status": _yes_no_answer(
            dp, "veteran", sources, ("Protected Veteran", "Not a Protected Veteran", DECLINE_HR)
        ),
        "Disability Status": _yes_no_answer(dp, "disability", sources, ("Yes", "No", DECLINE_HR)),
    }


def _new_faculty_row(
    gen: DemoGenerator, world: DemoWorld, hire: dt.date, *, accented: bool = False
) -> Row:
    """A new hire; ``accented`` insists on a name that needs more than ASCII (é, ñ...)."""
    rng = gen.rng
    rank = gen.pick(tuple(NEW_HIRE_AGE), (12, 68, 12, 8))
    age = NEW_HIRE_AGE[rank]
    born = hire - dt.timedelta(days=round((age + rng.gauss(0, 3)) * 365.25))
    dp = gen.new_person("faculty", born_between=(born, born + dt.timedelta(days=200)), state="NM")
    for _ in range(500):
        if not accented or not (dp.given_name + dp.family_name).isascii():
            break
        dp = gen.new_person("faculty", born_between=(born, born + dt.timedelta(days=200)))
    department = _pick_department(gen, staff=False)
    basic = next(d for d in DEPARTMENTS if d[0] == department)[2] == DepartmentClass.BASIC_SCIENCE
    if basic:
        track = gen.pick(("tenure_track", "research"), (80, 20))
    else:
        track = gen.pick(("clinician_educator", "tenure_track", "clinical"), (65, 15, 20))
    tenure = "not_on_track"
    if track == "tenure_track":
        tenure = "tenured" if rank in {"associate_professor", "professor"} else "on_track"
    lat = dp.latent

    def maybe(value: str, declined: float = 0.04) -> str:
        return DECLINE_HR if gen.chance(declined) else value

    race = _race_1997(lat.combined_2024)
    return {
        "EMPLID": gen.unique_number(IdSystem.EMPLOYEE_ID, 100000, 989999),
        "Last Name": dp.family_name,
        "First Name": dp.given_name,
        "Middle Name": dp.middle_name,
        "Preferred Email": gen.new_email(dp, domain=SCHOOL_EMAIL_DOMAIN),
        "Date of Birth": _us(dp.birth_date),
        "Department": _unit_name(world, department),
        "Academic Rank": HR_RANK[rank],
        "Track": HR_TRACK[track],
        "Tenure Status": HR_TENURE[tenure],
        "FTE": gen.pick(("1.00", "0.80", "0.50"), (88, 8, 4)),
        "Hire Date": _us(hire),
        "Term Date": "",
        "Term Reason": "",
        "Sex": maybe({"female": "Female", "male": "Male"}.get(lat.sex, "Intersex"), 0.02),
        "Ethnicity": maybe("Hispanic or Latino" if lat.hispanic else "Not Hispanic or Latino"),
        "Race": maybe(race, 0.05),
        "Veteran Status": maybe(
            "Protected Veteran" if lat.veteran else "Not a Protected Veteran", 0.03
        ),
        "Disability Status": maybe("Yes" if lat.disability else "No", 0.06),
    }


def _faculty_rows(world: DemoWorld, gen: DemoGenerator) -> list[Row]:
    rng = gen.rng
    current: list[tuple[DemoPerson, DemoStage]] = []
    recently_left: list[tuple[DemoPerson, DemoStage]] = []
    for dp in world.people:
        appt = _last_stage(dp, StageKind.FACULTY_APPOINTMENT)
        if appt is None or not dp.identifier(IdSystem.EMPLOYEE_ID):
            continue
        if _is_current(appt):
            current.append((dp, appt))
        elif appt.end_date and appt.end_date.year >= DEMO_TODAY.year:
            recently_left.append((dp, appt))
    chosen = rng.sample(current, min(190, len(current)))
    chosen += rng.sample(recently_left, min(10, len(recently_left)))
    changes = _Changes({"promotion": 12, "email": 10, "fte": 5, "separation": 8})
    rows: list[Row] = []
    for dp, appt in chosen:
        row = _faculty_row(world, dp, appt)
        if _is_current(appt):
            if appt.rank in NEXT_RANK and changes.take("promotion"):
                row["Academic Rank"] = HR_RANK[NEXT_RANK[appt.rank]]
                if appt.track == "tenure_track" and NEXT_RANK[appt.rank] != "assistant_professor":
                    row["Tenure Status"] = HR_TENURE["tenured"]
            elif changes.take("email"):
                row["Preferred Email"] = _new_employee_email(gen, dp)
            elif appt.fte == Decimal("1.000") and changes.take("fte"):
                row["FTE"] = "0.80"
            elif changes.take("separation"):
                row["Term Date"] = _us(gen.day_between(dt.date(2026, 12, 1), dt.date(2027, 1, 31)))
                row["Term Reason"] = gen.pick(
                    ("Resignation", "Retirement", "Non-Renewal"), (6, 3, 1)
                )
        rows.append(row)
    # New people: hires the demo database does not know yet.
    n_new = max(10, 300 - len(rows) - 8)
    for i in range(n_new):
        if gen.chance(0.75):
            hire = gen.day_between(DEMO_TODAY + dt.timedelta(days=1), dt.date(2027, 1, 15))
        else:
            hire = gen.day_between(dt.date(2025, 7, 1), DEMO_TODAY)
        rows.append(_new_faculty_row(gen, world, hire, accented=i < 3))
    rows += _bad_faculty_rows(world, gen, rows)
    rows.sort(key=lambda r: (r["EMPLID"] or "~", r["Last Name"]))
    return rows


def _bad_faculty_rows(world: DemoWorld, gen: DemoGenerator, rows: list[Row]) -> list[Row]:
    """Rows an import preview must explain, one problem each."""
    bad: list[Row] = []

    def new(**changes: str) -> None:
        row = _new_faculty_row(gen, world, dt.date(2026, 12, 1))
        row.update(changes)
        bad.append(row)

    new(**{"Hire Date": "02/30/2021"})  # no such date
    new(**{"Academic Rank": "Visiting Scholar"})  # not a rank
    new(EMPLID=rows[len(rows) // 3]["EMPLID"])  # another person's EMPLID
    new(**{"Last Name": ""})  # required
    new(FTE="1.5")  # FTE above 1
    new(**{"Hire Date": "08/01/2022", "Term Date": "06/30/2021", "Term Reason": "Resignation"})
    new(**{"Date of Birth": "13/25/1979"})  # day and month swapped, and still impossible
    new(Department="")  # required
    return bad


def _write_faculty(path: Path, world: DemoWorld, gen: DemoGenerator) -> Path:
    rows = _faculty_rows(world, gen)
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FACULTY_HEADERS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


# ---------------------------------------------------------------------------------------
# AMCAS-like admissions export.


def _yn(value: bool) -> str:
    return "Y" if value else "N"


def _amcas_answers(dp: DemoPerson, applied: dt.date) -> dict[str, Any]:
    """The self-identification columns from this application's own answers."""
    answers = {a.dimension: a for a in dp.answers if a.source == AMCAS and a.reported_on == applied}

    def yes_no(dimension: str, declined: str = "Decline") -> str:
        answer = answers.get(dimension)
        if answer is None:
            return ""
        return declined if answer.declined else _yn(answer.codes[0] == "yes")

    ethnicity, race = _ethnicity_and_race(list(answers.values()), declined="Decline")
    county = answers.get("county_fips")
    state = answers.get("state")
    sex = answers.get("sex")
    return {
        "Sex": _sex_word(sex, "Decline") if sex else "",
        "Hispanic/Latino": {"yes": "Y", "no": "N"}.get(ethnicity, ethnicity),
        "Race": race,
        "First Generation": yes_no("first_generation"),
        "Fee Assistance Program": yes_no("fee_assistance"),
        "Pell Grant": yes_no("pell"),
        "County of Legal Residence": ("" if county is None or county.declined else county.codes[0]),
        "State of Legal Residence": "" if state is None or state.declined else state.codes[0],
    }


def _amcas_row(dp: DemoPerson, cycle: int) -> Row | None:
    def stage(kind: str) -> DemoStage | None:
        return next((s for s in dp.stages_of(kind) if s.academic_year == cycle), None)

    app = stage(StageKind.APPLICATION)
    if app is None:
        return None
    offer = stage(StageKind.OFFER)
    matric = stage(StageKind.MATRICULATION)
    personal = [e for e in dp.identifiers_of(IdSystem.EMAIL) if not e.endswith(SCHOOL_EMAIL_DOMAIN)]
    return {
        "AAMC ID": dp.identifier(IdSystem.AAMC_ID),
        "Last Name": dp.family_name,
        "First Name": dp.given_name,
        "Birth Date": dp.birth_date,
        "Email": personal[0] if personal else "",
        "Application Cycle": cycle,
        "Program": app.program,
        "Application Round": "Early Decision" if app.round == "early_decision" else "Regular",
        "Application Date": app.start_date,
        "Interviewed": _yn(stage(StageKind.INTERVIEW) is not None),
        "Offer Date": offer.start_date if offer else None,
        "Offer Decision": offer.outcome.capitalize() if offer else "",
        "Matriculation Date": matric.start_date if matric else None,
        "Total GPA": float(app.gpa) if app.gpa is not None else None,
        "MCAT Total": app.mcat,
        **_amcas_answers(dp, app.start_date),
    }


def _new_applicant_row(gen: DemoGenerator, cycle: int, dp: DemoPerson | None = None) -> Row:
    rng = gen.rng
    returning = dp is not None
    if dp is None:
        nm = gen.chance(0.45)
        dp = gen.new_person(
            "nm_applicant" if nm else "oos_applicant",
            born_between=(dt.date(cycle - 31, 1, 1), dt.date(cycle - 22, 6, 30)),
            state="NM" if nm else "XX",
        )
        aamc = gen.unique_number(IdSystem.AAMC_ID, 12000000, 18999999)
        email = gen.new_email(
            dp, domain=gen.pick(("example.com", "example.org", "example.net")), style="personal"
        )
    else:
        aamc = dp.identifier(IdSystem.AAMC_ID)
        email = next(e for e in dp.identifiers_of(IdSystem.EMAIL) if "example." in e)
    lat = dp.latent
    nm = lat.state == "NM"
    early = gen.chance(0.05 if nm else 0.01)
    applied = gen.day_between(dt.date(cycle - 1, 6, 1), min(dt.date(cycle - 1, 11, 1), DEMO_TODAY))
    gpa = min(4.0, max(2.4, rng.gauss(3.56 if nm else 3.64, 0.26)))
    mcat = round(min(528, max(472, rng.gauss(503 if nm else 507.5, 7.5))))
    if returning:
        mcat = min(528, mcat + 3)
    interviewed = (nm and gen.chance(0.3) or gen.chance(0.05)) and (
        applied + dt.timedelta(days=35) < DEMO_TODAY
    )
    offer_on: dt.date | None = None
    decision = ""
    if interviewed and early:
        offer_on, decision = dt.date(cycle - 1, 10, 1), "Accepted"
    elif interviewed and gen.chance(0.15):
        offer_on = gen.day_between(dt.date(cycle - 1, 10, 15), DEMO_TODAY)
    declined = gen.chance(0.04)
    race = _race_1997(lat.combined_2024)
    return {
        "AAMC ID": aamc,
        "Last Name": dp.family_name,
        "First Name": dp.given_name,
        "Birth Date": dp.birth_date,
        "Email": email,
        "Application Cycle": cycle,
        "Program": "MD/PhD" if gen.chance(0.04) else "MD",
        "Application Round": "Early Decision" if early else "Regular",
        "Application Date": applied,
        "Interviewed": _yn(bool(interviewed)),
        "Offer Date": offer_on if offer_on and offer_on >= applied else None,
        "Offer Decision": decision,
        "Matriculation Date": None,
        "Total GPA": round(gpa, 2),
        "MCAT Total": mcat,
        "Sex": "Decline" if gen.chance(0.015) else _sex_word_from_code(lat.sex),
        "Hispanic/Latino": "Decline" if declined else _yn(lat.hispanic),
        "Race": "Decline" if declined else race,
        "First Generation": _yn(lat.first_generation),
        "Fee Assistance Program": _yn(lat.fee_assistance),
        "Pell Grant": "Decline" if gen.chance(0.05) else _yn(lat.pell),
        "County of Legal Residence": lat.county,
        "State of Legal Residence": lat.state,
    }


def _sex_word_from_code(code: str) -> str:
    return {"female": "Female", "male": "Male", "intersex": "Intersex"}[code]


def _last_cycle(dp: DemoPerson) -> int | None:
    cycles = [s.academic_year for s in dp.stages_of(StageKind.APPLICATION) if s.academic_year]
    return max(cycles) if cycles else None


def _admission_rows(world: DemoWorld, gen: DemoGenerator) -> list[Row]:
    """Cycles 2025 and 2026 (known to the demo) and 2027 (in progress, mostly new people).

    Each applicant appears once, with the latest application: someone who applied in 2026
    and applies again in 2027 has only the 2027 row.
    """
    rng = gen.rng
    rows: list[Row] = []
    changes = _Changes({"email": 15, "gpa": 8, "late_offer": 3})
    seen: set[int] = set()
    returning: list[DemoPerson] = []
    for cycle, wanted in ((LAST_CYCLE - 1, 200), (LAST_CYCLE, 70)):
        applicants = [dp for dp in world.people if _last_cycle(dp) == cycle]
        for dp in rng.sample(applicants, min(wanted, len(applicants))):
            if id(dp) in seen:
                continue
            seen.add(id(dp))
            if (
                cycle == LAST_CYCLE
                and len(returning) < 20
                and not dp.stages_of(StageKind.MATRICULATION)
            ):
                returning.append(dp)  # applies again for 2027 instead
                continue
            row = _amcas_row(dp, cycle)
            if row is None:  # pragma: no cover - chosen from applicants of this cycle
                continue
            late = row["Interviewed"] == "Y" and not row["Offer Date"]
            if late and changes.take("late_offer"):
                # A waitlist offer in July, accepted: the import adds offer and matriculation.
                row["Offer Date"] = dt.date(cycle, 7, 20)
                row["Offer Decision"] = "Accepted"
                row["Matriculation Date"] = dt.date(cycle, 8, 1)
            elif changes.take("email"):
                given = "".join(c for c in ascii_fold(dp.given_name) if c.isalnum())
                row["Email"] = f"{given}.{rng.randint(100, 999)}@example.org"
            elif row["Total GPA"] is not None and changes.take("gpa"):
                row["Total GPA"] = round(max(2.0, row["Total GPA"] - 0.02), 2)  # verified GPA
            rows.append(row)
    # The cycle in progress: returning applicants (same AAMC ID, same person) and new ones.
    for dp in returning:
        rows.append(_new_applicant_row(gen, LAST_CYCLE + 1, dp))
    for _ in range(max(10, 492 - len(rows))):
        rows.append(_new_applicant_row(gen, LAST_CYCLE + 1))
    rows += _bad_admission_rows(gen, rows, LAST_CYCLE + 1)
    rows.sort(key=lambda r: (str(r["Application Cycle"]), str(r["Last Name"]), str(r["AAMC ID"])))
    return rows


def _bad_admission_rows(gen: DemoGenerator, rows: list[Row], cycle: int) -> list[Row]:
    bad: list[Row] = []

    def new(**changes: Any) -> None:
        row = _new_applicant_row(gen, cycle)
        row.update(changes)
        bad.append(row)

    new(**{"AAMC ID": "1234567X"})  # not digits
    new(**{"MCAT Total": 531})  # above the MCAT maximum of 528
    new(**{"Total GPA": 4.3})  # above 4.0
    new(  # an offer before the application
        **{
            "Application Date": dt.date(cycle - 1, 9, 1),
            "Offer Date": dt.date(cycle - 1, 8, 1),
            "Offer Decision": "Accepted",
        }
    )
    new(**{"First Name": ""})  # required
    new(**{"AAMC ID": rows[len(rows) // 2]["AAMC ID"]})  # twice in one file
    new(**{"Birth Date": "2001-02-30"})  # no such date (a text cell)
    new(**{"Application Cycle": "2O27"})  # letter O for zero
    return bad


def _write_admissions(path: Path, world: DemoWorld, gen: DemoGenerator) -> Path:
    rows = _admission_rows(world, gen)
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties(
        {
            "title": "AMCAS applicant export (fictional demo)",
            "author": "Sangre de Cristo School of Medicine (fictional demo)",
            "created": EXPORTED_AT,
        }
    )
    sheet = workbook.add_worksheet("Applicants")
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    gpa_format = workbook.add_format({"num_format": "0.00"})
    sheet.write_row(0, 0, ADMISSIONS_HEADERS, bold)
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        for c, header in enumerate(ADMISSIONS_HEADERS):
            value = row.get(header)
            if value is None or value == "":
                sheet.write_blank(r, c, None)
            elif isinstance(value, dt.date):
                moment = dt.datetime.combine(value, dt.time())  # noqa: DTZ001 - a calendar date
                sheet.write_datetime(r, c, moment, date_format)
            elif header == "County of Legal Residence":
                # Excel turns FIPS codes into numbers (06037 -> 6037); a few stayed text.
                if (r % 7) == 0:
                    sheet.write_string(r, c, str(value))
                else:
                    sheet.write_number(r, c, int(value))
            elif header == "Total GPA" and isinstance(value, float):
                sheet.write_number(r, c, value, gpa_format)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    sheet.set_column(0, len(ADMISSIONS_HEADERS) - 1, 16)
    workbook.close()
    return path


# ---------------------------------------------------------------------------------------
# HR staff export.


def _staff_gender(dp: DemoPerson) -> str:
    """The HR system's "Gender" column holds the sex recorded at hire."""
    return _sex_word(_latest(dp, ("sex",), (HR,)), "Undisclosed")


def _staff_row(world: DemoWorld, dp: DemoPerson, appt: DemoStage) -> Row:
    fte = appt.fte if appt.fte is not None else Decimal(1)
    return {
        "Employee ID": dp.identifier(IdSystem.EMPLOYEE_ID),
        "Surname": dp.family_name,
        "Given Name": dp.given_name,
        "Email": next(
            (e for e in dp.identifiers_of(IdSystem.EMAIL) if e.endswith(SCHOOL_EMAIL_DOMAIN)), ""
        ),
        "Department": _unit_name(world, appt.unit),
        "Job Title": appt.title,
        "Senior Admin": "Yes" if appt.senior_administrative else "No",
        "FTE": f"{round(fte * 100)}%",
        "Start Date": _iso(appt.start_date),
        "End Date": _iso(appt.end_date),
        "Separation Reason": STAFF_SEPARATION.get(appt.reason, appt.reason),
        "Gender": _staff_gender(dp),
    }


def _new_staff_row(gen: DemoGenerator, world: DemoWorld, start: dt.date) -> Row:
    rng = gen.rng
    born = start - dt.timedelta(days=round(rng.uniform(22, 58) * 365.25))
    dp = gen.new_person("staff", born_between=(born, born + dt.timedelta(days=200)), state="NM")
    department = _pick_department(gen, staff=True)
    admin = next(d for d in DEPARTMENTS if d[0] == department)[2] == DepartmentClass.ADMINISTRATION
    sex = dp.latent.sex
    return {
        "Employee ID": gen.unique_number(IdSystem.EMPLOYEE_ID, 100000, 989999),
        "Surname": dp.family_name,
        "Given Name": dp.given_name,
        "Email": gen.new_email(dp, domain=SCHOOL_EMAIL_DOMAIN),
        "Department": _unit_name(world, department),
        "Job Title": gen.pick(STAFF_TITLES_ADMIN if admin else STAFF_TITLES_DEPT),
        "Senior Admin": "No",
        "FTE": gen.pick(("100%", "80%", "50%"), (85, 9, 6)),
        "Start Date": _iso(start),
        "End Date": "",
        "Separation Reason": "",
        "Gender": "Undisclosed" if gen.chance(0.03) else _sex_word_from_code(sex),
    }


def _staff_rows(world: DemoWorld, gen: DemoGenerator) -> list[Row]:
    rng = gen.rng
    current: list[tuple[DemoPerson, DemoStage]] = []
    recently_left: list[tuple[DemoPerson, DemoStage]] = []
    for dp in world.people:
        appt = _last_stage(dp, StageKind.STAFF_APPOINTMENT)
        if appt is None:
            continue
        if _is_current(appt):
            current.append((dp, appt))
        elif appt.end_date and appt.end_date.year >= DEMO_TODAY.year:
            recently_left.append((dp, appt))
    chosen = rng.sample(current, min(140, len(current)))
    chosen += rng.sample(recently_left, min(8, len(recently_left)))
    changes = _Changes({"title": 10, "fte": 8, "separation": 8, "email": 5})
    rows: list[Row] = []
    for dp, appt in chosen:
        row = _staff_row(world, dp, appt)
        if _is_current(appt) and not appt.senior_administrative:
            if changes.take("title"):
                admin = world.units[appt.unit].classification == DepartmentClass.ADMINISTRATION
                titles = [
                    t
                    for t in (STAFF_TITLES_ADMIN if admin else STAFF_TITLES_DEPT)
                    if t != appt.title
                ]
                row["Job Title"] = gen.pick(titles)
            elif row["FTE"] == "100%" and changes.take("fte"):
                row["FTE"] = "80%"
            elif changes.take("separation"):
                row["End Date"] = _iso(gen.day_between(dt.date(2026, 12, 1), dt.date(2027, 1, 31)))
                row["Separation Reason"] = gen.pick(
                    ("Voluntary Resignation", "Retirement", "End of Appointment"), (6, 3, 1)
                )
            elif changes.take("email"):
                row["Email"] = _new_employee_email(gen, dp)
        rows.append(row)
    for _ in range(max(10, 200 - len(rows) - 6)):
        start = gen.day_between(dt.date(2026, 9, 1), dt.date(2027, 1, 15))
        rows.append(_new_staff_row(gen, world, start))
    bad: list[Row] = []

    def new(**changes: str) -> None:
        row = _new_staff_row(gen, world, dt.date(2026, 12, 7))
        row.update(changes)
        bad.append(row)

    new(FTE="120%")  # above 100%
    new(**{"Senior Admin": "Maybe"})  # neither yes nor no
    new(**{"Start Date": "2024-03-01", "End Date": "2023-02-28", "Separation Reason": "Retirement"})
    new(**{"Employee ID": ""})  # the key is missing
    new(**{"Start Date": "2023-13-01"})  # no month 13
    new(**{"Employee ID": rows[len(rows) // 4]["Employee ID"]})  # twice in one file
    rows += bad
    rows.sort(key=lambda r: (r["Department"], r["Surname"], r["Given Name"]))
    return rows


def _write_staff(path: Path, world: DemoWorld, gen: DemoGenerator) -> Path:
    rows = _staff_rows(world, gen)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=STAFF_HEADERS, delimiter=";", lineterminator="\r\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    return path
