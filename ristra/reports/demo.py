"""The demo school's definitions: its categories (with versions) and a sample benchmark.

:func:`seed_definitions` is called by ``manage.py demo`` after the fictional people are
loaded.  It is idempotent: a category key and population that already has any version is
left exactly as it is (an office's own edits survive a second run), and the benchmark is
loaded once, by name.

Which answers the demo generator fills (``ristra.people.demo``), and so which categories
have real yes / no answers for whom:

* applicants and students (the application): sex, the race questions (1997 before 2025,
  the 2024 combined question after), first generation, parental education, Pell, Fee
  Assistance, EO group, county, state, citizenship, veteran; gender identity and sexual
  orientation from the 2021 cycle;
* residents (ERAS): sex, gender identity, race questions, citizenship, state, veteran;
* faculty and staff (HR, and HR's voluntary survey): sex, race questions, veteran,
  disability, and from the survey gender identity and sexual orientation.

So rural background, economically disadvantaged and first generation describe applicants
and students; women and underrepresented in medicine describe everyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ristra.reports.models import Benchmark, Category, Population
from ristra.reports.services import benchmark_import, category_set

#: The first academic year the demo definitions cover (the first cycle's applications).
DEMO_DEFINITIONS_FROM = dt.date(2015, 7, 1)
URIM_V2_FROM = dt.date(2021, 7, 1)

BENCHMARK_SAMPLE = Path(settings.BASE_DIR) / "profiles" / "benchmark_sample_nm_2020.csv"
BENCHMARK_NAME = "Sample: New Mexico and United States, 2020 (fictional figures)"
BENCHMARK_SOURCE = (
    "Illustrative sample shipped with Ristra (profiles/benchmark_sample_nm_2020.csv): "
    "fictional round figures, not census figures"
)
BENCHMARK_CITATION = (
    "Fictional benchmark population for trying Ristra; the numbers are made up so that the "
    "file is consistent and must not be used in any report. Replace them with published "
    "figures (for example from the U.S. Census Bureau) and their citation."
)


@dataclass(frozen=True)
class DemoCategory:
    key: str
    label: str
    population: str
    version: int
    rule_text: str
    description: str
    effective_from: dt.date
    effective_to: dt.date | None = None


_URIM_1997_AND_2024 = """\
# The 2024 combined question when the person answered it, else the 1997 questions.
(not is_missing(race_ethnicity_2024)
    and race_ethnicity_2024 contains_any ({codes_2024}))
or (is_missing(race_ethnicity_2024)
    and (hispanic == "yes" or race contains_any ({codes_1997})))"""

DEMO_CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory(
        key="rural",
        label="Rural background",
        population=Population.ALL,
        version=1,
        rule_text=(
            "# New Mexico, outside Bernalillo County (Albuquerque) and Sandoval County\n"
            "# (Rio Rancho, Corrales)\n"
            'state == "NM" and county_fips not in ("35001", "35043")'
        ),
        description=(
            "Lives in New Mexico outside the Albuquerque metropolitan counties, as the "
            "admissions committee adopted it for the state's rural physician pipeline."
        ),
        effective_from=DEMO_DEFINITIONS_FROM,
    ),
    DemoCategory(
        key="economically_disadvantaged",
        label="Economically disadvantaged",
        population=Population.ALL,
        version=1,
        rule_text=(
            "any_of(\n"
            '    pell == "yes",                  # Pell grant\n'
            '    fee_assistance == "yes",        # AAMC Fee Assistance Program\n'
            '    ses_group in ("eo1", "eo2")     # AAMC EO-1 or EO-2\n'
            ")"
        ),
        description="A Pell grant, AAMC fee assistance, or an EO-1 or EO-2 family background.",
        effective_from=DEMO_DEFINITIONS_FROM,
    ),
    DemoCategory(
        key="first_generation",
        label="First generation",
        population=Population.ALL,
        version=1,
        rule_text='first_generation == "yes"',
        description="Neither parent completed a bachelor's degree (as asked on the application).",
        effective_from=DEMO_DEFINITIONS_FROM,
    ),
    DemoCategory(
        key="women",
        label="Women",
        population=Population.ALL,
        version=1,
        rule_text=(
            "# Gender identity was asked only from the 2021 cycle: without an answer, sex alone\n"
            "# decides.\n"
            'sex == "female"\n'
            "or (not is_missing(gender_identity)\n"
            '    and gender_identity in ("woman", "transgender_woman"))'
        ),
        description="Female sex, or a woman's gender identity (transgender women included).",
        effective_from=DEMO_DEFINITIONS_FROM,
    ),
    DemoCategory(
        key="women",
        label="Women (faculty)",
        population=Population.FACULTY,
        version=1,
        rule_text='sex == "female"',
        description=(
            "For faculty the office reports as the AAMC Faculty Roster and IPEDS Human "
            "Resources do: sex as recorded by HR, so that faculty shares compare with the "
            "national figures. Gender identity comes only from HR's voluntary survey."
        ),
        effective_from=DEMO_DEFINITIONS_FROM,
    ),
    DemoCategory(
        key="urim",
        label="Underrepresented in medicine",
        population=Population.ALL,
        version=1,
        rule_text=(
            "# Black, Hispanic or Latino, American Indian or Alaska Native\n"
            + _URIM_1997_AND_2024.format(
                codes_2024='"black", "hispanic", "aian"', codes_1997='"black", "aian"'
            )
        ),
        description="The school's first list: Black, Hispanic or Latino, American Indian or "
        "Alaska Native, under either the 1997 or the 2024 questions.",
        effective_from=DEMO_DEFINITIONS_FROM,
        effective_to=URIM_V2_FROM - dt.timedelta(days=1),
    ),
    DemoCategory(
        key="urim",
        label="Underrepresented in medicine",
        population=Population.ALL,
        version=2,
        rule_text=(
            "# Black, Hispanic or Latino, American Indian or Alaska Native, Native Hawaiian\n"
            "# or Pacific Islander (added by the diversity committee in 2021)\n"
            + _URIM_1997_AND_2024.format(
                codes_2024='"black", "hispanic", "aian", "nhpi"',
                codes_1997='"black", "aian", "nhpi"',
            )
        ),
        description="The list adopted in July 2021, which adds Native Hawaiian or Pacific "
        "Islander people, under either the 1997 or the 2024 questions.",
        effective_from=URIM_V2_FROM,
    ),
)


@dataclass(frozen=True)
class SeedResult:
    categories_created: int
    benchmark_created: bool


def seed_definitions() -> SeedResult:
    """Create the demo categories and the sample benchmark that are not there yet."""
    created = 0
    with transaction.atomic():
        existing = set(Category.objects.values_list("key", "population"))
        for spec in DEMO_CATEGORIES:
            if (spec.key, spec.population) in existing:
                continue
            Category.objects.create(
                key=spec.key,
                label=spec.label,
                population=spec.population,
                version=spec.version,
                rule_text=spec.rule_text,
                description=spec.description,
                effective_from=spec.effective_from,
                effective_to=spec.effective_to,
            )
            created += 1
        category_set()  # every version still fits together (raises CategoryError)
        benchmark = False
        if not Benchmark.objects.filter(name=BENCHMARK_NAME).exists():
            benchmark_import(
                content=BENCHMARK_SAMPLE.read_bytes(),
                filename=BENCHMARK_SAMPLE.name,
                name=BENCHMARK_NAME,
                source=BENCHMARK_SOURCE,
                citation=BENCHMARK_CITATION,
            )
            benchmark = True
    return SeedResult(categories_created=created, benchmark_created=benchmark)
