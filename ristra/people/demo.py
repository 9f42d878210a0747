"""The fictional demo school: a deterministic, realistic population for trying Ristra.

``build_demo_school()`` writes the "Sangre de Cristo School of Medicine (fictional demo)":
ten admissions cycles (entering 2017-2026), students, residents and fellows, faculty, senior
administrative staff and staff, each with identifiers, dated stages and self-identification
answers with their sources, plus the demo accounts. Every person and number is invented;
names are drawn from short hand-written lists, never from real rosters.

The population is generated in memory first (``generate_demo_world``), so the sample export
files (``demo_exports``) can describe the same people without touching the database, and
then written in one transaction: ``bulk_create`` for units and people, plain ``executemany``
inserts for the hundreds of thousands of identifiers, answers and stages (the ORM's
per-value work would take most of a minute).

Conventions the generated data follows (later imports of the same facts find the same rows):

- stage keys come from ``stage_key``: application, interview, offer and matriculation by
  program unit code and ``academic_year`` (the entering cycle); every other stage by unit code
  and start date;
- ``academic_year`` is the calendar year in which the academic year begins on July 1
  (2026 = 2026-27), which for admissions is the entering cycle;
- a faculty or staff appointment is one spell per hire, carrying the rank, track, tenure and
  FTE held at its end (as an HR roster shows them); each promotion is a stage with the new
  rank (ranks go one step at a time, so the rank before a promotion is the one below it);
- a person's self-identification answers are drawn once and reported by each source that
  asks, with that source's own declines and blanks: records from 2025 on use the 2024
  combined race and ethnicity question, older ones the 1997 two questions.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import polars as pl
from django.db import connection, transaction
from django.db.models import Count, Model, ProtectedError, Q, RestrictedError, TextField
from django.db.models.functions import Cast

from ristra.people.models import (
    DepartmentClass,
    Dimension,
    Identifier,
    IdSystem,
    OrgUnit,
    OrgUnitKind,
    Person,
    Rank,
    SelfIdentification,
    Stage,
    StageKind,
    stage_key,
)
from ristra.people.responses import answer_rows

DEMO_SCHOOL_CODE = "demo-school"
DEMO_SCHOOL_NAME = "Sangre de Cristo School of Medicine (fictional demo)"
DEMO_PASSWORD = "ristra-demo-2026"  # noqa: S105 - the published password of the demo accounts
DEMO_SEED = 2026
#: The demo's "today": every stage in the demo starts on or before it.
DEMO_TODAY = dt.date(2026, 11, 16)
FIRST_CYCLE = 2017
LAST_CYCLE = 2026
SCHOOL_EMAIL_DOMAIN = "sdcmed.invalid"
SCALES = ("small", "full")
#: The date from which records use the 2024 combined race and ethnicity question.
COMBINED_QUESTION_FROM = dt.date(2025, 1, 1)
HR_SURVEY_DATE = dt.date(2025, 10, 15)

AMCAS = "AMCAS application"
REGISTRAR = "Registrar"
ERAS = "ERAS application"
HR = "HR self-identification"
HR_SURVEY = "HR self-identification survey 2025"

T = TypeVar("T")


class _Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


# ---------------------------------------------------------------------------------------
# Names: short hand-written lists; every combination is fictional.

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # group: (female given names, male given names, family names)
    "hispanic": (
        (
            "María",
            "Guadalupe",
            "Lucía",
            "Sofía",
            "Isabel",
            "Ximena",
            "Valeria",
            "Rosa",
            "Elena",
            "Ana",
            "Adriana",
            "Marisol",
            "Yolanda",
            "Inés",
            "Noemí",
            "Carmen",
            "Dolores",
            "Angélica",
            "Teresa",
            "Verónica",
            "Paloma",
            "Renata",
            "Celia",
            "Amalia",
            "Josefina",
            "Estela",
            "Mónica",
            "Leticia",
            "Araceli",
            "Beatriz",
        ),
        (
            "José",
            "Alejandro",
            "Mateo",
            "Diego",
            "Andrés",
            "Joaquín",
            "Carlos",
            "Juan",
            "Gabriel",
            "Esteban",
            "Ramón",
            "Tomás",
            "Benito",
            "Miguel",
            "Rafael",
            "Ignacio",
            "Julián",
            "Arturo",
            "Fernando",
            "Héctor",
            "Rubén",
            "Emilio",
            "Sergio",
            "Óscar",
            "Francisco",
            "Eduardo",
            "Santiago",
            "Lorenzo",
            "Martín",
            "Adrián",
        ),
        (
            "García",
            "Martínez",
            "Chávez",
            "Lucero",
            "Baca",
            "Romero",
            "Trujillo",
            "Montoya",
            "Sandoval",
            "Archuleta",
            "Gallegos",
            "Vigil",
            "Maestas",
            "Quintana",
            "Padilla",
            "Ortiz",
            "Griego",
            "Apodaca",
            "Luján",
            "Armijo",
            "Jaramillo",
            "Salazar",
            "Valdez",
            "Gonzales",
            "Mondragón",
            "Ibáñez",
            "Peña",
            "Muñoz",
            "Córdova",
            "Domínguez",
            "Núñez",
            "Durán",
            "Ulibarrí",
            "Sisneros",
            "Abeyta",
            "Duran",
            "Esquibel",
            "Lovato",
            "Medina",
            "Otero",
            "Rael",
            "Sena",
            "Tapia",
            "Varela",
            "Zamora",
            "de la Cruz",
            "de Vargas",
            "Montaño",
            "Benavídez",
            "Cisneros",
        ),
    ),
    "white": (
        (
            "Emily",
            "Sarah",
            "Hannah",
            "Katherine",
            "Rebecca",
            "Claire",
            "Megan",
            "Laura",
            "Abigail",
            "Anna",
            "Elizabeth",
            "Molly",
            "Allison",
            "Caroline",
            "Julia",
            "Grace",
            "Rachel",
            "Natalie",
            "Lauren",
            "Erin",
            "Heather",
            "Kristen",
            "Amy",
            "Jennifer",
            "Susan",
            "Margaret",
            "Ingrid",
            "Colleen",
            "Brooke",
            "Madeline",
        ),
        (
            "James",
            "Michael",
            "David",
            "Daniel",
            "Matthew",
            "Andrew",
            "Ethan",
            "Benjamin",
            "Noah",
            "Samuel",
            "Thomas",
            "William",
            "Robert",
            "John",
            "Christopher",
            "Ryan",
            "Nathan",
            "Jacob",
            "Peter",
            "Patrick",
            "Mark",
            "Eric",
            "Scott",
            "Gregory",
            "Kyle",
            "Tyler",
            "Erik",
            "Owen",
            "Henry",
            "Luke",
        ),
        (
            "Anderson",
            "Miller",
            "Schmidt",
            "O'Brien",
            "Murphy",
            "Larson",
            "Sullivan",
            "Fischer",
            "Campbell",
            "Hughes",
            "Becker",
            "Novak",
            "Olsen",
            "Bennett",
            "Fitzgerald",
            "McAllister",
            "Thompson",
            "Walker",
            "Harris",
            "Clark",
            "Lewis",
            "Young",
            "Wright",
            "Hall",
            "Baker",
            "Nelson",
            "Carter",
            "Mitchell",
            "Roberts",
            "Phillips",
            "Evans",
            "Turner",
            "Parker",
            "Collins",
            "Stewart",
            "Morris",
            "Rogers",
            "Cook",
            "Morgan",
            "Bailey",
            "Cooper",
            "Reed",
            "Howard",
            "Ward",
            "Hansen",
            "Kowalski",
            "Lindqvist",
            "Weber",
            "Hoffman",
            "Keller",
        ),
    ),
    "aian": (
        (
            "Shandiin",
            "Nizhoni",
            "Doli",
            "Chenoa",
            "Ayita",
            "Tallulah",
            "Winona",
            "Marlene",
            "Loretta",
            "Bernadette",
            "Darlene",
            "Renée",
            "Jolene",
            "Kateri",
            "Sage",
            "Dawn",
            "Starla",
            "Raven",
            "Corina",
            "Felicia",
        ),
        (
            "Ahiga",
            "Hastiin",
            "Kai",
            "Tahoma",
            "Delbert",
            "Leland",
            "Wilson",
            "Harrison",
            "Dwayne",
            "Marvin",
            "Lionel",
            "Travis",
            "Darrell",
            "Vernon",
            "Elijah",
            "Jeremiah",
            "Cody",
            "Lorenzo",
            "Dominic",
            "Justin",
        ),
        (
            "Begay",
            "Yazzie",
            "Tsosie",
            "Benally",
            "Nez",
            "Tso",
            "Manuelito",
            "Chee",
            "Etsitty",
            "Joe",
            "Willie",
            "Tsinajinnie",
            "Harjo",
            "Lente",
            "Naranjo",
            "Toya",
            "Shendo",
            "Lucario",
            "Waseta",
            "Quam",
            "Laate",
            "Bowannie",
            "Chino",
            "Aragon",
            "Yepa",
            "Pino",
            "Sandoval",
            "Zah",
            "Whitehorse",
            "Silversmith",
            "Cachini",
            "Tafoya",
            "Herrera",
            "Peshlakai",
            "Attakai",
        ),
    ),
    # Asian names by heritage, so a name and a detailed group agree.
    "Vietnamese": (
        ("Linh", "Thao", "Anh", "Trang", "Thu", "Ngoc", "Mai", "Lan", "Huong", "Vy", "Tam"),
        ("Minh", "Huy", "Quang", "Duc", "Bao", "Khanh", "Long", "Tuan", "Hieu", "Phuc", "Nam"),
        ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do", "Ngo", "Duong"),
    ),
    "Chinese": (
        ("Mei", "Xin", "Ling", "Yan", "Jing", "Hui", "Jasmine", "Grace", "Wen"),
        ("Wei", "Jun", "Hao", "Ming", "Jian", "Kevin", "Bo", "Lei", "Tao"),
        ("Chen", "Wang", "Li", "Zhang", "Liu", "Huang", "Lin", "Wu", "Zhou", "Yang"),
    ),
    "Asian Indian": (
        ("Priya", "Ananya", "Divya", "Lakshmi", "Meera", "Kavya", "Anjali", "Shreya", "Nisha"),
        ("Arjun", "Rohan", "Vikram", "Rahul", "Sanjay", "Ravi", "Aditya", "Nikhil", "Karthik"),
        ("Patel", "Shah", "Singh", "Gupta", "Rao", "Iyer", "Desai", "Reddy", "Menon", "Kumar"),
    ),
    "Pakistani": (
        ("Ayesha", "Sana", "Fatima", "Hira", "Zainab", "Maryam"),
        ("Ahmed", "Bilal", "Hamza", "Imran", "Usman", "Faisal"),
        ("Khan", "Qureshi", "Malik", "Siddiqui", "Chaudhry", "Butt"),
    ),
    "Korean": (
        ("Ji-woo", "Yuna", "Seo-yeon", "Min-ji", "Hye-jin", "Grace", "Esther"),
        ("Min-jun", "Tae-yang", "Joon", "Sung-min", "Daniel", "Jae-hyun", "Andrew"),
        ("Kim", "Park", "Lee", "Choi", "Jung", "Kang", "Cho", "Yoon"),
    ),
    "Japanese": (
        ("Hana", "Aiko", "Sakura", "Rina", "Yuki", "Emi", "Naomi"),
        ("Kenji", "Hiroshi", "Takumi", "Daisuke", "Ken", "Ryan", "Kenta"),
        ("Tanaka", "Nakamura", "Yamamoto", "Sato", "Suzuki", "Watanabe", "Kobayashi"),
    ),
    "Filipino": (
        ("Maricel", "Jocelyn", "Grace", "Kristine", "Rowena", "Angelica", "Maria"),
        ("Jerome", "Marvin", "Kevin", "Daniel", "Rommel", "Paolo", "Joseph"),
        ("Santos", "Reyes", "Dela Cruz", "Bautista", "Garcia", "Mendoza", "Villanueva", "Ramos"),
    ),
    "black": (
        (
            "Aaliyah",
            "Imani",
            "Keisha",
            "Amara",
            "Nia",
            "Ebony",
            "Zora",
            "Adaeze",
            "Makeda",
            "Danielle",
            "Tiffany",
            "Monique",
            "Simone",
            "Ayana",
            "Chiamaka",
        ),
        (
            "Jamal",
            "Marcus",
            "Darnell",
            "Chidi",
            "Kwame",
            "Desmond",
            "Terrence",
            "Malik",
            "Andre",
            "Isaiah",
            "Jerome",
            "Kofi",
            "Tobenna",
            "Dawit",
            "Cedric",
        ),
        (
            "Washington",
            "Jackson",
            "Robinson",
            "Okafor",
            "Mensah",
            "Adeyemi",
            "Tesfaye",
            "Bekele",
            "Johnson",
            "Williams",
            "Brooks",
            "Coleman",
            "Jefferson",
            "Banks",
            "Okonkwo",
            "Asante",
            "Gebremedhin",
            "Freeman",
            "Dixon",
            "Hayes",
        ),
    ),
    "mena": (
        ("Layla", "Amira", "Nour", "Yasmin", "Rania", "Dalia", "Leila", "Shirin", "Hala"),
        ("Omar", "Yusuf", "Karim", "Samir", "Tariq", "Dariush", "Khalid", "Nabil", "Sami"),
        (
            "Haddad",
            "Khalil",
            "Nasser",
            "Saleh",
            "Mansour",
            "Aziz",
            "Hamdan",
            "Farah",
            "Rahimi",
            "Karimi",
            "Boutros",
            "El-Amin",
            "Sabbagh",
            "Tehrani",
        ),
    ),
    "nhpi": (
        ("Leilani", "Malia", "Kalena", "Mele", "Noelani", "Sina", "Lupe"),
        ("Keoni", "Sione", "Kalani", "Makoa", "Tevita", "Ioane", "Kaimana"),
        ("Kealoha", "Kahale", "Fonoti", "Tuilagi", "Taufa", "Faleolo", "Akana", "Mahoe"),
    ),
}

_MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTVW"

# ---------------------------------------------------------------------------------------
# Places.

#: New Mexico counties: FIPS, name, population weight (thousands, rounded).
NM_COUNTIES: tuple[tuple[str, str, float], ...] = (
    ("35001", "Bernalillo", 676), ("35003", "Catron", 3.6), ("35005", "Chaves", 64),
    ("35006", "Cibola", 27), ("35007", "Colfax", 12), ("35009", "Curry", 48),
    ("35011", "De Baca", 1.7), ("35013", "Doña Ana", 220), ("35015", "Eddy", 62),
    ("35017", "Grant", 28), ("35019", "Guadalupe", 4.4), ("35021", "Harding", 0.6),
    ("35023", "Hidalgo", 4.2), ("35025", "Lea", 72), ("35027", "Lincoln", 20),
    ("35028", "Los Alamos", 19), ("35029", "Luna", 25), ("35031", "McKinley", 70),
    ("35033", "Mora", 4.2), ("35035", "Otero", 68), ("35037", "Quay", 8),
    ("35039", "Rio Arriba", 40), ("35041", "Roosevelt", 19), ("35043", "Sandoval", 150),
    ("35045", "San Juan", 120), ("35047", "San Miguel", 27), ("35049", "Santa Fe", 155),
    ("35051", "Sierra", 11), ("35053", "Socorro", 16), ("35055", "Taos", 34),
    ("35057", "Torrance", 15), ("35059", "Union", 4), ("35061", "Valencia", 77),
)  # fmt: skip

#: Where American Indian applicants from New Mexico live (Navajo Nation, the Pueblos).
NM_AIAN_COUNTIES: dict[str, float] = {
    "35031": 30, "35045": 25, "35043": 12, "35001": 15, "35006": 8, "35039": 5,
    "35035": 3, "35053": 2,
}  # fmt: skip

#: Out-of-state counties applicants and residents come from: FIPS, name, state, weight.
OTHER_COUNTIES: tuple[tuple[str, str, str, float], ...] = (
    ("48141", "El Paso County", "TX", 8), ("48201", "Harris County", "TX", 6),
    ("48453", "Travis County", "TX", 5), ("48113", "Dallas County", "TX", 5),
    ("04013", "Maricopa County", "AZ", 8), ("04019", "Pima County", "AZ", 4),
    ("04001", "Apache County", "AZ", 2), ("04005", "Coconino County", "AZ", 2),
    ("08031", "Denver County", "CO", 5), ("08041", "El Paso County", "CO", 3),
    ("06037", "Los Angeles County", "CA", 8), ("06073", "San Diego County", "CA", 4),
    ("06085", "Santa Clara County", "CA", 3), ("49035", "Salt Lake County", "UT", 3),
    ("49037", "San Juan County", "UT", 1), ("40109", "Oklahoma County", "OK", 2),
    ("17031", "Cook County", "IL", 3), ("36061", "New York County", "NY", 2),
    ("13121", "Fulton County", "GA", 2), ("12086", "Miami-Dade County", "FL", 2),
    ("53033", "King County", "WA", 2), ("26163", "Wayne County", "MI", 1),
    ("32003", "Clark County", "NV", 2), ("41051", "Multnomah County", "OR", 1),
    ("27053", "Hennepin County", "MN", 1), ("25025", "Suffolk County", "MA", 1),
    ("01073", "Jefferson County", "AL", 1), ("15003", "Honolulu County", "HI", 1),
    ("09009", "New Haven County", "CT", 1),
)  # fmt: skip

STATE_NAMES: dict[str, str] = {
    "NM": "New Mexico", "TX": "Texas", "AZ": "Arizona", "CO": "Colorado", "CA": "California",
    "UT": "Utah", "OK": "Oklahoma", "IL": "Illinois", "NY": "New York", "GA": "Georgia",
    "FL": "Florida", "WA": "Washington", "MI": "Michigan", "NV": "Nevada", "OR": "Oregon",
    "MN": "Minnesota", "MA": "Massachusetts", "AL": "Alabama", "HI": "Hawaii",
    "CT": "Connecticut",
}  # fmt: skip

# ---------------------------------------------------------------------------------------
# Organisational units.

#: code, name, classification, share of faculty, share of staff, clinical (NPI, GME).
DEPARTMENTS: tuple[tuple[str, str, str, float, float, bool], ...] = (
    ("anatomy", "Anatomy", DepartmentClass.BASIC_SCIENCE, 2, 2, False),
    ("biochemistry", "Biochemistry & Molecular Biology", DepartmentClass.BASIC_SCIENCE,
     3.5, 3, False),
    ("cell-biology-physiology", "Cell Biology & Physiology", DepartmentClass.BASIC_SCIENCE,
     3, 3, False),
    ("microbiology-immunology", "Microbiology & Immunology", DepartmentClass.BASIC_SCIENCE,
     3.5, 3, False),
    ("pathology", "Pathology", DepartmentClass.BASIC_SCIENCE, 5, 5, True),
    ("pharmacology", "Pharmacology", DepartmentClass.BASIC_SCIENCE, 2.5, 2, False),
    ("internal-medicine", "Internal Medicine", DepartmentClass.CLINICAL_SCIENCE, 20, 12, True),
    ("pediatrics", "Pediatrics", DepartmentClass.CLINICAL_SCIENCE, 10, 7, True),
    ("surgery", "Surgery", DepartmentClass.CLINICAL_SCIENCE, 8, 5, True),
    ("family-community-medicine", "Family & Community Medicine",
     DepartmentClass.CLINICAL_SCIENCE, 7, 6, True),
    ("psychiatry", "Psychiatry & Behavioral Sciences", DepartmentClass.CLINICAL_SCIENCE,
     6, 5, True),
    ("emergency-medicine", "Emergency Medicine", DepartmentClass.CLINICAL_SCIENCE, 5, 3, True),
    ("obstetrics-gynecology", "Obstetrics & Gynecology", DepartmentClass.CLINICAL_SCIENCE,
     4, 3, True),
    ("neurology", "Neurology", DepartmentClass.CLINICAL_SCIENCE, 4, 3, True),
    ("radiology", "Radiology", DepartmentClass.CLINICAL_SCIENCE, 4, 3, True),
    ("anesthesiology", "Anesthesiology", DepartmentClass.CLINICAL_SCIENCE, 6, 3, True),
    ("orthopaedics", "Orthopaedics & Rehabilitation", DepartmentClass.CLINICAL_SCIENCE,
     3, 2, True),
    ("office-of-the-dean", "Office of the Dean", DepartmentClass.ADMINISTRATION, 0.6, 14, False),
    ("office-dei", "Office for Diversity, Equity & Inclusion (fictional)",
     DepartmentClass.ADMINISTRATION, 0.4, 3, False),
    ("office-gme", "Office of Graduate Medical Education", DepartmentClass.ADMINISTRATION,
     0.2, 3, False),
    ("office-student-affairs", "Office of Student Affairs & Admissions",
     DepartmentClass.ADMINISTRATION, 0.5, 6, False),
)  # fmt: skip


@dataclass(frozen=True)
class GmeProgram:
    code: str
    name: str
    specialty: str
    department: str
    years: int
    positions: int
    first_pgy: int = 1
    fellowship: bool = False


GME_PROGRAMS: tuple[GmeProgram, ...] = (
    GmeProgram("gme-internal-medicine", "Internal Medicine Residency", "Internal Medicine",
               "internal-medicine", 3, 24),
    GmeProgram("gme-pediatrics", "Pediatrics Residency", "Pediatrics", "pediatrics", 3, 14),
    GmeProgram("gme-family-medicine", "Family Medicine Residency", "Family Medicine",
               "family-community-medicine", 3, 12),
    GmeProgram("gme-general-surgery", "General Surgery Residency", "General Surgery", "surgery",
               5, 7),
    GmeProgram("gme-psychiatry", "Psychiatry Residency", "Psychiatry", "psychiatry", 4, 10),
    GmeProgram("gme-emergency-medicine", "Emergency Medicine Residency", "Emergency Medicine",
               "emergency-medicine", 3, 12),
    GmeProgram("gme-obstetrics-gynecology", "Obstetrics & Gynecology Residency",
               "Obstetrics & Gynecology", "obstetrics-gynecology", 4, 8),
    GmeProgram("gme-neurology", "Neurology Residency", "Neurology", "neurology", 4, 6),
    GmeProgram("gme-radiology", "Diagnostic Radiology Residency", "Radiology", "radiology",
               4, 6, first_pgy=2),
    GmeProgram("gme-anesthesiology", "Anesthesiology Residency", "Anesthesiology",
               "anesthesiology", 4, 10),
    GmeProgram("gme-orthopaedics", "Orthopaedic Surgery Residency", "Orthopaedic Surgery",
               "orthopaedics", 5, 4),
    GmeProgram("gme-pathology", "Pathology Residency", "Pathology", "pathology", 4, 4),
    GmeProgram("gme-cardiology", "Cardiovascular Disease Fellowship",
               "Cardiovascular Disease", "internal-medicine", 3, 4, first_pgy=4,
               fellowship=True),
    GmeProgram("gme-pulmonary-critical-care", "Pulmonary & Critical Care Medicine Fellowship",
               "Pulmonary & Critical Care Medicine", "internal-medicine", 3, 3, first_pgy=4,
               fellowship=True),
    GmeProgram("gme-gastroenterology", "Gastroenterology Fellowship", "Gastroenterology",
               "internal-medicine", 3, 3, first_pgy=4, fellowship=True),
)  # fmt: skip

MD_CODE = "md"
MDPHD_CODE = "md-phd"
PROGRAM_LABELS = {MD_CODE: "MD", MDPHD_CODE: "MD/PhD"}

#: Senior administrative roles held by faculty: title, unit code.
DEAN_ROLES: tuple[tuple[str, str], ...] = (
    ("Dean, School of Medicine", DEMO_SCHOOL_CODE),
    ("Senior Associate Dean for Education", "office-of-the-dean"),
    ("Associate Dean for Admissions", "office-student-affairs"),
    ("Associate Dean for Student Affairs", "office-student-affairs"),
    ("Associate Dean for Graduate Medical Education (DIO)", "office-gme"),
    ("Associate Dean for Faculty Affairs & Career Development", "office-of-the-dean"),
    ("Associate Dean for Research", "office-of-the-dean"),
    ("Associate Dean for Diversity, Equity & Inclusion", "office-dei"),
    ("Associate Dean for Clinical Affairs", "office-of-the-dean"),
    ("Associate Dean for Community Engagement", "office-dei"),
)
#: Senior administrative roles held by staff: title, unit code.
DIRECTOR_ROLES: tuple[tuple[str, str], ...] = (
    ("Director of Admissions", "office-student-affairs"),
    ("Director of Financial Aid", "office-student-affairs"),
    ("School Registrar", "office-student-affairs"),
    ("Executive Director, Office for Diversity, Equity & Inclusion", "office-dei"),
    ("Director of Community Engagement", "office-dei"),
    ("Director of Pathway Programs", "office-dei"),
    ("Chief Financial Officer", "office-of-the-dean"),
    ("Director of Communications & Marketing", "office-of-the-dean"),
    ("Director of Information Technology", "office-of-the-dean"),
    ("Director of Human Resources", "office-of-the-dean"),
    ("Director of the Simulation Center", "office-of-the-dean"),
    ("Director of GME Administration", "office-gme"),
)
VICE_CHAIR_DEPARTMENTS = (
    "internal-medicine",
    "pediatrics",
    "surgery",
    "family-community-medicine",
    "psychiatry",
)

STAFF_TITLES_ADMIN = (
    "Administrative Assistant II", "Administrative Assistant III", "Program Coordinator",
    "Program Manager", "Financial Analyst", "Accountant", "Data Analyst",
    "Communications Specialist", "IT Support Analyst", "Systems Administrator",
    "Admissions Counselor", "Financial Aid Counselor", "Academic Advisor",
    "Education Coordinator", "Human Resources Generalist", "Event Coordinator",
)  # fmt: skip
STAFF_TITLES_DEPT = (
    "Administrative Assistant II", "Administrative Assistant III", "Department Administrator",
    "Program Coordinator", "Residency Program Coordinator", "Grants Administrator",
    "Research Technician", "Research Scientist I", "Laboratory Manager",
    "Clinical Research Coordinator", "Research Assistant", "Fiscal Services Technician",
    "Education Coordinator", "Medical Assistant", "Patient Navigator",
)  # fmt: skip

# ---------------------------------------------------------------------------------------
# Answers as people write them (raw_value) for each code.

SEX_RAW = {"female": "Female", "male": "Male", "intersex": "Intersex"}
GENDER_RAW = {
    "woman": "Woman",
    "man": "Man",
    "nonbinary": "Non-binary",
    "transgender_woman": "Transgender woman",
    "transgender_man": "Transgender man",
    "another": "Another gender identity",
}
ORIENTATION_RAW = {
    "heterosexual": "Heterosexual or straight",
    "gay_or_lesbian": "Gay or lesbian",
    "bisexual": "Bisexual",
    "queer": "Queer",
    "another": "Another sexual orientation",
}
RACE_RAW = {
    "aian": "American Indian or Alaska Native",
    "asian": "Asian",
    "black": "Black or African American",
    "nhpi": "Native Hawaiian or Other Pacific Islander",
    "white": "White",
}
RACE_2024_RAW = {
    "aian": "American Indian or Alaska Native",
    "asian": "Asian",
    "black": "Black or African American",
    "hispanic": "Hispanic or Latino",
    "mena": "Middle Eastern or North African",
    "nhpi": "Native Hawaiian or Pacific Islander",
    "white": "White",
}
PARENTAL_RAW = {
    "less_than_high_school": "Less than high school",
    "high_school": "High school diploma or GED",
    "some_college": "Some college, no degree",
    "associate": "Associate degree",
    "bachelor": "Bachelor's degree",
    "master": "Master's degree",
    "doctorate": "Doctoral degree (PhD, EdD)",
    "professional": "Professional degree (MD, JD, DDS)",
}
CITIZENSHIP_RAW = {
    "us_citizen": "U.S. citizen",
    "permanent_resident": "U.S. permanent resident",
    "nonresident": "Temporary visa holder",
}
DETAILED: dict[str, tuple[tuple[str, float], ...]] = {
    "hispanic": (
        ("Mexican", 45), ("Hispano / Nuevomexicano", 25), ("Spanish", 10),
        ("Puerto Rican", 5), ("Cuban", 3), ("Salvadoran", 4), ("Guatemalan", 4),
        ("Colombian", 4),
    ),
    "aian": (
        ("Navajo", 55), ("Pueblo of Zuni", 8), ("Pueblo of Laguna", 7), ("Pueblo of Acoma", 5),
        ("Santo Domingo Pueblo (Kewa)", 5), ("Jicarilla Apache", 5), ("Mescalero Apache", 5),
        ("Cherokee", 5), ("Muscogee (Creek)", 5),
    ),
    "asian": (
        ("Vietnamese", 25), ("Chinese", 20), ("Asian Indian", 20), ("Filipino", 12),
        ("Korean", 12), ("Japanese", 6), ("Pakistani", 5),
    ),
    "black": (
        ("African American", 70), ("Nigerian", 10), ("Ethiopian", 8), ("Jamaican", 6),
        ("Ghanaian", 6),
    ),
    "mena": (
        ("Lebanese", 30), ("Egyptian", 20), ("Iranian", 25), ("Syrian", 15),
        ("Palestinian", 10),
    ),
    "nhpi": (("Native Hawaiian", 50), ("Samoan", 25), ("Tongan", 15), ("Chamorro", 10)),
}  # fmt: skip

DECLINED = "declined"


def npi_check_digit(base9: str) -> str:
    """The Luhn check digit of a 9-digit NPI base, computed with the 80840 prefix."""
    digits = [int(c) for c in "80840" + base9]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:  # every second digit from the right, starting with the rightmost
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def npi_is_valid(npi: str) -> bool:
    return len(npi) == 10 and npi.isdigit() and npi_check_digit(npi[:9]) == npi[9]


def ascii_fold(text: str) -> str:
    """``"Peña-Núñez"`` -> ``"pena-nunez"``: for e-mail addresses."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return folded.lower()


