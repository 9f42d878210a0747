"""Counting conventions: derive reporting categories from raw race/ethnicity answers.

Ristra stores what each person selected (see ``SelfIdentification.answers``) and derives
categories only when counting.  This module holds the derivations, as plain data
and pure functions, so that every report, export and test counts the same way.

Input
-----
One :class:`RaceEthnicityAnswers` per person, holding the codes of four questions:

* ``hispanic``: OMB 1997 question 1 (``yes``, ``no``, ``declined``);
* ``race``: OMB 1997 question 2, several of ``aian asian black nhpi white`` (or ``declined``);
* ``combined_2024``: the SPD 15 (2024) combined question, several of
  ``aian asian black hispanic mena nhpi white`` (or ``declined``);
* ``citizenship``: ``us_citizen``, ``permanent_resident``, ``nonresident``, ``declined``.

``None`` means the question was not asked or not answered; an empty selection is
treated the same way.  ``declined`` next to real selections is ignored (the
selections win); the importer rejects such answers anyway.

Resolution
----------
A person may have answered the 1997 questions, the 2024 question, or both.  Each
convention first :func:`resolve`\\ s the answers into one view in both frames:

* when both exist, :attr:`CountingOptions.prefer` decides which is used (default
  ``"2024"``, the more recent question).  A decline is an answer: a declined 2024
  question is not overridden by an older 1997 answer;
* 1997 -> 2024 (:func:`crosswalk_1997_to_2024`): ``hispanic == "yes"`` adds
  ``hispanic`` to the race selections.  Middle Eastern or North African can never
  be derived from 1997 answers (people who select it in 2024 typically selected
  White in 1997); it is never guessed;
* 2024 -> 1997 (:func:`crosswalk_2024_to_1997`): ``hispanic`` selected -> ethnicity
  ``yes``, otherwise ``no``; ``mena`` -> White (the 1997 definition of White
  includes origins in the Middle East and North Africa) unless
  :attr:`CountingOptions.mena_in_1997` is ``"not_counted"``.

An unanswered or declined ethnicity question next to a selected race counts by the
race (it is not "unknown").  "Unknown" always means: no race selected *and* not
Hispanic (declined, not asked, or nothing selected).

Output
------
:data:`CONVENTIONS` maps a name to a :class:`Convention` with its ordered
``categories`` (code, label) and a ``classify`` function.  Exclusive conventions
put each person in exactly one category (counts sum to the population);
"alone or in combination" conventions put a person in every group selected (counts
sum to more than the population).  :func:`classify_frame` does the same for a
polars frame of many people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from ristra.analytics.importspec import DECLINED

Prefer = Literal["2024", "1997"]
MenaIn1997 = Literal["white", "not_counted"]
Hispanic1997 = Literal["yes", "no", "unknown"]

#: OMB 1997 question 2 race codes, in display order.
RACES_1997: tuple[str, ...] = ("aian", "asian", "black", "nhpi", "white")
#: SPD 15 (2024) minimum categories, in display order (alphabetical by label).
GROUPS_2024: tuple[str, ...] = ("aian", "asian", "black", "hispanic", "mena", "nhpi", "white")
HISPANIC_CODES: tuple[str, ...] = ("yes", "no", DECLINED)
CITIZENSHIP_CODES: tuple[str, ...] = ("us_citizen", "permanent_resident", "nonresident", DECLINED)
NONRESIDENT = "nonresident"

#: Question (``Dimension``) names read by :meth:`RaceEthnicityAnswers.from_codes`.
DIMENSIONS: dict[str, str] = {
    "hispanic": "hispanic",
    "race": "race",
    "combined_2024": "race_ethnicity_2024",
    "citizenship": "citizenship",
}

#: Columns read by :func:`classify_frame` (besides ``person_id``).
ANSWER_COLUMNS: tuple[str, ...] = ("hispanic", "race", "combined_2024", "citizenship")
_LIST_COLUMNS = frozenset({"race", "combined_2024"})


# --------------------------------------------------------------------------- input
def _check_codes(
    codes: tuple[str, ...] | None, vocabulary: tuple[str, ...], question: str
) -> tuple[str, ...] | None:
    if codes is None:
        return None
    if isinstance(codes, str):
        raise TypeError(f"{question} takes a tuple of codes, not the string {codes!r}")
    codes = tuple(codes)
    for code in codes:
        if code not in vocabulary:
            allowed = ", ".join(vocabulary)
            raise ValueError(f"{code!r} is not a {question} code (allowed: {allowed})")
    return codes


def _check_code(code: str | None, vocabulary: tuple[str, ...], question: str) -> None:
    if code is not None and code not in vocabulary:
        allowed = ", ".join(vocabulary)
        raise ValueError(f"{code!r} is not a {question} code (allowed: {allowed})")


@dataclass(frozen=True)
class RaceEthnicityAnswers:
    """One person's answers, as codes.  ``None``: not asked / no answer."""

    hispanic: str | None = None
    race: tuple[str, ...] | None = None
    combined_2024: tuple[str, ...] | None = None
    citizenship: str | None = None

    def __post_init__(self) -> None:
        _check_code(self.hispanic, HISPANIC_CODES, "hispanic")
        _check_code(self.citizenship, CITIZENSHIP_CODES, "citizenship")
        # Lists are accepted at run time and stored as tuples, so answers stay hashable.
        race = _check_codes(self.race, (*RACES_1997, DECLINED), "race")
        combined = _check_codes(self.combined_2024, (*GROUPS_2024, DECLINED), "combined_2024")
        object.__setattr__(self, "race", race)
        object.__setattr__(self, "combined_2024", combined)

    @classmethod
    def from_codes(cls, mapping: Mapping[str, Sequence[str]]) -> RaceEthnicityAnswers:
        """Build from ``{dimension: codes}``, the codes of each answer as stored.

        Keys are dimension names (``hispanic``, ``race``, ``race_ethnicity_2024``,
        ``citizenship``); other keys are ignored.  A missing key or an empty list
        means no answer.  Single-answer questions accept one code (or a bare string).
        """

        def many(dimension: str) -> tuple[str, ...] | None:
            value = mapping.get(dimension)
            if value is None:
                return None
            codes = (value,) if isinstance(value, str) else tuple(value)
            return codes or None

        def one(dimension: str) -> str | None:
            codes = many(dimension)
            if codes is None:
                return None
            if len(codes) > 1:
                raise ValueError(f"{dimension} takes one answer, got {list(codes)}")
            return codes[0]

        return cls(
            hispanic=one(DIMENSIONS["hispanic"]),
            race=many(DIMENSIONS["race"]),
            combined_2024=many(DIMENSIONS["combined_2024"]),
            citizenship=one(DIMENSIONS["citizenship"]),
        )


