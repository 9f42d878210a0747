from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.analytics.conventions import (
    CONVENTIONS,
    GROUPS_2024,
    RACES_1997,
    CountingOptions,
    RaceEthnicityAnswers,
    classify,
    classify_frame,
    count_categories,
    crosswalk_1997_to_2024,
    crosswalk_2024_to_1997,
    get_convention,
    resolve,
)
from ristra.analytics.importspec import SELFID_FIELDS

A = RaceEthnicityAnswers
PREFER_1997 = CountingOptions(prefer="1997")
MENA_NOT_COUNTED = CountingOptions(mena_in_1997="not_counted")
ALL_OPTIONS = (
    CountingOptions(),
    PREFER_1997,
    MENA_NOT_COUNTED,
    CountingOptions(prefer="1997", mena_in_1997="not_counted"),
)
PAIRS = (
    ("omb1997_alone", "omb1997_alone_or_in_combination"),
    ("spd15_alone", "spd15_alone_or_in_combination"),
    ("spd15_multiracial", "spd15_alone_or_in_combination"),
    ("aamc_alone", "aamc_alone_or_in_combination"),
)


def one(answers: RaceEthnicityAnswers, convention: str, **options: str) -> str:
    result = classify(answers, convention, CountingOptions(**options))  # type: ignore[arg-type]
    assert len(result) == 1, result
    return result[0]


# --------------------------------------------------------------------------- vocabulary
def test_it_uses_the_import_vocabularies() -> None:
    vocab = {spec.name: spec.vocabulary for spec in SELFID_FIELDS}
    assert set(vocab["hispanic"]) == {"yes", "no", "declined"}
    assert set(vocab["race"]) == {*RACES_1997, "declined"}
    assert set(vocab["race_ethnicity_2024"]) == {*GROUPS_2024, "declined"}
    assert set(vocab["citizenship"]) == {
        "us_citizen",
        "permanent_resident",
        "nonresident",
        "declined",
    }


def test_it_gives_every_convention_unique_ordered_categories_with_labels() -> None:
    for name, convention in CONVENTIONS.items():
        assert convention.name == name
        assert len(set(convention.codes)) == len(convention.codes)
        assert all(label for _, label in convention.categories)
        assert convention.codes[-1] == "unknown"
    assert len(CONVENTIONS["ipeds"].categories) == 9
    assert CONVENTIONS["ipeds"].codes[:2] == ("nonresident", "hispanic")


def test_it_names_the_valid_conventions_for_an_unknown_one() -> None:
    with pytest.raises(KeyError, match="ipeds"):
        get_convention("ipeds2")


# --------------------------------------------------------------------------- input
def test_it_builds_answers_from_stored_codes() -> None:
    answers = A.from_codes(
        {
            "hispanic": ["yes"],
            "race": ["white", "black"],
            "race_ethnicity_2024": [],
            "citizenship": "us_citizen",
            "sex": ["female"],
        }
    )
    assert answers == A("yes", ("white", "black"), None, "us_citizen")
    assert A.from_codes({}) == A()
    assert A.from_codes({"race": ["declined"]}).race == ("declined",)


def test_it_rejects_codes_outside_the_vocabulary() -> None:
    with pytest.raises(ValueError, match="'mena' is not a race code"):
        A(race=("mena",))
    with pytest.raises(ValueError, match="hispanic"):
        A(hispanic="si")
    with pytest.raises(ValueError, match="one answer"):
        A.from_codes({"hispanic": ["yes", "no"]})
    with pytest.raises(TypeError):
        A(race="white")  # type: ignore[arg-type]


def test_it_stores_lists_as_tuples_so_answers_stay_hashable() -> None:
    answers = A(race=["white"])  # type: ignore[arg-type]
    assert answers.race == ("white",)
    assert hash(answers) == hash(A(race=("white",)))


# --------------------------------------------------------------------------- IPEDS
@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (A("yes", ("black",), None, "nonresident"), "nonresident"),  # nonresident Hispanic
        (A("no", ("white", "asian"), None, "nonresident"), "nonresident"),
        (A(None, None, None, "nonresident"), "nonresident"),
        (A("yes", ("black",), None, "us_citizen"), "hispanic"),  # Hispanic Black
        (A("yes", ("black", "white")), "hispanic"),  # Hispanic of any race, several too
        (A("yes", ("declined",)), "hispanic"),  # Hispanic with declined race
        (A("yes", None), "hispanic"),
        (A("no", ("black", "white")), "two_or_more"),
        (A("no", ("declined",)), "unknown"),  # declined race, not Hispanic
        (A("declined", ("declined",)), "unknown"),
        (A("no", None), "unknown"),  # no race selected
        (A("no", ()), "unknown"),
        (A(), "unknown"),  # not asked
        (A(None, None, None, "declined"), "unknown"),
        (A("no", ("asian",), None, "permanent_resident"), "asian"),
        (A("declined", ("white",)), "white"),  # race known, ethnicity declined
        (A(None, ("aian",)), "aian"),
        (A("no", ("nhpi", "nhpi")), "nhpi"),  # a repeated code is one race
        (A("no", ("white", "declined")), "white"),  # selections win over a stray decline
    ],
)
def test_it_applies_the_ipeds_precedence(answers: RaceEthnicityAnswers, expected: str) -> None:
    assert one(answers, "ipeds") == expected