# ---------------------------------------------------------------------------------------
# The in-memory population.


@dataclass
class Latent:
    """Who a person is, drawn once; each source reports some of it."""

    sex: str
    gender: str
    orientation: str
    group: str
    hispanic: bool
    races_1997: list[str]
    combined_2024: list[str]
    detailed: list[str]
    heritage: dict[str, str]
    first_generation: bool
    parental_education: str
    pell: bool
    fee_assistance: bool
    ses: str
    county: str
    county_name: str
    state: str
    citizenship: str
    disability: bool
    veteran: bool

    @property
    def urim(self) -> bool:
        """Underrepresented in medicine in this (fictional) state's own definition."""
        return self.hispanic or any(r in {"aian", "black", "nhpi"} for r in self.races_1997)


@dataclass(slots=True)
class DemoAnswer:
    """One self-identification answer; the answers of one person, source and date become
    one ``SelfIdentification`` response when written (``models.Answer`` is its read side)."""

    dimension: str
    raw_value: str
    codes: list[str]
    declined: bool
    source: str
    reported_on: dt.date


@dataclass(slots=True)
class DemoStage:
    """One stage (a ``Stage`` row to be); ``unit`` is the organisational unit's code."""

    kind: str
    key: str
    start_date: dt.date
    unit: str
    end_date: dt.date | None = None
    academic_year: int | None = None
    program: str = ""
    round: str = ""
    outcome: str = ""
    rank: str = ""
    track: str = ""
    tenure: str = ""
    fte: Decimal | None = None
    title: str = ""
    senior_administrative: bool = False
    pgy: int | None = None
    reason: str = ""
    gpa: Decimal | None = None
    mcat: int | None = None


