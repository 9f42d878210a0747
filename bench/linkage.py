"""Record linkage benchmark: pathway participants to later applicant records.

Generates a deterministic population: 20,000 program participants (high-school and
college students) and 500,000 later applicant records, of which about 30% of the
participants' own records are among (6,000 true matches; the rest are other people drawn
from the same name and birth-date distributions, so common names and shared birth dates
collide as they do in real files).  A true match's record is corrupted the way later
records differ: nicknames (Bill for William, Paco for Francisco), one-letter typos,
accents dropped or added, married or changed family names (the old name recorded as a
former name, or not), day and month swapped, single-digit birth-date typos, missing
fields, changed e-mail addresses (new domain or new address), another institution.
Some college participants carry an AAMC ID that their applicant record repeats.

It links them with :func:`ristra.analytics.linkage.link` and prints precision, recall and
F1 of the automatic links, the review queue (participants with a review item and no link,
as a share of all participants) and the time; in the same run, two anchors:

* the exact-match baseline people use first: given name, family name and birth date
  equal (lower-cased), kept only when the participant has exactly one such record;
* the `recordlinkage` package's standard approach (0.16: blocking on birth date and on
  given and family name, Jaro-Winkler names, exact birth date and e-mail, the unsupervised ECM
  classifier), if it can be imported.  It declares ``pandas<3``: installing it with pip
  downgrades the project's pandas 3, so it is not a project dependency; installed without
  its dependencies (``pip install --no-deps recordlinkage==0.16 jellyfish``) it runs.

``--quick`` uses 2,000 participants and 50,000 records.

    .venv/bin/python bench/linkage.py [--quick] [--participants N] [--records N]
        [--seed 7] [--no-anchor]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ristra.analytics.linkage import NICKNAMES, LinkResult, LinkSettings, link  # noqa: E402

GIVEN: Final = [
    "María",
    "José",
    "Juan",
    "Luis",
    "Carlos",
    "Ana",
    "Sofía",
    "Daniel",
    "Alejandro",
    "Gabriela",
    "Valentina",
    "Diego",
    "Jesús",
    "Guadalupe",
    "Francisco",
    "Guillermo",
    "Fernando",
    "Ricardo",
    "Rafael",
    "Manuel",
    "Ignacio",
    "Isabel",
    "Lucía",
    "Camila",
    "Natalia",
    "Daniela",
    "Andrea",
    "Verónica",
    "Beatriz",
    "Dolores",
    "Rosario",
    "Mercedes",
    "Santiago",
    "Sebastián",
    "Mateo",
    "Emiliano",
    "Leonardo",
    "Antonio",
    "Eduardo",
    "Alberto",
    "Roberto",
    "Enrique",
    "William",
    "Robert",
    "Elizabeth",
    "James",
    "John",
    "Michael",
    "Thomas",
    "Charles",
    "Joseph",
    "Matthew",
    "Anthony",
    "Christopher",
    "Christina",
    "Alexander",
    "Alexandra",
    "Andrew",
    "Benjamin",
    "Edward",
    "Jonathan",
    "Nicholas",
    "Samuel",
    "Samantha",
    "Stephen",
    "Timothy",
    "Zachary",
    "Joshua",
    "David",
    "Gregory",
    "Patrick",
    "Patricia",
    "Kenneth",
    "Richard",
    "Margaret",
    "Katherine",
    "Jennifer",
    "Rebecca",
    "Susan",
    "Victoria",
    "Abigail",
    "Jessica",
    "Kimberly",
    "Amanda",
    "Olivia",
    "Emily",
    "Emma",
    "Ava",
    "Mia",
    "Harper",
    "Evelyn",
    "Aaliyah",
    "Jasmine",
    "Destiny",
    "Imani",
    "Aisha",
    "Jamal",
    "Malik",
    "DeShawn",
    "Tyrone",
    "Keisha",
    "Latoya",
    "Marcus",
    "Darnell",
    "Andre",
    "Xavier",
    "Wei",
    "Jing",
    "Min",
    "Jun",
    "Hao",
    "Yan",
    "Ying",
    "Li",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Aiko",
    "Minh",
    "Linh",
    "Thảo",
    "Quang",
    "Priya",
    "Ananya",
    "Rahul",
    "Arjun",
    "Fatima",
    "Omar",
    "Ahmed",
    "Leila",
    "Zoë",
    "Chloé",
    "Renée",
    "Björn",
    "Søren",
    "Łukasz",
    "Nayeli",
    "Citlali",
    "Xóchitl",
    "Itzel",
    "Ayasha",
    "Kai",
    "Noah",
    "Liam",
    "Ethan",
    "Lucas",
    "Aiden",
    "Elijah",
    "Logan",
]
FAMILY: Final = [
    "García",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "López",
    "González",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Cruz",
    "Morales",
    "Reyes",
    "Gutiérrez",
    "Ortiz",
    "Chávez",
    "Ruiz",
    "Jiménez",
    "Mendoza",
    "Álvarez",
    "Castillo",
    "Romero",
    "Vásquez",
    "Herrera",
    "Medina",
    "Aguilar",
    "Vargas",
    "Castro",
    "Guzmán",
    "Fernández",
    "Muñoz",
    "Salazar",
    "Ortega",
    "Delgado",
    "Peña",
    "Ríos",
    "Núñez",
    "Rojas",
    "Soto",
    "Contreras",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Washington",
    "Jefferson",
    "Banks",
    "Booker",
    "Freeman",
    "Coleman",
    "Jenkins",
    "Bryant",
    "Russell",
    "Griffin",
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Wang",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Kim",
    "Park",
    "Choi",
    "Patel",
    "Shah",
    "Singh",
    "Kumar",
    "Khan",
    "Ali",
    "Hussain",
    "Tanaka",
    "Suzuki",
    "Yamamoto",
    "Begay",
    "Yazzie",
    "Tsosie",
    "Benally",
    "O'Brien",
    "O'Connor",
    "McDonald",
    "MacLeod",
    "Müller",
    "Schröder",
    "Dubois",
    "Lefèvre",
]
SYLLABLES: Final = [
    "ba",
    "be",
    "bi",
    "bo",
    "bu",
    "da",
    "de",
    "di",
    "do",
    "du",
    "ka",
    "ke",
    "ki",
    "ko",
    "ku",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nu",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "su",
    "ta",
    "te",
    "ti",
    "to",
    "tu",
    "va",
    "ve",
    "vi",
    "vo",
    "za",
    "ze",
    "zi",
    "zo",
    "an",
    "en",
    "in",
    "on",
    "ar",
    "er",
    "ir",
    "or",
    "el",
    "al",
    "il",
    "ol",
    "son",
    "ton",
    "ley",
    "man",
    "berg",
    "stein",
    "wick",
    "ford",
    "field",
    "ez",
    "es",
    "os",
]
INSTITUTIONS: Final = [
    f"{place} {kind}"
    for place in (
        "Albuquerque",
        "Las Cruces",
        "Santa Fe",
        "El Paso",
        "Tucson",
        "Phoenix",
        "Denver",
        "Austin",
        "San Antonio",
        "Houston",
        "Dallas",
        "Los Angeles",
        "San Diego",
        "Fresno",
        "Chicago",
        "Atlanta",
        "Miami",
        "New York",
        "Boston",
        "Seattle",
    )
    for kind in ("High School", "Community College", "State University", "College")
]
DOMAINS: Final = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com")
ACCENTS: Final = str.maketrans("áéíóúñüÁÉÍÓÚÑ", "aeiounuAEIOUN")


def _zipf(rng: np.random.Generator, n: int, size: int, power: float = 1.0) -> np.ndarray:
    weights = 1 / np.arange(1, n + 1) ** power
    return rng.choice(n, size=size, p=weights / weights.sum())


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word)))
    kind = rng.integers(0, 3)
    if kind == 0:  # substitution
        return word[:i] + "aeioulnrst"[rng.integers(0, 10)] + word[i + 1 :]
    if kind == 1:  # deletion
        return word[:i] + word[i + 1 :]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]  # transposition


def _people(rng: np.random.Generator, n: int, tail: list[str]) -> dict[str, list[Any]]:
    given = [GIVEN[i] for i in _zipf(rng, len(GIVEN), n, 0.7)]
    family: list[str] = []
    for u in rng.random(n):
        if u < 0.45:  # a long tail of rarer family names
            family.append(tail[int(rng.integers(0, len(tail)))])
        else:
            name = FAMILY[int(_zipf(rng, len(FAMILY), 1, 0.8)[0])]
            if u > 0.9:  # two family names, as many Hispanic students carry
                name += " " + FAMILY[int(rng.integers(0, 45))]
            family.append(name)
    start = np.datetime64("1994-01-01")
    days = rng.integers(0, 14 * 365, size=n)
    birth = [str(start + int(d)) for d in days]
    return {"given_name": given, "family_name": family, "birth_date": birth}


def _email(rng: np.random.Generator, given: str, family: str, domain: str) -> str:
    user = (given[0] + family.split(" ")[0]).translate(ACCENTS).lower().replace("'", "")
    return f"{user}{int(rng.integers(1, 999))}@{domain}"


def generate(
    participants: int, records: int, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame, set[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    tail = sorted(
        {
            "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))).capitalize()
            for _ in range(30_000)
        }
    )
    people = _people(rng, participants, tail)
    nick = {c.capitalize(): [n.capitalize() for n in ns] for c, ns in NICKNAMES.items()}
    p_rows: list[dict[str, str | None]] = []
    for i in range(participants):
        given, family, birth = (people[k][i] for k in ("given_name", "family_name", "birth_date"))
        college = rng.random() < 0.5
        inst = INSTITUTIONS[int(rng.integers(0, len(INSTITUTIONS)))]
        p_rows.append(
            {
                "record_id": f"P{i:06d}",
                "given_name": given,
                "family_name": family,
                "former_names": None,
                "birth_date": birth if rng.random() > 0.03 else None,
                "email": _email(rng, given, family, "school.edu" if not college else "students.edu")
                if rng.random() > 0.1
                else None,
                "institution": inst,
                "aamc_id": str(10_000_000 + i) if college and rng.random() < 0.3 else None,
            }
        )
    matched = rng.choice(participants, size=int(0.3 * participants), replace=False)
    positions = rng.choice(records, size=len(matched), replace=False)
    at = dict(zip(positions.tolist(), matched.tolist(), strict=True))
    others = _people(rng, records, tail)
    r_rows: list[dict[str, str | None]] = []
    truth: set[tuple[str, str]] = set()
    for j in range(records):
        rid = f"R{j:07d}"
        if j in at:
            p = p_rows[at[j]]
            truth.add((str(p["record_id"]), rid))
            r_rows.append(_corrupt(rng, p, rid, nick, tail))
        else:
            given, family, birth = (
                others[k][j] for k in ("given_name", "family_name", "birth_date")
            )
            r_rows.append(
                {
                    "record_id": rid,
                    "given_name": given,
                    "family_name": family,
                    "former_names": FAMILY[int(rng.integers(0, len(FAMILY)))]
                    if rng.random() < 0.03
                    else None,
                    "birth_date": birth if rng.random() > 0.02 else None,
                    "email": _email(rng, given, family, DOMAINS[int(rng.integers(0, 5))])
                    if rng.random() > 0.1
                    else None,
                    "institution": INSTITUTIONS[int(rng.integers(0, len(INSTITUTIONS)))]
                    if rng.random() > 0.2
                    else None,
                    "aamc_id": str(20_000_000 + j) if rng.random() < 0.9 else None,
                }
            )
    schema = {c: pl.Utf8 for c in p_rows[0]}
    return pl.DataFrame(p_rows, schema=schema), pl.DataFrame(r_rows, schema=schema), truth


def _corrupt(
    rng: np.random.Generator,
    p: dict[str, str | None],
    rid: str,
    nick: dict[str, list[str]],
    tail: list[str],
) -> dict[str, str | None]:
    given, family, birth = str(p["given_name"]), str(p["family_name"]), p["birth_date"]
    former = None
    u = rng.random()
    if u < 0.15 and given in nick:
        given = nick[given][int(rng.integers(0, len(nick[given])))]
    elif u < 0.23:
        given = _typo(rng, given)
    if rng.random() < 0.1:
        given = given.translate(ACCENTS)
    u = rng.random()
    if u < 0.07:  # married or changed family name
        former = family if rng.random() < 0.7 else None
        family = tail[int(rng.integers(0, len(tail)))]
    elif u < 0.15:
        family = _typo(rng, family)
    elif u < 0.25:
        family = family.translate(ACCENTS)
    if birth is not None:
        u = rng.random()
        y, m, d = birth.split("-")
        if u < 0.05 and int(d) <= 12 and d != m:
            birth = f"{y}-{d}-{m}"
        elif u < 0.10:
            k = int(rng.choice([2, 3, 5, 6, 8, 9]))
            digits = list(birth)
            digits[k] = str((int(digits[k]) + int(rng.integers(1, 9))) % 10)
            candidate = "".join(digits)
            try:
                np.datetime64(candidate)
                birth = candidate
            except ValueError:
                pass
        elif u < 0.13:
            birth = None
    email = p["email"]
    u = rng.random()
    if email is None or u < 0.4:
        email = (
            _email(rng, given, family, DOMAINS[int(rng.integers(0, 5))])
            if rng.random() < 0.8
            else None
        )
    elif u < 0.7:
        email = email.split("@")[0] + "@" + DOMAINS[int(rng.integers(0, 5))]
    elif u < 0.8:
        email = None
    u = rng.random()
    institution = (
        p["institution"]
        if u < 0.5
        else (INSTITUTIONS[int(rng.integers(0, len(INSTITUTIONS)))] if u < 0.85 else None)
    )
    aamc = (
        p["aamc_id"]
        if p["aamc_id"] is not None
        else (str(30_000_000 + int(rid[1:])) if rng.random() < 0.9 else None)
    )
    return {
        "record_id": rid,
        "given_name": given,
        "family_name": family,
        "former_names": former,
        "birth_date": birth,
        "email": email,
        "institution": institution,
        "aamc_id": aamc,
    }


# --------------------------------------------------------------------------- scoring


def _generate_to(participants: int, records: int, seed: int, workdir: str) -> None:
    p, r, truth = generate(participants, records, seed)
    p.write_parquet(Path(workdir) / "participants.parquet")
    r.write_parquet(Path(workdir) / "records.parquet")
    pl.DataFrame(sorted(truth), schema=["participant", "record"], orient="row").write_parquet(
        Path(workdir) / "truth.parquet"
    )


def score(links: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    correct = len(links & truth)
    precision = correct / len(links) if links else 0.0
    recall = correct / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def exact_baseline(p: pl.DataFrame, r: pl.DataFrame) -> set[tuple[str, str]]:
    keys = [
        pl.col("given_name").str.to_lowercase(),
        pl.col("family_name").str.to_lowercase(),
        pl.col("birth_date"),
    ]
    left = p.select(
        pl.col("record_id").alias("pid"), *[k.alias(f"k{i}") for i, k in enumerate(keys)]
    )
    right = r.select(
        pl.col("record_id").alias("rid"), *[k.alias(f"k{i}") for i, k in enumerate(keys)]
    )
    joined = left.drop_nulls().join(right.drop_nulls(), on=["k0", "k1", "k2"])
    unique = joined.filter(pl.len().over("pid") == 1).filter(pl.len().over("rid") == 1)
    return set(unique.select("pid", "rid").iter_rows())


def recordlinkage_anchor(
    p: pl.DataFrame, r: pl.DataFrame
) -> tuple[dict[str, set[tuple[str, str]]], float] | str:
    """The package's documented approach: block, compare, classify.  Two classifiers on
    the same features: the unsupervised ECM, and the quick-start's rule (more than 3 of
    the 5 features agree).  Neither makes links one-to-one."""
    try:
        import recordlinkage
    except ImportError as error:
        return f"not importable ({error})"
    start = time.perf_counter()
    a = p.to_pandas().set_index("record_id")
    b = r.to_pandas().set_index("record_id")
    for frame in (a, b):
        for column in ("given_name", "family_name"):
            frame[column] = frame[column].str.lower()
    indexer = recordlinkage.Index()
    indexer.block("birth_date")
    indexer.block(["given_name", "family_name"])
    pairs = indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given")
    compare.string(
        "family_name", "family_name", method="jarowinkler", threshold=0.85, label="family"
    )
    compare.exact("birth_date", "birth_date", label="birth")
    compare.exact("email", "email", label="email")
    compare.exact("institution", "institution", label="institution")
    features = compare.compute(pairs, a, b)
    ecm = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features)
    rule = features[features.sum(axis=1) > 3].index
    return {
        "ECM": {(str(x), str(y)) for x, y in ecm},
        "more than 3 of 5 features agree": {(str(x), str(y)) for x, y in rule},
    }, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 participants, 50,000 records")
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-anchor", action="store_true", help="skip the recordlinkage anchor")
    args = parser.parse_args()
    n, m = (2_000, 50_000) if args.quick else (args.participants, args.records)
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ristra-linkage-"))
    # generated in a child process, so the peak memory below is the linkage's own
    with mp.get_context("spawn").Pool(1) as pool:
        pool.apply(_generate_to, (n, m, args.seed, str(workdir)))
    participants = pl.read_parquet(workdir / "participants.parquet")
    records = pl.read_parquet(workdir / "records.parquet")
    truth = set(pl.read_parquet(workdir / "truth.parquet").iter_rows())
    shutil.rmtree(workdir)
    print(
        f"generated {n:,} participants, {m:,} records, {len(truth):,} true matches "
        f"in {time.perf_counter() - start:.1f} s"
    )

    cpu = time.process_time()
    result: LinkResult = link(participants, records, settings=LinkSettings())
    cpu = time.process_time() - cpu
    load = os.getloadavg()[0]
    links = {(c.participant_id, c.record_id) for c in result.candidates if c.decision == "link"}
    linked = {c.participant_id for c in result.candidates if c.decision == "link"}
    review = {c.participant_id for c in result.candidates if c.decision == "review"} - linked
    precision, recall, f1 = score(links, truth)
    methods: dict[str, int] = {}
    for c in result.candidates:
        if c.decision == "link":
            methods[c.method] = methods.get(c.method, 0) + 1
    found_in_review = len(
        {(c.participant_id, c.record_id) for c in result.candidates if c.decision == "review"}
        & truth
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"Ristra (Splink 5, DuckDB): {len(links):,} links, precision {precision:.4f}, "
        f"recall {recall:.4f}, F1 {f1:.4f}, {result.seconds:.1f} s wall ({cpu:.1f} s CPU, "
        f"load average {load:.1f} on {os.cpu_count()} cores), peak memory {rss:.0f} MB"
    )
    print(f"  links by method: {', '.join(f'{k} {v:,}' for k, v in sorted(methods.items()))}")
    print(
        f"  review queue: {len(review):,} participants ({len(review) / n:.2%} of participants); "
        f"{found_in_review:,} true pairs among the review items"
    )
    for note in result.notes:
        print(f"  note: {note}")
    targets = f1 >= 0.95 and len(review) / n < 0.02 and result.seconds < 120
    print(f"  targets (F1 >= 0.95, review < 2%, < 120 s): {'met' if targets else 'NOT met'}")

    start = time.perf_counter()
    base = exact_baseline(participants, records)
    seconds = time.perf_counter() - start
    bp, br, bf = score(base, truth)
    print(
        f"exact name + birth date baseline: {len(base):,} links, precision {bp:.4f}, "
        f"recall {br:.4f}, F1 {bf:.4f}, {seconds:.1f} s; Ristra's F1 is {f1 / bf:.2f}x"
    )
    if args.no_anchor:
        return
    anchor = recordlinkage_anchor(participants, records)
    if isinstance(anchor, str):
        print(f"recordlinkage: {anchor}")
        return
    classified, rl_seconds = anchor
    print(
        "recordlinkage 0.16 (blocking on birth date and on the full name; Jaro-Winkler names, "
        f"exact birth date, e-mail and institution): {rl_seconds:.1f} s for both classifiers"
    )
    for name, rl_links in classified.items():
        ap, ar, af = score(rl_links, truth)
        print(
            f"  {name}: {len(rl_links):,} links, precision {ap:.4f}, recall {ar:.4f}, "
            f"F1 {af:.4f}; Ristra's F1 is {f1 / af if af else float('inf'):.2f}x"
        )
    print(f"  time: recordlinkage {rl_seconds / result.seconds:.2f}x Ristra's")


if __name__ == "__main__":
    main()
