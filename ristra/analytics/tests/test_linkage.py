"""Record linkage on a small generated population with planted hard cases."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest

from ristra.analytics.linkage import (
    COMPARISONS,
    IDENTIFIER_WEIGHT,
    NAMESAKE_USER_U,
    RECORD_COLUMNS,
    Candidate,
    LinkInputError,
    LinkResult,
    LinkSettings,
    _namesake_user_u,
    comparison_keys,
    link,
    splink_settings,
    user_name_from_names,
)

FAST = LinkSettings(em_max_pairs=2e5)
GIVEN = [
    "Maria",
    "Jose",
    "Juan",
    "Luis",
    "Carlos",
    "Ana",
    "Sofia",
    "Daniel",
    "Gabriela",
    "Diego",
    "Lucia",
    "Camila",
    "Natalia",
    "Andrea",
    "Emily",
    "Olivia",
    "Emma",
    "Noah",
    "Liam",
    "Ethan",
    "Lucas",
    "Aaliyah",
    "Jasmine",
    "Imani",
    "Priya",
    "Wei",
    "Minh",
    "Omar",
    "Fatima",
    "Hiroshi",
    "Keisha",
    "Marcus",
    "Xavier",
    "Nayeli",
    "Itzel",
    "Kai",
    "Harper",
    "Logan",
    "Elijah",
    "Ava",
]
SYLLABLES = [
    "ba",
    "ke",
    "li",
    "mo",
    "nu",
    "ra",
    "se",
    "ti",
    "vo",
    "za",
    "an",
    "er",
    "in",
    "ol",
    "ur",
    "son",
    "ley",
    "man",
    "berg",
    "ford",
    "ez",
    "os",
]

# participant id -> (participant row, record row): the hard cases that must link
PLANTED: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "nickname": (
        {"given_name": "William", "family_name": "Okonkwo-Reyes", "birth_date": "2001-03-14"},
        {"given_name": "Bill", "family_name": "Okonkwo-Reyes", "birth_date": "2001-03-14"},
    ),
    "spanish nickname": (
        {"given_name": "Francisco", "family_name": "Tlapalcoyotl", "birth_date": "1999-07-02"},
        {"given_name": "Paco", "family_name": "Tlapalcoyotl", "birth_date": "1999-07-02"},
    ),
    "typo": (
        {"given_name": "Guadalupe", "family_name": "Vandermeulen", "birth_date": "2000-11-23"},
        {"given_name": "Guadalupe", "family_name": "Vandermuelen", "birth_date": "2000-11-23"},
    ),
    "swapped date": (
        {"given_name": "Rosario", "family_name": "Quispe Mamani", "birth_date": "2002-04-09"},
        {"given_name": "Rosario", "family_name": "Quispe Mamani", "birth_date": "2002-09-04"},
    ),
    "date typo": (
        {"given_name": "Dolores", "family_name": "Achterberg", "birth_date": "1998-05-17"},
        {"given_name": "Dolores", "family_name": "Achterberg", "birth_date": "1998-05-27"},
    ),
    "accents": (
        {"given_name": "José Ángel", "family_name": "Núñez Ibáñez", "birth_date": "2003-01-30"},
        {"given_name": "JOSE ANGEL", "family_name": "Nunez Ibanez", "birth_date": "2003-01-30"},
    ),
    "former name": (
        {"given_name": "Yolanda", "family_name": "Etsitty", "birth_date": "1997-12-05"},
        {
            "given_name": "Yolanda",
            "family_name": "Whitehorse",
            "former_names": "Etsitty",
            "birth_date": "1997-12-05",
        },
    ),
    "former name and date typo": (
        {"given_name": "Marisol", "family_name": "Tsinajinnie", "birth_date": "1999-02-11"},
        {
            "given_name": "Marisol",
            "family_name": "Whitfield",
            "former_names": "Tsinajinnie",
            "birth_date": "1999-12-11",
        },
    ),
    "year typo and given-name typo": (
        {"given_name": "Ximena", "family_name": "Hatathlie", "birth_date": "2001-08-30"},
        {"given_name": "Ximenna", "family_name": "Hatathlie", "birth_date": "2004-08-30"},
    ),
    "changed e-mail": (
        {
            "given_name": "Thảo",
            "family_name": "Nguyễn",
            "birth_date": "2001-06-21",
            "email": "thao.nguyen@school.edu",
        },
        {
            "given_name": "Thao",
            "family_name": "Nguyen",
            "birth_date": "2001-06-21",
            "email": "tnguyen2001@gmail.com",
        },
    ),
}
COMMON_NAME = {"given_name": "Maria", "family_name": "Garcia", "institution": "Fresno College"}


def _row(record_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RECORD_COLUMNS)
    row["record_id"] = record_id
    row.update(values)
    return row


def _df(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict.fromkeys(RECORD_COLUMNS, pl.Utf8))


def _population(seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame, set[tuple[str, str]]]:
    """120 ordinary participants (40 with a lightly corrupted record), the planted cases,
    1,500 other records from the same distributions, and a namesake: a record with a
    participant's common name but another person's birth date, e-mail and school."""
    rng = random.Random(seed)
    participants: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    truth: set[tuple[str, str]] = set()

    def person() -> dict[str, Any]:
        given = rng.choice(GIVEN)
        family = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 3))).capitalize()
        birth = f"{rng.randint(1995, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return {
            "given_name": given,
            "family_name": family,
            "birth_date": birth,
            "email": f"{given[0]}{family}{rng.randint(1, 99)}@example.org".lower(),
            "institution": rng.choice(["Fresno College", "Tucson High School", "UNM"]),
        }

    for i in range(120):
        values = person()
        participants.append(_row(f"p{i}", **values))
        if i % 3 == 0:
            later = dict(values, email=None if i % 2 else values["email"])
            records.append(_row(f"r{i}", **later))
            truth.add((f"p{i}", f"r{i}"))
    for name, (p, r) in PLANTED.items():
        institution = rng.choice(["Fresno College", "UNM"])
        participants.append(_row(f"p-{name}", institution=institution, **p))
        records.append(_row(f"r-{name}", institution=institution, **r))
        truth.add((f"p-{name}", f"r-{name}"))
    participants.append(
        _row("p-common", birth_date="2001-03-04", email="mgarcia@school.edu", **COMMON_NAME)
    )
    records.append(
        _row(
            "r-namesake",
            given_name="Maria",
            family_name="Garcia",
            birth_date="1996-08-19",
            email="maria.g@mail.com",
            institution="UNM",
        )
    )
    for j in range(1500):
        records.append(_row(f"x{j}", **person()))
    rng.shuffle(records)
    return _df(participants), _df(records), truth


@pytest.fixture(scope="module")
def population() -> tuple[pl.DataFrame, pl.DataFrame, set[tuple[str, str]]]:
    return _population()


@pytest.fixture(scope="module")
def result(population: tuple[pl.DataFrame, pl.DataFrame, set[tuple[str, str]]]) -> LinkResult:
    participants, records, _ = population
    return link(participants, records, settings=FAST)


def _links(result: LinkResult) -> dict[str, Candidate]:
    return {c.participant_id: c for c in result.candidates if c.decision == "link"}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_it_links_the_hard_cases(result: LinkResult, case: str) -> None:
    links = _links(result)
    assert f"p-{case}" in links, [c for c in result.candidates if c.participant_id == f"p-{case}"]
    assert links[f"p-{case}"].record_id == f"r-{case}"


def test_it_links_most_people_and_nobody_wrongly(
    population: tuple[pl.DataFrame, pl.DataFrame, set[tuple[str, str]]], result: LinkResult
) -> None:
    _, _, truth = population
    links = {(c.participant_id, c.record_id) for c in _links(result).values()}
    assert links <= truth, links - truth
    assert len(links) >= 0.95 * len(truth)
    assert result.participants == 121 + len(PLANTED)
    assert result.records == 40 + len(PLANTED) + 1 + 1500


def test_it_does_not_link_a_namesake(result: LinkResult) -> None:
    assert all(c.record_id != "r-namesake" for c in result.candidates)


def test_it_explains_every_candidate(result: LinkResult) -> None:
    labels = set(COMPARISONS.values())
    assert result.candidates
    for candidate in result.candidates:
        assert candidate.evidence
        weights = [abs(e.weight) for e in candidate.evidence]
        assert weights == sorted(weights, reverse=True)
        if candidate.method == "probabilistic":
            assert {e.comparison for e in candidate.evidence} == labels
            assert 0.5 <= candidate.match_probability <= 1.0
    swapped = _links(result)["p-swapped date"]
    levels = {e.comparison: e.level for e in swapped.evidence}
    assert levels["birth date"] == "day and month swapped"
    assert levels["given name"] == "exact"
    nickname = {e.comparison: e for e in _links(result)["p-nickname"].evidence}
    assert nickname["given name"].level == "nickname"
    assert nickname["given name"].weight > 0
    former = {e.comparison: e for e in _links(result)["p-former name"].evidence}
    assert former["family name"].level == "former name"


def test_it_links_shared_identifiers_deterministically() -> None:
    participants = _df(
        [
            _row("p1", given_name="Ana", family_name="Ruiz", aamc_id="12345678"),
            _row("p2", given_name="Luis", email="L@X.org", birth_date="2000-01-02"),
        ]
    )
    records = _df(
        [
            _row("r1", given_name="Anne", family_name="Smith", aamc_id=" 12345678 "),
            _row("r2", given_name="Luisa", email="l@x.org ", birth_date="2000-01-02"),
            _row("r3", given_name="Other", email="o@x.org", birth_date="2001-01-02"),
        ]
    )
    found = link(participants, records, settings=FAST)
    links = {(c.participant_id, c.record_id, c.method) for c in found.candidates}
    assert links == {
        ("p1", "r1", "identifier:aamc_id"),
        ("p2", "r2", "identifier:email+birth_date"),
    }
    for candidate in found.candidates:
        assert candidate.match_probability == 1.0
        assert candidate.match_weight == IDENTIFIER_WEIGHT
        assert candidate.decision == "link"


def test_it_honours_decisions(
    population: tuple[pl.DataFrame, pl.DataFrame, set[tuple[str, str]]],
) -> None:
    participants, records, _ = population
    decisions = {
        ("p-nickname", "r-nickname"): False,  # rejected although the evidence is strong
        ("p-common", "r-namesake"): True,  # confirmed although the evidence is weak
        ("p-typo", "r-typo"): True,
        ("p-ghost", "r-typo"): False,  # names nobody in this run: noted, not applied
    }
    found = link(participants, records, settings=FAST, decisions=decisions)
    pairs = {(c.participant_id, c.record_id): c for c in found.candidates}
    assert ("p-nickname", "r-nickname") not in pairs
    assert pairs[("p-common", "r-namesake")].decision == "link"
    assert pairs[("p-common", "r-namesake")].method == "manual"
    assert pairs[("p-typo", "r-typo")].method == "manual"
    assert "1 decision(s) name a participant or record not in this run" in " ".join(found.notes)


def test_it_refuses_contradictory_confirmations(
    population: tuple[pl.DataFrame, pl.DataFrame, set[tuple[str, str]]],
) -> None:
    participants, records, _ = population
    with pytest.raises(LinkInputError, match="'r-typo' is confirmed as linked to more than one"):
        link(
            participants,
            records,
            settings=FAST,
            decisions={("p-typo", "r-typo"): True, ("p-nickname", "r-typo"): True},
        )


def test_it_runs_with_empty_frames() -> None:
    empty = pl.DataFrame(schema=dict.fromkeys(RECORD_COLUMNS, pl.Utf8))
    found = link(empty, empty)
    assert found.candidates == []
    assert (found.participants, found.records) == (0, 0)


def _frame(**changes: Any) -> pl.DataFrame:
    row = _row("a", given_name="Ana", birth_date="2000-01-31")
    row.update(changes)
    return _df([row])


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            _frame().drop("email", "aamc_id"),
            r"participants frame lacks the column\(s\) email, aamc_id",
        ),
        (_frame(birth_date="31/01/2000"), "not ISO dates .* record 'a' \\('31/01/2000'\\)"),
        (_frame(birth_date="2000-02-30"), "1 birth date\\(s\\) that are not ISO dates"),
        (pl.concat([_frame(), _frame()]), "repeats record_id 'a'"),
        (_frame(record_id=None), "1 row\\(s\\) without record_id"),
        (_frame().with_columns(pl.lit(1).alias("aamc_id")), "'aamc_id' must hold text"),
    ],
)
def test_it_explains_bad_input(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(LinkInputError, match=message):
        link(frame, _frame())


def test_it_rejects_bad_settings() -> None:
    with pytest.raises(LinkInputError, match="review threshold <= automatic threshold"):
        LinkSettings(auto_threshold=0.4, review_threshold=0.6)
    with pytest.raises(LinkInputError, match="max_candidates"):
        LinkSettings(max_candidates=0)


def test_a_run_links_one_to_one_within_the_candidate_cap(result: LinkResult) -> None:
    links = [c for c in result.candidates if c.decision == "link"]
    assert len({c.participant_id for c in links}) == len(links)
    assert len({c.record_id for c in links}) == len(links)
    per_participant: dict[str, int] = {}
    for candidate in result.candidates:
        per_participant[candidate.participant_id] = (
            per_participant.get(candidate.participant_id, 0) + 1
        )
        assert candidate.match_probability >= FAST.review_threshold
        if candidate.decision == "link":
            assert candidate.match_probability >= FAST.auto_threshold
    assert max(per_participant.values()) <= FAST.max_candidates


# --------------------------------------------------------------------------- user names


@pytest.mark.parametrize(
    ("email", "given", "family", "built"),
    [
        ("jgarcia12@x.org", "José", "García", True),
        ("Maria.Lopez@X.ORG", "María", "López Ruiz", True),
        ("k.obrien@x.org", "Kate", "O'Brien", True),
        ("ruiz99@x.org", "Ana", "López Ruiz", True),
        ("dragonfly7@x.org", "Ana", "López", False),
        ("li@x.org", "Li", "Wu", False),  # names under three letters are too short to tell
        (None, "Ana", "López", False),
        ("not-an-address", "Ana", "López", False),
    ],
)
def test_a_user_name_built_from_the_names_is_recognised(
    email: str | None, given: str, family: str, built: bool
) -> None:
    assert user_name_from_names(email, given, family) is built


def _namesakes(n: int, agreeing: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n`` participant-record namesake pairs (other birth dates, other addresses), of
    which ``agreeing`` share the user name at another domain."""
    participants, records = [], []
    for i in range(n):
        family = f"Garcia{chr(97 + i % 26)}"
        values = {"given_name": "Maria", "family_name": family}
        user = f"m{family.lower()}{i}"
        participants.append(
            _row(f"p{i}", birth_date="2001-01-01", email=f"{user}@school.edu", **values)
        )
        other = user if i < agreeing else f"{user}x"
        records.append(_row(f"r{i}", birth_date="1999-09-09", email=f"{other}@mail.com", **values))
    return _df(participants), _df(records)


def test_the_namesake_user_name_u_is_measured_among_namesakes() -> None:
    import duckdb

    participants, records = _namesakes(260, 26)
    p, r = comparison_keys(participants), comparison_keys(records)
    # each family name groups 10 participants with 10 records: 2,600 namesake pairs
    # (a tenth of the names per letter), of which the 26 planted ones agree
    with duckdb.connect() as con:
        u = _namesake_user_u(con, p, r)
    assert u == pytest.approx(26 / 2600)
    few_p, few_r = _namesakes(10, 10)
    with duckdb.connect() as con:
        assert _namesake_user_u(con, comparison_keys(few_p), comparison_keys(few_r)) == (
            NAMESAKE_USER_U
        )


def test_a_shared_name_built_user_name_weighs_its_namesake_u() -> None:
    email = next(
        c
        for c in splink_settings(namesake_user_u=0.002)["comparisons"]
        if c["output_column_name"] == "email"
    )
    level = next(
        x
        for x in email["comparison_levels"]
        if x.get("label_for_charts", "").startswith("same user name built")
    )
    assert level["u_probability"] == 0.002
    assert level["fix_u_probability"] is True