@dataclass
class DemoPerson:
    """A person in memory, with identifiers (system, value), answers and stages."""

    given_name: str
    middle_name: str
    family_name: str
    birth_date: dt.date
    latent: Latent
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    answers: list[DemoAnswer] = field(default_factory=list)
    stages: list[DemoStage] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)

    def identifier(self, system: str) -> str:
        for sys_, value in self.identifiers:
            if sys_ == system:
                return value
        return ""

    def identifiers_of(self, system: str) -> list[str]:
        return [value for sys_, value in self.identifiers if sys_ == system]

    def stages_of(self, kind: str) -> list[DemoStage]:
        return [s for s in self.stages if s.kind == kind]


@dataclass
class FacultyCareer:
    dp: DemoPerson
    department: str
    hire: dt.date
    first_rank: str
    track: str
    fte: Decimal
    clinical: bool
    promotions: list[tuple[dt.date, str]] = field(default_factory=list)
    separation: dt.date | None = None
    reason: str = ""
    busy_until: dt.date = dt.date.min  # end of the current leadership role

    def rank_on(self, day: dt.date) -> str:
        rank = self.first_rank
        for when, new in self.promotions:
            if when <= day:
                rank = new
        return rank

    def active_on(self, day: dt.date) -> bool:
        return self.hire <= day and (self.separation is None or self.separation > day)


@dataclass
class DemoWorld:
    seed: int
    scale: str
    units: dict[str, OrgUnit]
    people: list[DemoPerson]
    faculty: list[FacultyCareer]
    #: Every identifier value in use, by system (so files can add people without clashes).
    used: dict[str, set[str]]


@dataclass
class _Scale:
    applicants: int
    offers: int
    faculty_stock: int
    faculty_hires: int
    staff_stock: int
    staff_hires: int
    gme_factor: float


_SCALES = {
    "full": _Scale(2500, 260, 850, 78, 830, 108, 1.0),
    "small": _Scale(150, 16, 60, 6, 45, 6, 0.15),
}

# Population profiles: weights of a person's primary group, female share, and more.
_GROUPS = ("hispanic", "white", "aian", "asian", "black", "mena", "nhpi", "multi")


@dataclass(frozen=True)
class _Profile:
    groups: tuple[float, ...]  # in the order of _GROUPS
    female: float
    first_gen: float
    veteran: float
    disability: float
    lgb: float  # share not heterosexual
    nonresident: float


PROFILES: dict[str, _Profile] = {
    # groups (hispanic white aian asian black mena nhpi multi), female, first-gen, veteran,
    # disability, not heterosexual, visa holder
    "nm_applicant": _Profile((40, 33, 9, 9, 3, 1, 0.5, 4.5), 0.57, 0.26, 0.015, 0.07, 0.11, 0.0),
    "oos_applicant": _Profile((14, 38, 1.5, 26, 10, 3, 0.5, 5), .55, 0.16, 0.015, 0.06, 0.11, 0.02),
    "resident": _Profile((13, 44, 1, 27, 7, 3, 0.5, 4.5), 0.50, 0.14, 0.02, 0.04, 0.08, 0.07),
    "faculty": _Profile((13, 58, 2, 17, 3, 2, 0.3, 3), 0.44, 0.10, 0.03, 0.04, 0.05, 0.03),
    "staff": _Profile((52, 32, 7, 3, 3, 0.5, 0.5, 3), 0.68, 0.35, 0.06, 0.06, 0.05, 0.0),
}  # fmt: skip