def test_it_counts_a_2024_answer_in_ipeds_through_the_crosswalk() -> None:
    assert one(A(combined_2024=("hispanic", "white")), "ipeds") == "hispanic"
    assert one(A(combined_2024=("black", "asian")), "ipeds") == "two_or_more"
    assert one(A(combined_2024=("mena",)), "ipeds") == "white"
    assert one(A(combined_2024=("mena", "white")), "ipeds") == "white"
    assert one(A(combined_2024=("mena", "black")), "ipeds") == "two_or_more"
    assert one(A(combined_2024=("mena",)), "ipeds", mena_in_1997="not_counted") == "unknown"
    assert one(A(combined_2024=("mena", "black")), "ipeds", mena_in_1997="not_counted") == "black"
    assert one(A(combined_2024=("declined",)), "ipeds") == "unknown"


# --------------------------------------------------------------------------- OMB 1997
def test_it_counts_omb_1997_race_alone_and_in_combination() -> None:
    hispanic_black_white = A("yes", ("black", "white"))
    assert classify(hispanic_black_white, "omb1997_alone") == ("two_or_more",)
    assert classify(hispanic_black_white, "omb1997_alone_or_in_combination") == ("black", "white")
    assert classify(hispanic_black_white, "omb1997_ethnicity") == ("hispanic",)

    assert classify(A("no", ("asian",)), "omb1997_alone") == ("asian",)
    assert classify(A("yes", ("declined",)), "omb1997_alone") == ("unknown",)
    assert classify(A("yes", None), "omb1997_alone_or_in_combination") == ("unknown",)

    assert classify(A("no"), "omb1997_ethnicity") == ("not_hispanic",)
    assert classify(A("declined", ("white",)), "omb1997_ethnicity") == ("unknown",)
    assert classify(A(), "omb1997_ethnicity") == ("unknown",)


# --------------------------------------------------------------------------- SPD 15
def test_it_tabulates_spd15_hispanic_white_three_ways() -> None:
    person = A(combined_2024=("white", "hispanic"))
    assert classify(person, "spd15_alone_or_in_combination") == ("hispanic", "white")
    assert classify(person, "spd15_multiracial") == ("multiracial",)
    alone = classify(person, "spd15_alone")
    assert "hispanic" not in alone and "white" not in alone
    assert alone == ("two_or_more",)


def test_it_counts_spd15_single_groups_alone() -> None:
    for group in GROUPS_2024:
        person = A(combined_2024=(group,))
        assert classify(person, "spd15_alone") == (group,)
        assert classify(person, "spd15_multiracial") == (group,)
        assert classify(person, "spd15_alone_or_in_combination") == (group,)
    assert classify(A(combined_2024=("mena",)), "spd15_alone") == ("mena",)
    assert classify(A(combined_2024=("declined",)), "spd15_multiracial") == ("unknown",)
    black_asian = A(combined_2024=("black", "asian"))
    assert classify(black_asian, "spd15_multiracial") == ("multiracial",)
    assert classify(black_asian, "spd15_alone_or_in_combination") == ("asian", "black")


# --------------------------------------------------------------------------- AAMC
def test_it_counts_aamc_style_with_hispanic_as_one_choice() -> None:
    assert classify(A(combined_2024=("hispanic",)), "aamc_alone") == ("hispanic",)
    assert classify(A(combined_2024=("hispanic", "black")), "aamc_alone") == ("multiple",)
    assert classify(A(combined_2024=("hispanic", "black")), "aamc_alone_or_in_combination") == (
        "black",
        "hispanic",
    )
    # From 1997 answers: Hispanic (yes) with one race is two choices in AAMC terms ...
    assert classify(A("yes", ("white",)), "aamc_alone") == ("multiple",)
    # ... while IPEDS counts the same person as Hispanic.
    assert classify(A("yes", ("white",)), "ipeds") == ("hispanic",)
    assert classify(A("yes", ("declined",)), "aamc_alone") == ("hispanic",)
    assert classify(A("no", ("asian",)), "aamc_alone") == ("asian",)
    assert classify(A(), "aamc_alone_or_in_combination") == ("unknown",)
    assert CONVENTIONS["aamc_alone"].labels["multiple"] == "Multiple race/ethnicity"


