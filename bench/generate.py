"""A realistic HR faculty export of any size, deterministic (used by the import benchmarks)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

GIVEN = [
    "Ana",
    "José",
    "Lorraine",
    "Thu",
    "Kwame",
    "Fatima",
    "Wei",
    "Darius",
    "Maya",
    "Ahmed",
    "Leilani",
    "Santiago",
    "Priya",
    "Nizhoni",
    "Emily",
    "Joaquín",
    "Grace",
    "Omar",
]
FAMILY = [
    "Begay",
    "Martínez",
    "Nguyen",
    "Okafor",
    "Haddad",
    "Chen",
    "Johnson",
    "Yazzie",
    "García-Lucero",
    "Patel",
    "Kealoha",
    "Smith",
    "Romero",
    "Tsosie",
    "Baca",
    "Kim",
]
DEPARTMENTS = [
    "Internal Medicine",
    "Pediatrics",
    "Surgery",
    "Psychiatry",
    "Pathology",
    "Family & Community Medicine",
    "Emergency Medicine",
    "Neurology",
    "Radiology",
    "Biochemistry & Molecular Biology",
    "Anesthesiology",
    "Obstetrics & Gynecology",
]
RANKS = ["Instructor", "Assistant Professor", "Associate Professor", "Professor"]
HEADERS = [
    "EMPLID",
    "Last Name",
    "First Name",
    "Preferred Email",
    "Date of Birth",
    "Department",
    "Academic Rank",
    "Track",
    "FTE",
    "Hire Date",
    "Term Date",
    "Term Reason",
    "Sex",
    "Ethnicity",
    "Race",
]


def write_faculty_export(path: Path, rows: int, *, seed: int = 7) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in range(rows):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            hired = f"{rng.randint(1990, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            left = rng.random() < 0.15
            term = f"{int(hired[:4]) + rng.randint(1, 10)}-06-30" if left else ""
            writer.writerow(
                [
                    f"E{i:07d}",
                    family,
                    given,
                    f"{given[0].lower()}{i}@example.edu",
                    f"{rng.randint(1950, 1995)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.choice(DEPARTMENTS),
                    rng.choice(RANKS),
                    rng.choice(["Tenure Track", "Clinician Educator", "Research"]),
                    rng.choice(["1.0", "0.8", "0.5"]),
                    hired,
                    term,
                    "Resignation" if left else "",
                    rng.choice(["Female", "Male", "Female", "Male", "Decline to state"]),
                    rng.choice(
                        [
                            "Hispanic or Latino",
                            "Not Hispanic or Latino",
                            "Not Hispanic or Latino",
                            "Decline to state",
                        ]
                    ),
                    rng.choice(
                        [
                            "White",
                            "Asian",
                            "Black or African American",
                            "American Indian or Alaska Native",
                            "White;Asian",
                            "White",
                        ]
                    ),
                ]
            )
    return path