class DemoGenerator:
    """Draws the whole population from one seeded generator, in a fixed order."""

    def __init__(self, seed: int, scale: str) -> None:
        if scale not in _SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
        self.rng = random.Random(seed)  # noqa: S311 - deterministic fiction, not security
        self.seed = seed
        self.scale_name = scale
        self.scale = _SCALES[scale]
        self.people: list[DemoPerson] = []
        self.units: dict[str, OrgUnit] = {}
        self.faculty: list[FacultyCareer] = []
        self.used: dict[str, set[str]] = {system: set() for system in IdSystem.values}
        self.keys: dict[int, set[str]] = {}
        self.graduates_by_year: dict[int, list[DemoPerson]] = {}
        self.completers: list[tuple[DemoPerson, GmeProgram, dt.date]] = []
        self._nm_weights = [w for _, _, w in NM_COUNTIES]
        self._oos_weights = [w for *_, w in OTHER_COUNTIES]

    # --- small helpers -------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Sequence[T], weights: Sequence[float] | None = None) -> T:
        if weights is None:
            return items[self.rng.randrange(len(items))]
        return self.rng.choices(items, weights=weights)[0]

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def unique_number(self, system: str, low: int, high: int, fmt: str = "{}") -> str:
        used = self.used[system]
        while True:
            value = fmt.format(self.rng.randint(low, high))
            if value not in used:
                used.add(value)
                return value

    def add_identifier(self, dp: DemoPerson, system: str, value: str) -> None:
        self.used[system].add(value)
        dp.identifiers.append((system, value))

    def new_email(self, dp: DemoPerson, *, domain: str, style: str = "school") -> str:
        """A unique address: ``mgarcia3@`` at school, ``maria.garcia47@`` for personal mail."""
        given = "".join(c for c in ascii_fold(dp.given_name) if c.isalnum())
        family = "".join(c for c in ascii_fold(dp.family_name) if c.isalnum())
        base = f"{given[:1]}{family}"[:20] if style == "school" else f"{given}.{family}"[:24]
        used = self.used[IdSystem.EMAIL]
        candidate = f"{base}@{domain}"
        n = 1
        while candidate in used:
            n += 1
            suffix = str(n) if style == "school" else str(self.rng.randint(1, 99))
            candidate = f"{base}{suffix}@{domain}"
        used.add(candidate)
        return candidate

    def add_school_email(self, dp: DemoPerson) -> str:
        existing = [e for e in dp.identifiers_of(IdSystem.EMAIL) if SCHOOL_EMAIL_DOMAIN in e]
        if existing:
            return existing[0]
        email = self.new_email(dp, domain=SCHOOL_EMAIL_DOMAIN)
        self.add_identifier(dp, IdSystem.EMAIL, email)
        return email

    def add_employee_id(self, dp: DemoPerson) -> str:
        existing = dp.identifier(IdSystem.EMPLOYEE_ID)
        if existing:
            return existing
        value = self.unique_number(IdSystem.EMPLOYEE_ID, 100000, 989999)
        self.add_identifier(dp, IdSystem.EMPLOYEE_ID, value)
        return value

    def add_npi(self, dp: DemoPerson) -> None:
        if dp.identifier(IdSystem.NPI):
            return
        while True:
            base = str(self.rng.choice("12")) + f"{self.rng.randrange(10**8):08d}"
            npi = base + npi_check_digit(base)
            if npi not in self.used[IdSystem.NPI]:
                self.add_identifier(dp, IdSystem.NPI, npi)
                return

    def add_stage(
        self,
        dp: DemoPerson,
        kind: str,
        unit: OrgUnit,
        start: dt.date,
        *,
        academic_year: int | None = None,
        **values: Any,
    ) -> DemoStage:
        if kind in {
            StageKind.APPLICATION,
            StageKind.INTERVIEW,
            StageKind.OFFER,
            StageKind.MATRICULATION,
        }:
            key = stage_key(kind, unit=unit.code, academic_year=academic_year)
        else:
            key = stage_key(kind, unit=unit.code, start_date=start)
        seen = self.keys.setdefault(id(dp), set())
        if key in seen:
            raise AssertionError(f"demo generated the stage {key} twice for one person")
        seen.add(key)
        stage = DemoStage(
            kind=kind,
            key=key,
            start_date=start,
            unit=unit.code,
            academic_year=academic_year,
            **values,
        )
        dp.stages.append(stage)
        return stage

    # --- people --------------------------------------------------------------------------
    def latent(self, profile_name: str, *, state: str | None = None) -> Latent:
        rng = self.rng
        prof = PROFILES[profile_name]
        group = self.pick(_GROUPS, prof.groups)
        sex = (
            "intersex" if self.chance(0.002) else ("female" if self.chance(prof.female) else "male")
        )
        gender = {"female": "woman", "male": "man"}.get(sex, "another")
        roll = rng.random()
        if roll < 0.014:
            gender = "nonbinary"
        elif roll < 0.019:
            gender = "transgender_woman" if sex == "male" else "transgender_man"
        elif roll < 0.022:
            gender = "another"
        orientation = "heterosexual"
        if self.chance(prof.lgb):
            orientation = self.pick(
                ("gay_or_lesbian", "bisexual", "queer", "another"), (35, 45, 12, 8)
            )
        hispanic = group == "hispanic"
        races: list[str]
        combined: list[str]
        if group == "hispanic":
            races = self.pick(
                (["white"], ["aian"], ["black"], ["white", "aian"], []), (45, 5, 2, 3, 45)
            )
            combined = self.pick(
                (["hispanic"], ["hispanic", "white"], ["hispanic", "aian"],
                 ["hispanic", "black"], ["hispanic", "white", "aian"]),
                (60, 30, 5, 2, 3),
            )  # fmt: skip
        elif group == "mena":
            races = ["white"]
            combined = ["mena"] if self.chance(0.85) else ["mena", "white"]
        elif group == "multi":
            races = self.pick(
                (["white", "aian"], ["white", "black"], ["white", "asian"], ["black", "aian"],
                 ["asian", "nhpi"], ["white", "nhpi"], ["black", "asian"]),
                (30, 25, 25, 5, 5, 5, 5),
            )  # fmt: skip
            combined = list(races)
        else:
            races = [group]
            combined = [group]
        # Heritage within each group (drawn always: names follow it); reported sometimes.
        heritage: dict[str, str] = {}
        for g in dict.fromkeys([("hispanic" if hispanic else ""), *combined]):
            if g in DETAILED:
                labels, weights = zip(*DETAILED[g], strict=True)
                heritage[g] = self.pick(labels, weights)
        detailed = [label for label in heritage.values() if self.chance(0.6)]
        first_gen = self.chance(prof.first_gen * (1.6 if group in {"hispanic", "aian"} else 1))
        if first_gen:
            parental = self.pick(
                ("less_than_high_school", "high_school", "some_college", "associate"),
                (15, 40, 30, 15),
            )
        else:
            parental = self.pick(
                ("bachelor", "master", "doctorate", "professional"), (40, 32, 13, 15)
            )
        ses_base = {
            "less_than_high_school": 1, "high_school": 1, "some_college": 2, "associate": 2,
            "bachelor": 3, "master": 4, "doctorate": 5, "professional": 5,
        }[parental]  # fmt: skip
        ses = f"eo{min(5, max(1, ses_base + self.pick((-1, 0, 0, 0, 1))))}"
        pell = self.chance(0.62 if first_gen else 0.17)
        fee = self.chance(0.35 if first_gen else 0.07)
        if state is None:
            state = "NM"
        if state == "NM":
            if "aian" in combined and self.chance(0.85):
                fips = self.pick(list(NM_AIAN_COUNTIES), list(NM_AIAN_COUNTIES.values()))
                county_name = next(n for f, n, _ in NM_COUNTIES if f == fips)
            else:
                fips, county_name, _w = self.pick(NM_COUNTIES, self._nm_weights)
            county_name = f"{county_name} County"
        else:
            fips, county_name, state, _w = self.pick(OTHER_COUNTIES, self._oos_weights)
        citizenship = "us_citizen"
        roll = rng.random()
        if roll < prof.nonresident:
            citizenship = "nonresident"
        elif roll < prof.nonresident + (0.06 if group in {"asian", "hispanic"} else 0.02):
            citizenship = "permanent_resident"
        return Latent(
            sex=sex,
            gender=gender,
            orientation=orientation,
            group=group,
            hispanic=hispanic,
            races_1997=races,
            combined_2024=combined,
            detailed=detailed,
            heritage=heritage,
            first_generation=first_gen,
            parental_education=parental,
            pell=pell,
            fee_assistance=fee,
            ses=ses,
            county=fips,
            county_name=county_name,
            state=state,
            citizenship=citizenship,
            disability=self.chance(prof.disability),
            veteran=self.chance(prof.veteran),
        )

    def name_for(self, lat: Latent) -> tuple[str, str, str]:
        group = lat.group
        if group == "multi":
            group = self.pick(lat.races_1997)
        if group == "asian":
            group = lat.heritage.get("asian", "Chinese")
        female_names, male_names, families = _NAMES[group]
        feminine = lat.sex == "female" or (lat.sex == "intersex" and self.chance(0.5))
        if lat.gender == "transgender_woman":
            feminine = True
        elif lat.gender == "transgender_man":
            feminine = False
        given = self.pick(female_names if feminine else male_names)
        family = self.pick(families)
        if group == "hispanic" and self.chance(0.15):
            second = self.pick(families)
            if second != family and " " not in family:
                family = f"{family}-{second}" if self.chance(0.6) else f"{family} {second}"
        elif lat.group == "multi" and self.chance(0.3):
            other = self.pick([r for r in lat.races_1997 if r in _NAMES] or ["white"])
            second = self.pick(_NAMES[other][2])
            if second != family:
                family = f"{family}-{second}"
        middle = ""
        roll = self.rng.random()
        if roll < 0.25:
            middle = self.pick(female_names if feminine else male_names)
        elif roll < 0.45:
            middle = self.pick(_MIDDLE_INITIALS)
        return given, middle, family

    def new_person(
        self,
        profile: str,
        *,
        born_between: tuple[dt.date, dt.date],
        state: str | None = None,
    ) -> DemoPerson:
        lat = self.latent(profile, state=state)
        given, middle, family = self.name_for(lat)
        dp = DemoPerson(given, middle, family, self.day_between(*born_between), lat)
        self.people.append(dp)
        return dp

    # --- self-identification ------------------------------------------------------------
    def answer(
        self,
        dp: DemoPerson,
        dimension: str,
        codes: list[str],
        raw: str,
        *,
        source: str,
        on: dt.date,
        decline: float,
        skip: float = 0.0,
        declined_text: str = "I do not wish to answer",
    ) -> None:
        roll = self.rng.random()
        if roll < skip:
            return
        if roll < skip + decline:
            codes, raw, declined = [DECLINED], declined_text, True
        else:
            declined = False
        dp.answers.append(DemoAnswer(dimension, raw, codes, declined, source, on))

    def report(
        self,
        dp: DemoPerson,
        *,
        source: str,
        on: dt.date,
        dims: Iterable[str],
        declined_text: str,
        decline_scale: float = 1.0,
    ) -> None:
        """Write what ``source`` asked on ``on``, with realistic declines and blanks."""
        lat = dp.latent
        d = decline_scale

        def ask(dim: str, codes: list[str], raw: str, decline: float, skip: float = 0.0) -> None:
            self.answer(
                dp,
                dim,
                codes,
                raw,
                source=source,
                on=on,
                decline=decline * d,
                skip=skip,
                declined_text=declined_text,
            )

        yes_no = {True: "Yes", False: "No"}
        for dim in dims:
            if dim == Dimension.SEX:
                ask(dim, [lat.sex], SEX_RAW[lat.sex], 0.015)
            elif dim == Dimension.GENDER_IDENTITY:
                ask(dim, [lat.gender], GENDER_RAW[lat.gender], 0.04, skip=0.08)
            elif dim == Dimension.SEXUAL_ORIENTATION:
                ask(dim, [lat.orientation], ORIENTATION_RAW[lat.orientation], 0.07, skip=0.2)
            elif dim == "race_questions":
                if on >= COMBINED_QUESTION_FROM:
                    ask(
                        Dimension.RACE_ETHNICITY_2024,
                        list(lat.combined_2024),
                        "; ".join(RACE_2024_RAW[c] for c in lat.combined_2024),
                        0.04,
                        skip=0.01,
                    )
                else:
                    ask(
                        Dimension.HISPANIC,
                        ["yes" if lat.hispanic else "no"],
                        "Hispanic or Latino" if lat.hispanic else "Not Hispanic or Latino",
                        0.03,
                        skip=0.01,
                    )
                    if lat.races_1997:
                        ask(
                            Dimension.RACE,
                            list(lat.races_1997),
                            "; ".join(RACE_RAW[c] for c in lat.races_1997),
                            0.04,
                            skip=0.02,
                        )
            elif dim == Dimension.DETAILED_GROUPS:
                if lat.detailed:
                    ask(
                        dim,
                        [_snake(g) for g in lat.detailed],
                        "; ".join(lat.detailed),
                        0.0,
                        skip=0.3,
                    )
            elif dim == Dimension.FIRST_GENERATION:
                ask(
                    dim,
                    ["yes" if lat.first_generation else "no"],
                    yes_no[lat.first_generation],
                    0.02,
                )
            elif dim == Dimension.PARENTAL_EDUCATION:
                ask(
                    dim,
                    [lat.parental_education],
                    PARENTAL_RAW[lat.parental_education],
                    0.03,
                    skip=0.02,
                )
            elif dim == Dimension.PELL:
                ask(dim, ["yes" if lat.pell else "no"], yes_no[lat.pell], 0.05, skip=0.1)
            elif dim == Dimension.FEE_ASSISTANCE:
                ask(
                    dim,
                    ["yes" if lat.fee_assistance else "no"],
                    "Approved" if lat.fee_assistance else "Not approved / did not apply",
                    0.0,
                )
            elif dim == Dimension.SES_GROUP:
                ask(dim, [lat.ses], f"EO-{lat.ses[-1]}", 0.03, skip=0.04)
            elif dim == Dimension.COUNTY_FIPS:
                ask(dim, [lat.county], f"{lat.county_name}, {lat.state}", 0.02, skip=0.03)
            elif dim == Dimension.STATE:
                ask(dim, [lat.state], STATE_NAMES.get(lat.state, lat.state), 0.01)
            elif dim == Dimension.CITIZENSHIP:
                ask(dim, [lat.citizenship], CITIZENSHIP_RAW[lat.citizenship], 0.02)
            elif dim == Dimension.DISABILITY:
                raw = (
                    "Yes, I have a disability (or previously had a disability)"
                    if lat.disability
                    else "No, I do not have a disability"
                )
                ask(dim, ["yes" if lat.disability else "no"], raw, 0.07, skip=0.04)
            elif dim == Dimension.VETERAN:
                raw = (
                    "I identify as one or more of the classifications of protected veteran"
                    if lat.veteran
                    else "I am not a protected veteran"
                )
                ask(dim, ["yes" if lat.veteran else "no"], raw, 0.03, skip=0.03)
            else:  # pragma: no cover - a programming error
                raise ValueError(dim)