# --------------------------------------------------------------------------- crosswalk
@pytest.mark.parametrize(
    ("hispanic", "race", "expected"),
    [
        ("yes", ("white",), ("hispanic", "white")),
        ("no", ("white",), ("white",)),  # never MENA, even if the person would choose it now
        ("yes", ("declined",), ("hispanic",)),
        ("yes", None, ("hispanic",)),
        ("no", ("declined",), ()),
        ("declined", ("black", "asian"), ("asian", "black")),
        (None, None, ()),
        ("no", ("nhpi", "aian"), ("aian", "nhpi")),
    ],
)
def test_it_crosswalks_1997_answers_to_2024_groups(
    hispanic: str | None, race: tuple[str, ...] | None, expected: tuple[str, ...]
) -> None:
    assert crosswalk_1997_to_2024(hispanic, race) == expected


def test_it_crosswalks_2024_answers_back_to_1997_terms() -> None:
    assert crosswalk_2024_to_1997(("hispanic", "white")) == ("yes", ("white",))
    assert crosswalk_2024_to_1997(("hispanic",)) == ("yes", ())
    assert crosswalk_2024_to_1997(("black",)) == ("no", ("black",))
    assert crosswalk_2024_to_1997(("mena",)) == ("no", ("white",))
    assert crosswalk_2024_to_1997(("mena",), "not_counted") == ("no", ())
    assert crosswalk_2024_to_1997(("declined",)) == ("unknown", ())
    assert crosswalk_2024_to_1997(None) == ("unknown", ())


def test_it_prefers_the_2024_answer_unless_told_otherwise() -> None:
    both = A("no", ("white",), ("mena",))
    assert resolve(both).source == "2024"
    assert classify(both, "spd15_alone") == ("mena",)
    assert classify(both, "spd15_alone", PREFER_1997) == ("white",)
    assert resolve(both, PREFER_1997).source == "1997"
    # A 2024 decline is an answer: it is not overridden by the older 1997 answer.
    declined_now = A("yes", ("black",), ("declined",))
    assert classify(declined_now, "ipeds") == ("unknown",)
    assert classify(declined_now, "ipeds", PREFER_1997) == ("hispanic",)
    # Only one question answered: that one is used whatever the preference.
    assert classify(A("yes", ("black",)), "spd15_multiracial") == ("multiracial",)
    assert classify(A(combined_2024=("black",)), "omb1997_alone", PREFER_1997) == ("black",)
    assert resolve(A()).source == "none"


def test_it_checks_the_options() -> None:
    with pytest.raises(ValueError, match="prefer"):
        CountingOptions(prefer="2020")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mena_in_1997"):
        CountingOptions(mena_in_1997="asian")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- frames
def frame_of(people: Sequence[RaceEthnicityAnswers]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "person_id": list(range(len(people))),
            "hispanic": [p.hispanic for p in people],
            "race": [None if p.race is None else list(p.race) for p in people],
            "combined_2024": [
                None if p.combined_2024 is None else list(p.combined_2024) for p in people
            ],
            "citizenship": [p.citizenship for p in people],
        },
        schema={
            "person_id": pl.Int64,
            "hispanic": pl.String,
            "race": pl.List(pl.String),
            "combined_2024": pl.List(pl.String),
            "citizenship": pl.String,
        },
    )


def test_it_classifies_a_frame_in_row_order_and_explodes_multi_conventions() -> None:
    people = [A("no", ("white", "black")), A(), A("no", ("black", "white")), A("yes", ("asian",))]
    result = classify_frame(frame_of(people), "omb1997_alone_or_in_combination")
    assert result.columns == ["person_id", "category"]
    assert result.rows() == [
        (0, "black"),
        (0, "white"),
        (1, "unknown"),
        (2, "black"),
        (2, "white"),
        (3, "asian"),
    ]
    ipeds = classify_frame(frame_of(people), "ipeds")
    assert ipeds.rows() == [(0, "two_or_more"), (1, "unknown"), (2, "two_or_more"), (3, "hispanic")]