@dataclass(frozen=True)
class CountingOptions:
    """Choices a school may change; the defaults are documented in counting-conventions.md."""

    #: Which question wins when a person answered both the 2024 and the 1997 questions.
    prefer: Prefer = "2024"
    #: How a 2024 ``mena`` selection counts in 1997-based conventions (IPEDS, OMB 1997):
    #: as White (the 1997 definition of White), or not at all.
    mena_in_1997: MenaIn1997 = "white"

    def __post_init__(self) -> None:
        if self.prefer not in ("2024", "1997"):
            raise ValueError(f"prefer must be '2024' or '1997', not {self.prefer!r}")
        if self.mena_in_1997 not in ("white", "not_counted"):
            raise ValueError(
                f"mena_in_1997 must be 'white' or 'not_counted', not {self.mena_in_1997!r}"
            )


DEFAULT_OPTIONS = CountingOptions()


# --------------------------------------------------------------------------- crosswalks
def _selected(codes: Iterable[str] | None, order: tuple[str, ...]) -> tuple[str, ...]:
    """Real selections (``declined`` dropped), de-duplicated, in display order."""
    chosen = set(codes or ())
    return tuple(code for code in order if code in chosen)


def crosswalk_1997_to_2024(hispanic: str | None, race: Iterable[str] | None) -> tuple[str, ...]:
    """2024 minimum categories implied by 1997 answers (empty: nothing known).

    ``hispanic == "yes"`` adds ``hispanic``; races carry over.  ``mena`` is never
    produced: it cannot be told apart from White in 1997 answers.
    """
    chosen = set(_selected(race, RACES_1997))
    if hispanic == "yes":
        chosen.add("hispanic")
    return tuple(code for code in GROUPS_2024 if code in chosen)


def crosswalk_2024_to_1997(
    combined: Iterable[str] | None, mena_in_1997: MenaIn1997 = "white"
) -> tuple[Hispanic1997, tuple[str, ...]]:
    """(ethnicity, races) in 1997 terms implied by a 2024 answer.

    No selection (declined or not answered) gives ``("unknown", ())``.  Otherwise
    ethnicity is ``yes`` when ``hispanic`` was selected and ``no`` when it was not.
    """
    chosen = set(_selected(combined, GROUPS_2024))
    if not chosen:
        return "unknown", ()
    ethnicity: Hispanic1997 = "yes" if "hispanic" in chosen else "no"
    if "mena" in chosen and mena_in_1997 == "white":
        chosen.add("white")
    return ethnicity, _selected(chosen, RACES_1997)