def _snake(label: str) -> str:
    out = "".join(c if c.isalnum() else "_" for c in ascii_fold(label))
    return "_".join(part for part in out.split("_") if part)


AMCAS_DIMS_OLD = (
    Dimension.SEX, "race_questions", Dimension.DETAILED_GROUPS, Dimension.FIRST_GENERATION,
    Dimension.PARENTAL_EDUCATION, Dimension.PELL, Dimension.FEE_ASSISTANCE, Dimension.SES_GROUP,
    Dimension.COUNTY_FIPS, Dimension.STATE, Dimension.CITIZENSHIP, Dimension.VETERAN,
)  # fmt: skip
#: From the 2021 cycle the (fictional) application also asks gender identity and orientation.
AMCAS_DIMS = (*AMCAS_DIMS_OLD, Dimension.GENDER_IDENTITY, Dimension.SEXUAL_ORIENTATION)
REGISTRAR_DIMS = (Dimension.SEX, "race_questions", Dimension.CITIZENSHIP, Dimension.STATE)
ERAS_DIMS = (
    Dimension.SEX, Dimension.GENDER_IDENTITY, "race_questions", Dimension.CITIZENSHIP,
    Dimension.STATE, Dimension.VETERAN,
)  # fmt: skip
HR_DIMS = (Dimension.SEX, "race_questions", Dimension.VETERAN, Dimension.DISABILITY)
HR_SURVEY_DIMS = (
    Dimension.SEX, Dimension.GENDER_IDENTITY, Dimension.SEXUAL_ORIENTATION, "race_questions",
    Dimension.DETAILED_GROUPS, Dimension.DISABILITY, Dimension.VETERAN,
)  # fmt: skip

_AGE_AT_HIRE: dict[str, float] = {
    Rank.INSTRUCTOR: 31.0,
    Rank.ASSISTANT_PROFESSOR: 34.5,
    Rank.ASSOCIATE_PROFESSOR: 42.0,
    Rank.PROFESSOR: 49.0,
}
_LADDER = (
    Rank.INSTRUCTOR,
    Rank.ASSISTANT_PROFESSOR,
    Rank.ASSOCIATE_PROFESSOR,
    Rank.PROFESSOR,
)


# ---------------------------------------------------------------------------------------
# Building the world.


def _build_units(g: DemoGenerator) -> None:
    school = OrgUnit(name=DEMO_SCHOOL_NAME, code=DEMO_SCHOOL_CODE, kind=OrgUnitKind.SCHOOL)
    g.units[school.code] = school
    for code, name, cls, *_ in DEPARTMENTS:
        g.units[code] = OrgUnit(
            name=name, code=code, kind=OrgUnitKind.DEPARTMENT, parent=school, classification=cls
        )
    g.units[MD_CODE] = OrgUnit(
        name="MD", code=MD_CODE, kind=OrgUnitKind.DEGREE_PROGRAM, parent=school
    )
    g.units[MDPHD_CODE] = OrgUnit(
        name="MD/PhD", code=MDPHD_CODE, kind=OrgUnitKind.DEGREE_PROGRAM, parent=school
    )
    for prog in GME_PROGRAMS:
        g.units[prog.code] = OrgUnit(
            name=prog.name,
            code=prog.code,
            kind=OrgUnitKind.GME_PROGRAM,
            parent=g.units[prog.department],
            specialty=prog.specialty,
        )


@dataclass(frozen=True)
class _Application:
    program: str
    early: bool
    applied: dt.date


def _build_admissions(g: DemoGenerator) -> None:
    rng = g.rng
    sc = g.scale
    md, mdphd = g.units[MD_CODE], g.units[MDPHD_CODE]
    # Earlier applicants who were not admitted and may try again.
    retry_pool: list[tuple[DemoPerson, int]] = []
    for cycle in range(FIRST_CYCLE, LAST_CYCLE + 1):
        n = round(sc.applicants * rng.uniform(0.93, 1.07))
        returning: list[DemoPerson] = []
        eligible = [dp for dp, tries in retry_pool if tries < 3]
        if eligible:
            returning = rng.sample(eligible, min(len(eligible), round(n * 0.09)))
        applicants: list[tuple[DemoPerson, bool]] = [(dp, True) for dp in returning]
        for _ in range(n - len(returning)):
            nm = g.chance(0.45)
            dp = g.new_person(
                "nm_applicant" if nm else "oos_applicant",
                born_between=(dt.date(cycle - 31, 1, 1), dt.date(cycle - 22, 6, 30)),
                state="NM" if nm else "XX",
            )
            g.add_identifier(
                dp, IdSystem.AAMC_ID, g.unique_number(IdSystem.AAMC_ID, 12000000, 18999999)
            )
            email = g.new_email(
                dp, domain=g.pick(("example.com", "example.org", "example.net")), style="personal"
            )
            g.add_identifier(dp, IdSystem.EMAIL, email)
            applicants.append((dp, False))

        scored: list[tuple[float, DemoPerson, _Application]] = []
        for dp, _returning in applicants:
            nm = dp.latent.state == "NM"
            program = MDPHD_CODE if g.chance(0.04) else MD_CODE
            early = program == MD_CODE and g.chance(0.06 if nm else 0.01)
            gpa = min(4.0, max(2.4, rng.gauss(3.56 if nm else 3.64, 0.26)))
            mcat = round(min(528, max(472, rng.gauss(503 if nm else 507.5, 7.5))))
            if program == MDPHD_CODE:
                gpa = min(4.0, gpa + 0.08)
                mcat = min(528, mcat + 4)
            applied = g.day_between(dt.date(cycle - 1, 6, 1), dt.date(cycle - 1, 11, 1))
            if early:
                applied = g.day_between(dt.date(cycle - 1, 6, 1), dt.date(cycle - 1, 8, 1))
            score = (
                (gpa - 3.6) / 0.25
                + (mcat - 505) / 7.5
                + (2.6 if nm else 0.0)
                + (1.0 if early else 0.0)
                + rng.gauss(0, 1.1)
            )
            info = _Application(program, early, applied)
            scored.append((score, dp, info))
            unit = mdphd if program == MDPHD_CODE else md
            g.add_stage(
                dp,
                StageKind.APPLICATION,
                unit,
                applied,
                academic_year=cycle,
                program=PROGRAM_LABELS[program],
                round="early_decision" if early else "regular",
                gpa=Decimal(f"{gpa:.2f}"),
                mcat=mcat,
            )
            dims = AMCAS_DIMS if cycle >= 2021 else AMCAS_DIMS_OLD
            g.report(
                dp, source=AMCAS, on=applied, dims=dims, declined_text="I do not wish to respond"
            )

        scored.sort(key=lambda t: -t[0])
        n_interview = round(len(scored) * 0.15)
        interviewed = scored[:n_interview]
        # Offers: the interview adds information of its own.
        ranked = sorted(interviewed, key=lambda t: -(t[0] + rng.gauss(0, 1.0)))
        n_offers = round(sc.offers * len(scored) / sc.applicants)
        offered = {id(dp) for _, dp, _ in ranked[:n_offers]}
        admitted: set[int] = set()
        for _, dp, info in interviewed:
            unit = mdphd if info.program == MDPHD_CODE else md
            label = PROGRAM_LABELS[info.program]
            start = max(info.applied + dt.timedelta(days=35), dt.date(cycle - 1, 8, 15))
            interview_on = g.day_between(start, max(start, dt.date(cycle, 2, 28)))
            if info.early:
                interview_on = g.day_between(start, max(start, dt.date(cycle - 1, 9, 20)))
            g.add_stage(
                dp,
                StageKind.INTERVIEW,
                unit,
                interview_on,
                academic_year=cycle,
                program=label,
            )
            if id(dp) not in offered:
                continue
            if info.early:
                offer_on = dt.date(cycle - 1, 10, 1)
                offer_on = max(offer_on, interview_on + dt.timedelta(days=7))
            else:
                offer_on = g.day_between(
                    max(dt.date(cycle - 1, 10, 15), interview_on + dt.timedelta(days=14)),
                    max(dt.date(cycle, 5, 15), interview_on + dt.timedelta(days=21)),
                )
            nm = dp.latent.state == "NM"
            accepted = info.early or g.chance(0.7 if nm else 0.3)
            g.add_stage(
                dp,
                StageKind.OFFER,
                unit,
                offer_on,
                academic_year=cycle,
                program=label,
                outcome="accepted" if accepted else "declined",
            )
            if accepted:
                admitted.add(id(dp))
                _matriculate(g, dp, cycle, unit, label)
        # Next cycle's returning applicants come from this cycle's unsuccessful ones.
        retry_pool = [
            (dp, len(dp.stages_of(StageKind.APPLICATION)))
            for _, dp, _ in scored
            if id(dp) not in admitted
        ]