def test_it_classifies_frames_with_missing_or_all_null_answer_columns() -> None:
    frame = pl.DataFrame({"person_id": ["a", "b"], "race": [None, None]})
    assert frame.schema["race"] == pl.Null
    assert classify_frame(frame, "ipeds").rows() == [("a", "unknown"), ("b", "unknown")]
    empty = frame_of([])
    assert classify_frame(empty, "spd15_alone_or_in_combination").height == 0


def test_it_rejects_badly_shaped_frames() -> None:
    with pytest.raises(ValueError, match="person_id"):
        classify_frame(pl.DataFrame({"race": [["white"]]}), "ipeds")
    with pytest.raises(TypeError, match="race"):
        classify_frame(pl.DataFrame({"person_id": [1], "race": ["white"]}), "ipeds")
    with pytest.raises(ValueError, match="'other' is not a race code"):
        classify_frame(pl.DataFrame({"person_id": [1], "race": [["other"]]}), "ipeds")


def test_it_counts_every_category_in_display_order() -> None:
    people = [A("yes", ("white",)), A("no", ("white",)), A("no", ("white",))]
    counts = count_categories(classify_frame(frame_of(people), "ipeds"), "ipeds")
    assert counts["category"].to_list() == list(CONVENTIONS["ipeds"].codes)
    assert dict(zip(counts["category"], counts["count"], strict=True)) == {
        "nonresident": 0,
        "hispanic": 1,
        "aian": 0,
        "asian": 0,
        "black": 0,
        "nhpi": 0,
        "white": 2,
        "two_or_more": 0,
        "unknown": 0,
    }


# --------------------------------------------------------------------------- properties
def selections(vocabulary: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...] | None]:
    # Any list, including empty, repeated codes and 'declined' mixed with selections.
    return st.none() | st.lists(st.sampled_from((*vocabulary, "declined")), max_size=4).map(tuple)


answers_strategy = st.builds(
    RaceEthnicityAnswers,
    hispanic=st.none() | st.sampled_from(("yes", "no", "declined")),
    race=selections(RACES_1997),
    combined_2024=selections(GROUPS_2024),
    citizenship=st.none()
    | st.sampled_from(("us_citizen", "permanent_resident", "nonresident", "declined")),
)
options_strategy = st.sampled_from(ALL_OPTIONS)


@given(answers_strategy, options_strategy)
def test_it_puts_everyone_in_exactly_one_category_of_an_exclusive_convention(
    answers: RaceEthnicityAnswers, options: CountingOptions
) -> None:
    for convention in CONVENTIONS.values():
        result = convention.classify(answers, options)
        assert set(result) <= set(convention.codes)
        if convention.exclusive:
            assert len(result) == 1
        else:
            assert len(result) >= 1
            assert len(set(result)) == len(result)
            assert list(result) == sorted(result, key=convention.codes.index)


@given(answers_strategy, options_strategy)
def test_it_never_derives_mena_from_1997_answers(
    answers: RaceEthnicityAnswers, options: CountingOptions
) -> None:
    assert "mena" not in crosswalk_1997_to_2024(answers.hispanic, answers.race)
    without_2024 = RaceEthnicityAnswers(answers.hispanic, answers.race, None, answers.citizenship)
    assert "mena" not in classify(without_2024, "spd15_alone_or_in_combination", options)


@given(answers_strategy, options_strategy)
def test_it_places_alone_people_in_their_in_combination_group(
    answers: RaceEthnicityAnswers, options: CountingOptions
) -> None:
    for alone, combination in PAIRS:
        (category,) = classify(answers, alone, options)
        if category in CONVENTIONS[combination].codes:
            assert category in classify(answers, combination, options)


@settings(max_examples=60, deadline=None)
@given(st.lists(answers_strategy, max_size=60), options_strategy)
def test_it_counts_populations_consistently(
    people: list[RaceEthnicityAnswers], options: CountingOptions
) -> None:
    frame = frame_of(people)
    counts: dict[str, dict[str, int]] = {}
    for name, convention in CONVENTIONS.items():
        classified = classify_frame(frame, name, options)
        # The vectorised path agrees with classifying person by person.
        expected = [(i, c) for i, p in enumerate(people) for c in convention.classify(p, options)]
        assert classified.rows() == expected
        table = count_categories(classified, name)
        counts[name] = dict(zip(table["category"], table["count"], strict=True))
        total = sum(counts[name].values())
        if convention.exclusive:
            assert total == len(people)
        else:
            assert total >= len(people)
        assert counts[name] == {
            code: Counter(c for _, c in expected)[code] for code in convention.codes
        }
    for alone, combination in PAIRS:
        for code in CONVENTIONS[combination].codes:
            if code in counts[alone]:
                assert counts[combination][code] >= counts[alone][code], (alone, code)