@dataclass(frozen=True)
class Resolved:
    """A person's race/ethnicity in both frames, after choosing which answer to use."""

    #: Which question was used: ``"2024"``, ``"1997"``, or ``"none"`` (neither answered).
    source: Literal["2024", "1997", "none"]
    #: 2024 minimum categories selected, in display order; empty means unknown.
    groups_2024: tuple[str, ...]
    #: 1997 ethnicity (``unknown``: declined or not asked).
    hispanic_1997: Hispanic1997
    #: 1997 races selected, in display order; empty means no race known.
    races_1997: tuple[str, ...]


def _answered(codes: tuple[str, ...] | None) -> bool:
    return bool(codes)


def resolve(answers: RaceEthnicityAnswers, options: CountingOptions = DEFAULT_OPTIONS) -> Resolved:
    """Pick the answer to count (see :class:`CountingOptions`) and express it both ways."""
    has_2024 = _answered(answers.combined_2024)
    has_1997 = answers.hispanic is not None or _answered(answers.race)
    if has_2024 and has_1997:
        source: Literal["2024", "1997", "none"] = options.prefer
    elif has_2024:
        source = "2024"
    elif has_1997:
        source = "1997"
    else:
        return Resolved("none", (), "unknown", ())
    if source == "2024":
        ethnicity, races = crosswalk_2024_to_1997(answers.combined_2024, options.mena_in_1997)
        return Resolved("2024", _selected(answers.combined_2024, GROUPS_2024), ethnicity, races)
    hispanic: Hispanic1997 = (
        "yes" if answers.hispanic == "yes" else "no" if answers.hispanic == "no" else "unknown"
    )
    return Resolved(
        "1997",
        crosswalk_1997_to_2024(answers.hispanic, answers.race),
        hispanic,
        _selected(answers.race, RACES_1997),
    )


# --------------------------------------------------------------------------- conventions
Rule = Callable[[RaceEthnicityAnswers, CountingOptions], tuple[str, ...]]


@dataclass(frozen=True)
class Convention:
    """One way of counting: its categories in display order and how a person is placed."""

    name: str
    label: str
    description: str
    #: (code, label) pairs in display order.
    categories: tuple[tuple[str, str], ...]
    #: True: exactly one category per person.  False: every group selected (>= 1).
    exclusive: bool
    rule: Rule = field(repr=False, compare=False)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.categories)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.categories)

    def classify(
        self, answers: RaceEthnicityAnswers, options: CountingOptions = DEFAULT_OPTIONS
    ) -> tuple[str, ...]:
        """Category codes the person counts in, in display order."""
        return self.rule(answers, options)


_NAMES_1997: dict[str, str] = {
    "aian": "American Indian or Alaska Native",
    "asian": "Asian",
    "black": "Black or African American",
    "nhpi": "Native Hawaiian or Other Pacific Islander",
    "white": "White",
}
_NAMES_2024: dict[str, str] = {
    "aian": "American Indian or Alaska Native",
    "asian": "Asian",
    "black": "Black or African American",
    "hispanic": "Hispanic or Latino",
    "mena": "Middle Eastern or North African",
    "nhpi": "Native Hawaiian or Pacific Islander",
    "white": "White",
}
_NAMES_AAMC: dict[str, str] = {
    **_NAMES_2024,
    "nhpi": "Native Hawaiian or Other Pacific Islander",
}
UNKNOWN = "unknown"


def _alone(groups: tuple[str, ...], several: str) -> tuple[str, ...]:
    if not groups:
        return (UNKNOWN,)
    if len(groups) == 1:
        return groups
    return (several,)


def _ipeds(answers: RaceEthnicityAnswers, options: CountingOptions) -> tuple[str, ...]:
    if answers.citizenship == NONRESIDENT:
        return (NONRESIDENT,)
    resolved = resolve(answers, options)
    if resolved.hispanic_1997 == "yes":
        return ("hispanic",)
    return _alone(resolved.races_1997, "two_or_more")


def _omb1997_ethnicity(answers: RaceEthnicityAnswers, options: CountingOptions) -> tuple[str, ...]:
    hispanic = resolve(answers, options).hispanic_1997
    return {"yes": ("hispanic",), "no": ("not_hispanic",)}.get(hispanic, (UNKNOWN,))