def _matriculate(g: DemoGenerator, dp: DemoPerson, cycle: int, unit: OrgUnit, label: str) -> None:
    rng = g.rng
    matric = dt.date(cycle, 8, 1)
    g.add_stage(
        dp,
        StageKind.MATRICULATION,
        unit,
        matric,
        academic_year=cycle,
        program=label,
    )
    g.add_identifier(
        dp, IdSystem.STUDENT_ID, g.unique_number(IdSystem.STUDENT_ID, 100000000, 109999999)
    )
    g.add_school_email(dp)
    g.report(
        dp, source=REGISTRAR, on=matric, dims=REGISTRAR_DIMS, declined_text="Declined to state"
    )
    mdphd = unit.code == MDPHD_CODE
    roll = rng.random()
    if mdphd:
        years = 8 if roll < 0.7 else (7 if roll < 0.85 else 9)
        leave = roll >= 0.93
    else:
        years = 4 if roll < 0.86 else (5 if roll < 0.925 else 6)
        leave = roll >= 0.945
    grad = dt.date(cycle + years, 5, 15)
    if leave:
        dismissed = g.chance(0.3)
        left = g.day_between(matric + dt.timedelta(days=60), matric + dt.timedelta(days=3 * 365))
        if left <= DEMO_TODAY:
            g.add_stage(
                dp,
                StageKind.ENROLLMENT,
                unit,
                matric,
                end_date=left,
                program=label,
                outcome="dismissed" if dismissed else "withdrawn",
            )
            reason = (
                "dismissal"
                if dismissed
                else g.pick(
                    ("personal", "academic", "health", "financial", "transfer"),
                    (35, 30, 15, 10, 10),
                )
            )
            g.add_stage(
                dp,
                StageKind.SEPARATION,
                unit,
                left,
                program=label,
                outcome="dismissed" if dismissed else "withdrawn",
                reason=reason,
            )
            return
    if grad <= DEMO_TODAY:
        g.add_stage(
            dp,
            StageKind.ENROLLMENT,
            unit,
            matric,
            end_date=grad,
            program=label,
            outcome="graduated",
        )
        g.add_stage(
            dp,
            StageKind.GRADUATION,
            unit,
            grad,
            program=label,
        )
        g.graduates_by_year.setdefault(grad.year, []).append(dp)
    else:
        g.add_stage(
            dp,
            StageKind.ENROLLMENT,
            unit,
            matric,
            program=label,
            outcome="leave_of_absence" if g.chance(0.025) else "enrolled",
        )


def _build_gme(g: DemoGenerator) -> None:
    rng = g.rng
    today = DEMO_TODAY
    # Trainees who complete core internal medicine here and may stay for a fellowship.
    im_completers: dict[int, list[DemoPerson]] = {}
    programs = sorted(GME_PROGRAMS, key=lambda p: p.fellowship)  # residencies first
    cohorts: list[tuple[GmeProgram, int, int]] = []
    for prog in programs:
        size = max(1, round(prog.positions * g.scale.gme_factor))
        for start_year in range(FIRST_CYCLE - prog.years + 1, today.year + 1):
            cohorts.append((prog, start_year, size))
    # Fill each year's residency slots, own graduates first (they match locally).
    for year in range(FIRST_CYCLE - 5, today.year + 1):
        year_cohorts = [c for c in cohorts if c[1] == year]
        own: list[DemoPerson] = [dp for dp in g.graduates_by_year.get(year, []) if g.chance(0.19)]
        if g.graduates_by_year.get(year) and not own:
            own = [g.pick(g.graduates_by_year[year])]
        slots: list[GmeProgram] = []
        for prog, _y, size in year_cohorts:
            slots.extend([prog] * size)
        residency_slots = [p for p in slots if not p.fellowship]
        rng.shuffle(residency_slots)
        fellowship_slots = [p for p in slots if p.fellowship]
        placed: list[tuple[DemoPerson | None, GmeProgram]] = []
        for prog in residency_slots:
            if own and prog.first_pgy == 1:  # advanced programs start after a prelim year
                placed.append((own.pop(), prog))
            else:
                placed.append((None, prog))
        local_im = list(im_completers.get(year, []))
        rng.shuffle(local_im)
        for prog in fellowship_slots:
            if local_im and g.chance(0.45):
                placed.append((local_im.pop(), prog))
            else:
                placed.append((None, prog))
        for maybe, prog in placed:
            if maybe is None:
                age = 26 if not prog.fellowship else 29
                dp = g.new_person(
                    "resident",
                    born_between=(dt.date(year - age - 6, 1, 1), dt.date(year - age, 6, 30)),
                    state="NM" if g.chance(0.25) else "XX",
                )
                dp.roles.append("external_trainee")
            else:
                dp = maybe
            if not dp.identifier(IdSystem.NRMP_ID):
                nrmp = g.unique_number(IdSystem.NRMP_ID, 100000, 9999999, "N{:07d}")
                g.add_identifier(dp, IdSystem.NRMP_ID, nrmp)
            eras_on = dt.date(year - 1, 9, 15)
            g.report(
                dp, source=ERAS, on=eras_on, dims=ERAS_DIMS, declined_text="Prefer not to answer"
            )
            g.add_employee_id(dp)
            g.add_school_email(dp)
            _train(g, dp, prog, year, im_completers)


def _train(
    g: DemoGenerator,
    dp: DemoPerson,
    prog: GmeProgram,
    start_year: int,
    im_completers: dict[int, list[DemoPerson]],
) -> None:
    unit = g.units[prog.code]
    title = "fellow" if prog.fellowship else "resident"
    for k in range(prog.years):
        year = start_year + k
        start = dt.date(year, 7, 1)
        if start > DEMO_TODAY:
            return
        end = dt.date(year + 1, 6, 30)
        roll = g.rng.random()
        if roll < 0.022 and k < prog.years - 1:
            left = g.day_between(start + dt.timedelta(days=30), end - dt.timedelta(days=30))
            if left <= DEMO_TODAY:
                outcome, reason = g.pick(
                    (("withdrew", "personal"), ("withdrew", "career_change"),
                     ("transferred", "transfer"), ("dismissed", "dismissal")),
                    (35, 20, 35, 10),
                )  # fmt: skip
                g.add_stage(
                    dp,
                    StageKind.GME_APPOINTMENT,
                    unit,
                    start,
                    academic_year=year,
                    end_date=left,
                    pgy=prog.first_pgy + k,
                    program=prog.name,
                    title=title,
                    outcome=outcome,
                    reason=reason,
                )
                g.add_stage(
                    dp,
                    StageKind.SEPARATION,
                    unit,
                    left,
                    outcome=outcome,
                    reason=reason,
                    title=title,
                )
                return
        outcome = "completed" if end <= DEMO_TODAY else "in_progress"
        g.add_stage(
            dp,
            StageKind.GME_APPOINTMENT,
            unit,
            start,
            academic_year=year,
            end_date=end,
            pgy=prog.first_pgy + k,
            program=prog.name,
            title=title,
            outcome=outcome,
        )
        if k == prog.years - 1 and outcome == "completed":
            g.completers.append((dp, prog, end))
            if prog.code == "gme-internal-medicine":
                im_completers.setdefault(year + 1, []).append(dp)


def _career(g: DemoGenerator, fc: FacultyCareer, until: dt.date) -> None:
    """Promotions from hire to ``until``: one step at a time, with realistic gaps."""
    rng = g.rng
    lat = fc.dp.latent
    factor = 1.0
    factor *= 1.1 if lat.sex == "female" else 1.0
    factor *= 1.15 if lat.urim else 1.0
    factor *= 1.05 if fc.track == "clinician_educator" else 1.0
    ever = 1.0 * (0.95 if lat.sex == "female" else 1.0) * (0.9 if lat.urim else 1.0)
    medians: dict[str, tuple[float, float]] = {
        Rank.INSTRUCTOR: (2.5, 0.85),
        Rank.ASSISTANT_PROFESSOR: (6.5, 0.75),
        Rank.ASSOCIATE_PROFESSOR: (6.0, 0.65),
    }
    rank = fc.first_rank
    when = fc.hire
    while rank in medians:
        median, p_ever = medians[rank]
        if not g.chance(p_ever * ever):
            return
        years = median * factor * math.exp(rng.gauss(0, 0.22))
        target = when + dt.timedelta(days=round(years * 365.25))
        effective = dt.date(target.year + (1 if target.month > 6 else 0), 7, 1)
        if effective > until:
            return
        rank = _LADDER[_LADDER.index(rank) + 1]
        fc.promotions.append((effective, rank))
        when = effective


def _separate(g: DemoGenerator, fc: FacultyCareer, *, staff: bool = False) -> None:
    """Yearly chances of leaving from 2017 (or the hire) until the demo's today."""
    birth = fc.dp.birth_date
    year = max(FIRST_CYCLE, fc.hire.year)
    while year <= DEMO_TODAY.year:
        age = year - birth.year
        tenure_years = year - fc.hire.year
        retire = 0.0 if age < 60 else (0.05 if age < 65 else (0.17 if age < 70 else 0.35))
        resign = (0.05 if tenure_years < 6 else 0.03) * (2.2 if staff else 1.0)
        nonrenew = 0.01 if (staff or fc.first_rank == Rank.INSTRUCTOR) else 0.003
        dismiss = 0.004 if staff else 0.0015
        death = 0.003 if age > 55 else 0.0007
        total = retire + resign + nonrenew + dismiss + death
        if g.chance(total):
            reason = g.pick(
                ("retirement", "resignation", "non_renewal", "dismissal", "death"),
                (retire, resign, nonrenew, dismiss, death),
            )
            start = max(dt.date(year, 1, 1), fc.hire + dt.timedelta(days=30))
            end = min(dt.date(year, 12, 31), DEMO_TODAY)
            if start > end:
                year += 1
                continue
            if reason == "retirement" and g.chance(0.6):
                day = dt.date(year, 6, 30) if g.chance(0.6) else dt.date(year, 12, 31)
                when = day if start <= day <= end else g.day_between(start, end)
            else:
                when = g.day_between(start, end)
            fc.separation, fc.reason = when, reason
            return
        year += 1


def _faculty_member(
    g: DemoGenerator,
    *,
    hire: dt.date,
    rank: str | None = None,
    department: str | None = None,
    dp: DemoPerson | None = None,
    age_at_hire: float | None = None,
) -> FacultyCareer:
    rng = g.rng
    if department is None:
        department = g.pick([d[0] for d in DEPARTMENTS], [d[3] for d in DEPARTMENTS])
    if rank is None:
        rank = g.pick(_LADDER, (12, 68, 12, 8))
    if dp is None:
        if age_at_hire is None:
            age_at_hire = _AGE_AT_HIRE[rank] + rng.gauss(0, 3.5)
        born = hire - dt.timedelta(days=round(age_at_hire * 365.25))
        dp = g.new_person(
            "faculty",
            born_between=(born - dt.timedelta(days=180), born + dt.timedelta(days=180)),
            state="NM",
        )
    info = next(d for d in DEPARTMENTS if d[0] == department)
    clinical = bool(info[5])
    basic = info[2] == DepartmentClass.BASIC_SCIENCE and not clinical
    if basic:
        track = g.pick(("tenure_track", "research", "other"), (75, 20, 5))
    elif info[2] == DepartmentClass.ADMINISTRATION:
        track = g.pick(("clinician_educator", "tenure_track", "other"), (60, 30, 10))
    else:
        track = g.pick(
            ("clinician_educator", "tenure_track", "research", "clinical"), (62, 15, 8, 15)
        )
    fte = Decimal(g.pick(("1.000", "0.800", "0.600", "0.500"), (86, 7, 4, 3)))
    fc = FacultyCareer(
        dp=dp,
        department=department,
        hire=hire,
        first_rank=rank,
        track=track,
        fte=fte,
        clinical=clinical,
    )
    dp.roles.append("faculty")
    g.faculty.append(fc)
    return fc


def _build_faculty(g: DemoGenerator) -> None:
    rng = g.rng
    sc = g.scale
    start = dt.date(FIRST_CYCLE, 1, 1)
    # Those already here in 2017, hired over the previous decades.
    for _ in range(sc.faculty_stock):
        years = min(36.0, rng.expovariate(1 / 10.0))
        hire = start - dt.timedelta(days=round(years * 365.25) + rng.randrange(0, 200))
        fc = _faculty_member(g, hire=hire)
        _career(g, fc, DEMO_TODAY)
    # Hires since, in every calendar year; most start on July 1 or August 1.
    for year in range(FIRST_CYCLE, DEMO_TODAY.year + 1):
        n = round(sc.faculty_hires * rng.uniform(0.85, 1.15))
        for _ in range(n):
            if g.chance(0.45):
                hire = dt.date(year, g.pick((7, 8)), 1)
            else:
                hire = g.day_between(dt.date(year, 1, 1), dt.date(year, 12, 31))
            if hire > DEMO_TODAY:
                hire = g.day_between(dt.date(year, 1, 1), DEMO_TODAY)
            fc = _faculty_member(g, hire=hire)
            _career(g, fc, DEMO_TODAY)
    # A few who trained here stay on the faculty (the same person, now with a rank).
    for dp, prog, completed in g.completers:
        hire = completed + dt.timedelta(days=32)
        if hire.year < FIRST_CYCLE or hire > DEMO_TODAY:
            continue
        if not g.chance(0.18 if prog.fellowship else 0.06):
            continue
        fc = _faculty_member(
            g,
            hire=hire,
            rank=Rank.ASSISTANT_PROFESSOR if g.chance(0.8) else Rank.INSTRUCTOR,
            department=prog.department,
            dp=dp,
        )
        _career(g, fc, DEMO_TODAY)
    for fc in g.faculty:
        _separate(g, fc)
        fc.promotions = [
            (d, r) for d, r in fc.promotions if fc.separation is None or d < fc.separation
        ]