def _omb1997_alone(answers: RaceEthnicityAnswers, options: CountingOptions) -> tuple[str, ...]:
    return _alone(resolve(answers, options).races_1997, "two_or_more")


def _omb1997_combination(
    answers: RaceEthnicityAnswers, options: CountingOptions
) -> tuple[str, ...]:
    return resolve(answers, options).races_1997 or (UNKNOWN,)


def _spd15_alone(answers: RaceEthnicityAnswers, options: CountingOptions) -> tuple[str, ...]:
    return _alone(resolve(answers, options).groups_2024, "two_or_more")


def _spd15_multiracial(answers: RaceEthnicityAnswers, options: CountingOptions) -> tuple[str, ...]:
    return _alone(resolve(answers, options).groups_2024, "multiracial")


def _aamc_alone(answers: RaceEthnicityAnswers, options: CountingOptions) -> tuple[str, ...]:
    return _alone(resolve(answers, options).groups_2024, "multiple")


def _combination_2024(answers: RaceEthnicityAnswers, options: CountingOptions) -> tuple[str, ...]:
    return resolve(answers, options).groups_2024 or (UNKNOWN,)


def _pairs(names: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(names.items())


_CONVENTION_LIST: tuple[Convention, ...] = (
    Convention(
        "ipeds",
        "IPEDS (nine categories)",
        "One category per person, in the IPEDS precedence: U.S. Nonresident, then Hispanic "
        "or Latino (of any race), then Two or more races, then Race and ethnicity unknown, "
        "then the single race.",
        (
            (NONRESIDENT, "U.S. Nonresident"),
            ("hispanic", "Hispanic or Latino"),
            *_pairs(_NAMES_1997),
            ("two_or_more", "Two or more races"),
            (UNKNOWN, "Race and ethnicity unknown"),
        ),
        True,
        _ipeds,
    ),
    Convention(
        "omb1997_ethnicity",
        "OMB 1997 ethnicity",
        "The 1997 ethnicity question on its own: Hispanic or Latino, or not.",
        (
            ("hispanic", "Hispanic or Latino"),
            ("not_hispanic", "Not Hispanic or Latino"),
            (UNKNOWN, "Ethnicity not reported"),
        ),
        True,
        _omb1997_ethnicity,
    ),
    Convention(
        "omb1997_alone",
        "OMB 1997 race alone",
        "One category per person: the single race selected, or Two or more races. Hispanic "
        "or Latino is counted separately (OMB 1997 ethnicity); Hispanic people are counted "
        "here by their race.",
        (
            (
                *_pairs(_NAMES_1997),
                ("two_or_more", "Two or more races"),
                (UNKNOWN, "Race not reported"),
            )
        ),
        True,
        _omb1997_alone,
    ),
    Convention(
        "omb1997_alone_or_in_combination",
        "OMB 1997 race alone or in combination",
        "A person counts in every race selected, so counts add up to more than the number of "
        "people (shares exceed 100%).",
        (*_pairs(_NAMES_1997), (UNKNOWN, "Race not reported")),
        False,
        _omb1997_combination,
    ),
    Convention(
        "spd15_alone",
        "SPD 15 (2024) alone",
        "One category per person: the single group selected among the seven minimum "
        "categories (Hispanic or Latino and Middle Eastern or North African included); "
        "anyone selecting two or more groups is counted in combination, not alone.",
        (
            *_pairs(_NAMES_2024),
            ("two_or_more", "Two or more groups (in combination)"),
            (UNKNOWN, "Race and ethnicity not reported"),
        ),
        True,
        _spd15_alone,
    ),
    Convention(
        "spd15_alone_or_in_combination",
        "SPD 15 (2024) alone or in combination",
        "A person counts in every group selected, Hispanic or Latino included; counts add up "
        "to more than the number of people.",
        (*_pairs(_NAMES_2024), (UNKNOWN, "Race and ethnicity not reported")),
        False,
        _combination_2024,
    ),
    Convention(
        "spd15_multiracial",
        "SPD 15 (2024) with a Multiracial and/or Multiethnic group",
        "One category per person: the single group selected, or Multiracial and/or "
        "Multiethnic for anyone selecting two or more groups (Hispanic and a race included).",
        (
            *_pairs(_NAMES_2024),
            ("multiracial", "Multiracial and/or Multiethnic"),
            (UNKNOWN, "Race and ethnicity not reported"),
        ),
        True,
        _spd15_multiracial,
    ),
    Convention(
        "aamc_alone",
        "AAMC style alone",
        "Hispanic or Latino is one choice among the categories. One category per person: the "
        "single choice, or Multiple race/ethnicity.",
        (
            *_pairs(_NAMES_AAMC),
            ("multiple", "Multiple race/ethnicity"),
            (UNKNOWN, "Unknown race/ethnicity"),
        ),
        True,
        _aamc_alone,
    ),
    Convention(
        "aamc_alone_or_in_combination",
        "AAMC style alone or in combination",
        "Hispanic or Latino is one choice among the categories; a person counts in every "
        "choice made, so counts add up to more than the number of people.",
        (*_pairs(_NAMES_AAMC), (UNKNOWN, "Unknown race/ethnicity")),
        False,
        _combination_2024,
    ),
)

#: Every convention by name, in the order they are offered.
CONVENTIONS: dict[str, Convention] = {c.name: c for c in _CONVENTION_LIST}


def get_convention(name: str) -> Convention:
    try:
        return CONVENTIONS[name]
    except KeyError:
        valid = ", ".join(CONVENTIONS)
        raise KeyError(f"{name!r} is not a counting convention (valid: {valid})") from None


def classify(
    answers: RaceEthnicityAnswers, convention: str, options: CountingOptions = DEFAULT_OPTIONS
) -> tuple[str, ...]:
    """Category codes ``answers`` count in under the named convention."""
    return get_convention(convention).classify(answers, options)


# --------------------------------------------------------------------------- frames
def _answer_frame(frame: pl.DataFrame) -> pl.DataFrame:
    if "person_id" not in frame.columns:
        raise ValueError("classify_frame needs a person_id column")
    columns: list[pl.Expr] = [pl.col("person_id")]
    for name in ANSWER_COLUMNS:
        wanted: pl.DataType = pl.List(pl.String) if name in _LIST_COLUMNS else pl.String()
        if name not in frame.columns:
            columns.append(pl.lit(None, dtype=wanted).alias(name))
            continue
        dtype = frame.schema[name]
        if dtype == pl.Null:
            columns.append(pl.col(name).cast(wanted))
        elif dtype != wanted:
            raise TypeError(f"column {name!r} must be {wanted}, not {dtype}")
        elif name in _LIST_COLUMNS:
            # Same selections in another order are the same answer: one group, not two.
            columns.append(pl.col(name).list.sort())
        else:
            columns.append(pl.col(name))
    return frame.select(columns)


def classify_frame(
    frame: pl.DataFrame, convention: str, options: CountingOptions = DEFAULT_OPTIONS
) -> pl.DataFrame:
    """``person_id`` and ``category`` for every person in ``frame``.

    ``frame`` holds ``person_id``, ``hispanic`` (str), ``race`` (list[str]),
    ``combined_2024`` (list[str]) and ``citizenship`` (str); a missing answer column
    counts as all null.  Exclusive conventions give one row per person; the others
    one row per person and category.  Rows keep the order of ``frame`` (and, within a
    person, the display order).  Each distinct combination of answers is classified
    once, so the cost grows with the number of combinations, not of people.
    """
    rule = get_convention(convention)
    answers = _answer_frame(frame).with_row_index("__row")
    groups = answers.group_by(list(ANSWER_COLUMNS), maintain_order=True).agg(
        pl.col("__row"), pl.col("person_id")
    )
    categories = [
        list(
            rule.classify(
                RaceEthnicityAnswers(
                    hispanic=hispanic,
                    race=None if race is None else tuple(race),
                    combined_2024=None if combined is None else tuple(combined),
                    citizenship=citizenship,
                ),
                options,
            )
        )
        for hispanic, race, combined, citizenship in groups.select(ANSWER_COLUMNS).iter_rows()
    ]
    return (
        groups.select("__row", "person_id")
        .with_columns(pl.Series("category", categories, dtype=pl.List(pl.String)))
        .explode("__row", "person_id")
        .explode("category")
        .sort("__row", maintain_order=True)
        .select("person_id", "category")
    )


def count_categories(classified: pl.DataFrame, convention: str) -> pl.DataFrame:
    """``category``, ``label``, ``count`` for every category, in display order (zeros kept).

    ``classified`` is the output of :func:`classify_frame` for the same convention.
    """
    rule = get_convention(convention)
    table = pl.DataFrame(
        {"category": list(rule.codes), "label": [label for _, label in rule.categories]},
        schema={"category": pl.String, "label": pl.String},
    )
    counts = classified.group_by("category").agg(pl.len().cast(pl.Int64).alias("count"))
    return table.join(counts, on="category", how="left", maintain_order="left").with_columns(
        pl.col("count").fill_null(0)
    )