def _holder(
    g: DemoGenerator,
    day: dt.date,
    *,
    department: str | None,
    ranks: tuple[str, ...],
) -> FacultyCareer | None:
    candidates = [
        fc
        for fc in g.faculty
        if fc.active_on(day)
        and fc.busy_until < day
        and (department is None or fc.department == department)
        and fc.rank_on(day) in ranks
        and (fc.separation is None or fc.separation > day + dt.timedelta(days=400))
    ]
    return g.pick(candidates) if candidates else None


def _leadership_chain(
    g: DemoGenerator,
    *,
    title: str,
    unit_code: str,
    department: str | None,
    term: tuple[float, float],
    senior: bool,
    ranks: tuple[str, ...] = (Rank.PROFESSOR,),
    external: float = 0.4,
) -> None:
    """Successive holders of one role from before 2017 until today."""
    rng = g.rng
    unit = g.units[unit_code]
    day = dt.date(FIRST_CYCLE, 7, 1) - dt.timedelta(days=rng.randrange(0, 6 * 365))
    first = True
    while day <= DEMO_TODAY:
        check_day = max(day, dt.date(FIRST_CYCLE, 1, 2)) if first else day
        fc = (
            None
            if (not first and g.chance(external))
            else _holder(g, check_day, department=department, ranks=ranks)
        )
        if fc is None:
            hire_on = day if day >= dt.date(FIRST_CYCLE, 1, 1) else day - dt.timedelta(days=200)
            fc = _faculty_member(
                g, hire=hire_on, rank=ranks[0], department=department or _any_clinical(g)
            )
            _career(g, fc, DEMO_TODAY)
            _separate(g, fc)
            # A newly recruited leader stays at least through the first year.
            if fc.separation is not None and fc.separation < day + dt.timedelta(days=400):
                fc.separation, fc.reason = None, ""
            fc.promotions = [
                (d, r) for d, r in fc.promotions if fc.separation is None or d < fc.separation
            ]
        start = _first_of_month_from(max(day, fc.hire))
        if start > DEMO_TODAY:
            return
        years = rng.uniform(*term)
        end: dt.date | None = _first_of_month_from(
            start + dt.timedelta(days=round(years * 365.25))
        ) - dt.timedelta(days=1)
        if fc.separation is not None and end is not None and fc.separation < end:
            end = fc.separation
        if end is not None and end > DEMO_TODAY:
            end = None
        g.add_stage(
            fc.dp,
            StageKind.LEADERSHIP_APPOINTMENT,
            unit,
            start,
            end_date=end,
            title=title,
            senior_administrative=senior,
        )
        fc.busy_until = end or dt.date.max
        if end is None:
            return
        day = end + dt.timedelta(days=1)
        first = False


def _first_of_month_from(day: dt.date) -> dt.date:
    """``day`` if it is the first of a month, else the first of the next month."""
    if day.day == 1:
        return day
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _any_clinical(g: DemoGenerator) -> str:
    return g.pick(
        [d[0] for d in DEPARTMENTS if d[2] == DepartmentClass.CLINICAL_SCIENCE],
        [d[3] for d in DEPARTMENTS if d[2] == DepartmentClass.CLINICAL_SCIENCE],
    )


def _build_leadership(g: DemoGenerator) -> None:
    dept_units = [d for d in DEPARTMENTS if d[2] != DepartmentClass.ADMINISTRATION]
    for title, unit_code in DEAN_ROLES:
        is_dean = unit_code == DEMO_SCHOOL_CODE
        _leadership_chain(
            g,
            title=title,
            unit_code=unit_code,
            department=None,
            term=(5, 10) if is_dean else (3, 8),
            senior=True,
            ranks=(Rank.PROFESSOR,) if is_dean else (Rank.PROFESSOR, Rank.ASSOCIATE_PROFESSOR),
            external=0.8 if is_dean else 0.2,
        )
    for code, name, *_ in dept_units:
        _leadership_chain(
            g,
            title=f"Chair, Department of {name}",
            unit_code=code,
            department=code,
            term=(4, 12),
            senior=True,
        )
    for code in VICE_CHAIR_DEPARTMENTS:
        for role in ("Vice Chair for Education", "Vice Chair for Research"):
            _leadership_chain(
                g,
                title=role,
                unit_code=code,
                department=code,
                term=(3, 7),
                senior=False,
                ranks=(Rank.PROFESSOR, Rank.ASSOCIATE_PROFESSOR),
                external=0.1,
            )
    for prog in GME_PROGRAMS:
        _leadership_chain(
            g,
            title="Program Director",
            unit_code=prog.code,
            department=prog.department,
            term=(4, 9),
            senior=False,
            ranks=(Rank.ASSOCIATE_PROFESSOR, Rank.PROFESSOR, Rank.ASSISTANT_PROFESSOR),
            external=0.1,
        )


def _emit_faculty(g: DemoGenerator) -> None:
    for fc in g.faculty:
        dp = fc.dp
        unit = g.units[fc.department]
        final_rank = fc.rank_on(fc.separation or DEMO_TODAY)
        tenure = "not_on_track"
        if fc.track == "tenure_track":
            tenure = (
                "tenured"
                if final_rank in {Rank.ASSOCIATE_PROFESSOR, Rank.PROFESSOR}
                else "on_track"
            )
        g.add_stage(
            dp,
            StageKind.FACULTY_APPOINTMENT,
            unit,
            fc.hire,
            end_date=fc.separation,
            rank=final_rank,
            track=fc.track,
            tenure=tenure,
            fte=fc.fte,
            reason=fc.reason,
        )
        for when, rank in fc.promotions:
            before = _LADDER[_LADDER.index(rank) - 1]
            g.add_stage(
                dp,
                StageKind.PROMOTION,
                unit,
                when,
                rank=rank,
                track=fc.track,
                title=f"{Rank(before).label} to {Rank(rank).label}",
            )
        if fc.separation:
            g.add_stage(
                dp,
                StageKind.SEPARATION,
                unit,
                fc.separation,
                reason=fc.reason,
            )
        g.add_employee_id(dp)
        g.add_school_email(dp)
        if fc.clinical:
            g.add_npi(dp)
        _report_hr(g, dp, fc, answered_at_hire=0.97, answered_survey=0.45)


def _build_staff(g: DemoGenerator) -> None:
    rng = g.rng
    sc = g.scale
    careers: list[tuple[FacultyCareer, str, bool]] = []

    def staff_member(
        hire: dt.date, *, department: str | None = None, title: str = ""
    ) -> tuple[FacultyCareer, str]:
        if department is None:
            department = g.pick([d[0] for d in DEPARTMENTS], [d[4] for d in DEPARTMENTS])
        info = next(d for d in DEPARTMENTS if d[0] == department)
        if not title:
            admin = info[2] == DepartmentClass.ADMINISTRATION
            title = g.pick(STAFF_TITLES_ADMIN if admin else STAFF_TITLES_DEPT)
        age = rng.uniform(22, 58)
        born = hire - dt.timedelta(days=round(age * 365.25))
        dp = g.new_person("staff", born_between=(born, born + dt.timedelta(days=200)), state="NM")
        dp.roles.append("staff")
        fte = Decimal(g.pick(("1.000", "0.800", "0.750", "0.500"), (84, 7, 4, 5)))
        career = FacultyCareer(
            dp=dp,
            department=department,
            hire=hire,
            first_rank="",
            track="",
            fte=fte,
            clinical=False,
        )
        return career, title

    start = dt.date(FIRST_CYCLE, 1, 1)
    for _ in range(sc.staff_stock):
        years = min(35.0, rng.expovariate(1 / 7.5))
        hire = start - dt.timedelta(days=round(years * 365.25) + rng.randrange(0, 120))
        fc, title = staff_member(hire)
        careers.append((fc, title, False))
    for year in range(FIRST_CYCLE, DEMO_TODAY.year + 1):
        for _ in range(round(sc.staff_hires * rng.uniform(0.85, 1.15))):
            hire = g.day_between(dt.date(year, 1, 1), min(dt.date(year, 12, 31), DEMO_TODAY))
            fc, title = staff_member(hire)
            careers.append((fc, title, False))
    for fc, _title, _senior in careers:
        _separate(g, fc, staff=True)
    # Directors: successive holders of each senior administrative staff role.
    for title, unit_code in DIRECTOR_ROLES:
        day = dt.date(FIRST_CYCLE, 7, 1) - dt.timedelta(days=rng.randrange(0, 8 * 365))
        while day <= DEMO_TODAY:
            fc, _t = staff_member(day, department=unit_code, title=title)
            fc.fte = Decimal("1.000")
            years = rng.uniform(3, 11)
            end: dt.date | None = day + dt.timedelta(days=round(years * 365.25))
            if end is not None and end > DEMO_TODAY:
                end = None
            fc.separation = end
            fc.reason = "" if end is None else g.pick(("resignation", "retirement"), (70, 30))
            careers.append((fc, title, True))
            g.add_stage(
                fc.dp,
                StageKind.LEADERSHIP_APPOINTMENT,
                g.units[unit_code],
                day,
                end_date=end,
                title=title,
                senior_administrative=True,
            )
            if end is None:
                break
            day = end + dt.timedelta(days=rng.randrange(1, 90))
    for fc, title, senior in careers:
        dp = fc.dp
        unit = g.units[fc.department]
        g.add_stage(
            dp,
            StageKind.STAFF_APPOINTMENT,
            unit,
            fc.hire,
            end_date=fc.separation,
            title=title,
            fte=fc.fte,
            senior_administrative=senior,
            reason=fc.reason,
        )
        if fc.separation:
            g.add_stage(
                dp,
                StageKind.SEPARATION,
                unit,
                fc.separation,
                reason=fc.reason,
            )
        g.add_employee_id(dp)
        g.add_school_email(dp)
        _report_hr(g, dp, fc, answered_at_hire=0.95, answered_survey=0.4)


def _report_hr(
    g: DemoGenerator,
    dp: DemoPerson,
    fc: FacultyCareer,
    *,
    answered_at_hire: float,
    answered_survey: float,
) -> None:
    """HR self-identification at hire, and the later HR survey for those still employed."""
    if g.chance(answered_at_hire):
        g.report(dp, source=HR, on=fc.hire, dims=HR_DIMS, declined_text="I do not wish to answer")
    if fc.active_on(HR_SURVEY_DATE) and g.chance(answered_survey):
        g.report(
            dp,
            source=HR_SURVEY,
            on=HR_SURVEY_DATE,
            dims=HR_SURVEY_DIMS,
            declined_text="Prefer not to say",
        )


def generate_demo_world(*, seed: int = DEMO_SEED, scale: str = "full") -> DemoWorld:
    """The whole demo population in memory (unsaved model instances): no database access."""
    g = DemoGenerator(seed, scale)
    _build_units(g)
    _build_admissions(g)
    _build_gme(g)
    _build_faculty(g)
    _build_leadership(g)
    _emit_faculty(g)
    _build_staff(g)
    return DemoWorld(
        seed=seed, scale=scale, units=g.units, people=g.people, faculty=g.faculty, used=g.used
    )


# ---------------------------------------------------------------------------------------
# Writing it.


@dataclass
class DemoSummary:
    """What ``build_demo_school`` created; "now" means on ``DEMO_TODAY``."""

    persons: int = 0
    org_units: int = 0
    applicants: int = 0
    applications: int = 0
    interviews: int = 0
    offers: int = 0
    offers_accepted: int = 0
    matriculants: int = 0
    graduates: int = 0
    students_now: int = 0
    gme_trainees: int = 0
    residents_and_fellows_now: int = 0
    own_graduates_in_gme: int = 0
    faculty: int = 0
    faculty_now: int = 0
    former_trainees_on_faculty: int = 0
    senior_administrative_now: int = 0
    staff: int = 0
    staff_now: int = 0
    stages: int = 0
    identifiers: int = 0
    self_identifications: int = 0
    declined_answers: int = 0
    persons_without_self_identification: int = 0
    users: int = 0
    seconds: float = field(default=0.0, compare=False)

    def lines(self) -> list[str]:
        return [
            f"  {f.name.replace('_', ' ')}: {getattr(self, f.name):,}"
            for f in fields(self)
            if f.name != "seconds"
        ]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    decision_maker: bool = False
    programs: tuple[str, ...] = ()


DEMO_PROGRAM_SCOPES: tuple[tuple[str, str], ...] = (
    ("GME Mentorship 2027", "gme-mentorship-2027"),
    ("Summer Health Careers Academy", "summer-academy"),
)
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Alma", "Ortega", "administrator"),
    DemoUser("analyst", "Anh", "Tran", "analyst"),
    DemoUser(
        "manager",
        "Marcus",
        "Begay",
        "program_manager",
        programs=("gme-mentorship-2027", "summer-academy"),
    ),
    DemoUser("viewer", "Vera", "Lindqvist", "viewer"),
    # An admissions committee chair: an analyst walled off from every demographic field.
    DemoUser("dean", "Dolores", "Quintana", "analyst", decision_maker=True),
)


class DemoRefused(Exception):
    """The database already holds people data and replacing it was not asked for."""


def database_has_people_data() -> bool:
    return Person.objects.exists() or OrgUnit.objects.exists()


def clear_people_data() -> None:
    """Delete every person (with identifiers, answers, stages) and organisational unit.

    Import batches stay (their rows lose the link to the deleted people); users stay.
    Raises ``DemoRefused`` when other records (a mentoring enrolment, say) still refer to
    people or units.
    """
    try:
        with transaction.atomic():
            SelfIdentification.objects.all().delete()
            Identifier.objects.all().delete()
            Stage.objects.all().delete()
            Person.objects.all().delete()
            OrgUnit.objects.update(parent=None)
            OrgUnit.objects.all().delete()
    except (ProtectedError, RestrictedError) as exc:
        kinds = sorted({obj._meta.verbose_name_plural for obj in exc.args[1]})
        raise DemoRefused(
            "Other records still refer to the people or units to delete ("
            + ", ".join(str(k) for k in kinds)
            + "); delete those first."
        ) from exc


def _insert_rows(
    model: type[Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]], batch_size: int
) -> None:
    """Plain ``INSERT``s with ``executemany``: the ORM's per-value work would dominate here.

    Values must already be adapted for the database (``connection.ops.adapt_*``).
    """
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    column = {f.name: f.column for f in model._meta.concrete_fields}
    names = ", ".join(ops.quote_name(column[name]) for name in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names from _meta
    chunk: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch_size:
                cursor.executemany(sql, chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)


def _responses(answers: list[DemoAnswer]) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """A person's answers as responses: by source and date, in the order given."""
    out: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for a in answers:
        out.setdefault((a.source, a.reported_on), {})[a.dimension] = {
            "raw": a.raw_value,
            "codes": a.codes,
            "declined": a.declined,
        }
    return out


def _write_world(world: DemoWorld, *, batch_size: int) -> None:
    ops = connection.ops
    units = list(world.units.values())
    # Parents before children: the school, then its departments and programs, then GME.
    for depth in range(3):
        level = [u for u in units if _depth(u) == depth]
        OrgUnit.objects.bulk_create(level, batch_size=batch_size)
    unit_ids = {code: unit.pk for code, unit in world.units.items()}
    persons = [
        Person(
            given_name=dp.given_name,
            middle_name=dp.middle_name,
            family_name=dp.family_name,
            birth_date=dp.birth_date,
        )
        for dp in world.people
    ]
    Person.objects.bulk_create(persons, batch_size=batch_size)
    pairs = list(zip((p.pk for p in persons), world.people, strict=True))
    _insert_rows(
        Identifier,
        ("person", "system", "value"),
        ((pk, system, value) for pk, dp in pairs for system, value in dp.identifiers),
        batch_size,
    )
    day = ops.adapt_datefield_value
    _insert_rows(
        SelfIdentification,
        ("person", "source", "reported_on", "answers"),
        (
            (pk, source, day(on), ops.adapt_json_value(answers, None))
            for pk, dp in pairs
            for (source, on), answers in _responses(dp.answers).items()
        ),
        batch_size,
    )

    def dec(value: Decimal | None, digits: int, places: int) -> Any:
        return None if value is None else ops.adapt_decimalfield_value(value, digits, places)

    columns = (
        "kind", "key", "start_date", "end_date", "academic_year", "program", "round", "outcome",
        "rank", "track", "tenure", "fte", "title", "senior_administrative", "pgy", "reason",
        "gpa", "mcat",
    )  # fmt: skip
    _insert_rows(
        Stage,
        ("person", "org_unit", *columns),
        (
            (
                pk,
                unit_ids[st.unit],
                st.kind,
                st.key,
                day(st.start_date),
                day(st.end_date) if st.end_date else None,
                st.academic_year,
                st.program,
                st.round,
                st.outcome,
                st.rank,
                st.track,
                st.tenure,
                dec(st.fte, 4, 3),
                st.title,
                st.senior_administrative,
                st.pgy,
                st.reason,
                dec(st.gpa, 4, 2),
                st.mcat,
            )
            for pk, dp in pairs
            for st in dp.stages
        ),
        batch_size,
    )


def _depth(unit: OrgUnit) -> int:
    depth = 0
    parent = unit.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


def ensure_demo_users() -> list[str]:
    """Create the demo accounts that do not exist yet, all with ``DEMO_PASSWORD``.

    An account that already exists under a demo username is left exactly as it is (its
    password is never reset to the published one); the usernames left alone are returned.
    """
    from ristra.accounts.models import ProgramScope, User

    scopes = {}
    for name, slug in DEMO_PROGRAM_SCOPES:
        scope = ProgramScope.objects.filter(Q(slug=slug) | Q(name=name)).first()
        scopes[slug] = scope or ProgramScope.objects.create(name=name, slug=slug)
    untouched: list[str] = []
    for spec in DEMO_USERS:
        if User.objects.filter(username=spec.username).exists():
            untouched.append(spec.username)
            continue
        user = User(
            username=spec.username,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.username}@demo.invalid",
            role=spec.role,
            is_decision_maker=spec.decision_maker,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.programs.set([scopes[slug] for slug in spec.programs])
    return untouched


def summarise(*, today: dt.date = DEMO_TODAY) -> DemoSummary:
    """Counts straight from the database (so they describe what is really there)."""
    from ristra.accounts.models import User

    kinds = dict(Stage.objects.values_list("kind").annotate(n=Count("id")).order_by())
    now = Stage.objects.active_on(today)

    def people(qs: Any) -> int:
        return int(qs.values("person_id").distinct().count())

    graduates = Stage.objects.filter(kind=StageKind.GRADUATION).values("person_id")
    gme = Stage.objects.filter(kind=StageKind.GME_APPOINTMENT).values("person_id")
    senior = now.filter(senior_administrative=True).filter(
        kind__in=[StageKind.LEADERSHIP_APPOINTMENT, StageKind.STAFF_APPOINTMENT]
    )
    texts = SelfIdentification.objects.annotate(text=Cast("answers", TextField()))
    answers = answer_rows(
        pl.DataFrame(
            {"answers": list(texts.values_list("text", flat=True))},
            schema={"answers": pl.String},
        )
    )
    return DemoSummary(
        persons=Person.objects.count(),
        org_units=OrgUnit.objects.count(),
        applicants=people(Stage.objects.filter(kind=StageKind.APPLICATION)),
        applications=kinds.get(StageKind.APPLICATION, 0),
        interviews=kinds.get(StageKind.INTERVIEW, 0),
        offers=kinds.get(StageKind.OFFER, 0),
        offers_accepted=Stage.objects.filter(kind=StageKind.OFFER, outcome="accepted").count(),
        matriculants=people(Stage.objects.filter(kind=StageKind.MATRICULATION)),
        graduates=people(Stage.objects.filter(kind=StageKind.GRADUATION)),
        students_now=people(now.filter(kind=StageKind.ENROLLMENT)),
        gme_trainees=people(Stage.objects.filter(kind=StageKind.GME_APPOINTMENT)),
        residents_and_fellows_now=people(now.filter(kind=StageKind.GME_APPOINTMENT)),
        own_graduates_in_gme=people(
            Stage.objects.filter(kind=StageKind.GME_APPOINTMENT, person_id__in=graduates)
        ),
        faculty=people(Stage.objects.filter(kind=StageKind.FACULTY_APPOINTMENT)),
        faculty_now=people(now.filter(kind=StageKind.FACULTY_APPOINTMENT)),
        former_trainees_on_faculty=people(
            Stage.objects.filter(kind=StageKind.FACULTY_APPOINTMENT, person_id__in=gme)
        ),
        senior_administrative_now=people(senior),
        staff=people(Stage.objects.filter(kind=StageKind.STAFF_APPOINTMENT)),
        staff_now=people(now.filter(kind=StageKind.STAFF_APPOINTMENT)),
        stages=sum(kinds.values()),
        identifiers=Identifier.objects.count(),
        self_identifications=answers.height,
        declined_answers=int(answers.get_column("declined").sum()),
        persons_without_self_identification=Person.objects.filter(
            ~Q(id__in=SelfIdentification.objects.values("person_id"))
        ).count(),
        users=User.objects.filter(username__in=[u.username for u in DEMO_USERS]).count(),
    )


def build_demo_school(
    *,
    seed: int = DEMO_SEED,
    scale: str = "full",
    stdout: _Writer | None = None,
    replace: bool = False,
    batch_size: int = 2000,
) -> DemoSummary:
    """Write the fictional demo school and the demo accounts; one transaction.

    Raises ``DemoRefused`` when the database already holds people data, unless ``replace``
    (which first deletes every person and organisational unit).
    """
    from ristra.audit.models import Action
    from ristra.audit.services import audit_record

    started = time.perf_counter()

    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if scale not in _SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    say(f"Generating the fictional demo school (seed {seed}, scale {scale})...")
    world = generate_demo_world(seed=seed, scale=scale)
    with transaction.atomic():
        if database_has_people_data():
            if not replace:
                raise DemoRefused(
                    "The database already holds people data; the demo would mix with it."
                )
            say("Deleting the people data already in the database...")
            clear_people_data()
            audit_record(
                actor=None,
                action=Action.DELETE,
                object_type="demo",
                summary="Deleted every person and organisational unit to load the demo school",
            )
        say(f"Writing {len(world.people):,} fictional people...")
        _write_world(world, batch_size=batch_size)
        untouched = ensure_demo_users()
        if untouched:
            say(
                "These accounts already existed and were left as they were: " + ", ".join(untouched)
            )
        summary = summarise()
        audit_record(
            actor=None,
            action=Action.CREATE,
            object_type="demo",
            summary=(
                f"Loaded the fictional demo school (seed {seed}, scale {scale}): "
                f"{summary.persons} persons"
            ),
        )
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def summary_text(summary: DemoSummary) -> str:
    return "\n".join(
        [
            f"Created the fictional demo school '{DEMO_SCHOOL_NAME}' in {summary.seconds:.1f} s:",
            *summary.lines(),
            "",
            f"Sign in at http://127.0.0.1:8000/office/ as admin / {DEMO_PASSWORD} "
            "(other demo accounts: analyst, manager, viewer, dean; "
            "mentoring participants: mentor, mentee)",
        ]
    )
