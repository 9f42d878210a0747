from __future__ import annotations

import re

import pytest

from ristra.analytics.importspec import (
    DECLINED,
    KINDS,
    PERSON_FIELDS,
    ImportKind,
    UnknownKindError,
    get_kind,
)
from ristra.analytics.profiles import normalise

ALL_KINDS = sorted(KINDS)


def test_it_defines_the_five_import_kinds() -> None:
    assert ALL_KINDS == ["admissions", "faculty", "gme", "staff", "students"]


def test_it_returns_a_kind_by_name() -> None:
    kind = get_kind("faculty")
    assert isinstance(kind, ImportKind)
    assert kind.key_identifiers == ("employee_id",)
    assert kind.field("rank").required


def test_it_explains_an_unknown_kind_listing_valid_ones() -> None:
    with pytest.raises(UnknownKindError) as info:
        get_kind("facutly")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == (
        "'facutly' is not an import kind. Did you mean 'faculty'? Valid kinds are:"
        " admissions, faculty, gme, staff, students."
    )


@pytest.mark.parametrize("name", ALL_KINDS)
def test_it_gives_every_kind_the_person_fields_and_valid_keys(name: str) -> None:
    kind = KINDS[name]
    for spec in PERSON_FIELDS:
        assert kind.field(spec.name) == spec
    assert kind.field("given_name").required and kind.field("family_name").required
    assert kind.key_identifiers
    for key in kind.key_identifiers:
        assert kind.field(key).target == "identifier"
    for earlier, later in kind.date_order:
        assert kind.field(earlier).type == kind.field(later).type == "date"
    assert len(set(kind.field_names)) == len(kind.field_names)


@pytest.mark.parametrize("name", ALL_KINDS)
def test_it_uses_snake_case_codes_and_accepts_declined_for_self_identification(
    name: str,
) -> None:
    for spec in KINDS[name].fields:
        if spec.type in ("code", "codes"):
            assert spec.vocabulary, spec.name
            for code in spec.vocabulary:
                if spec.name == "state" and code != DECLINED:
                    assert re.fullmatch(r"[A-Z]{2}", code)
                else:
                    assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code
            if spec.target == "selfid":
                assert DECLINED in spec.vocabulary, spec.name
        else:
            assert not spec.vocabulary


@pytest.mark.parametrize("name", ALL_KINDS)
def test_it_never_gives_two_fields_of_a_kind_the_same_synonym(name: str) -> None:
    owner: dict[str, str] = {}
    for spec in KINDS[name].fields:
        for text in (spec.name, spec.label, *spec.synonyms):
            key = normalise(text)
            assert owner.setdefault(key, spec.name) == spec.name, (key, spec.name, owner[key])


def test_it_declares_the_documented_ranges_and_kinds_specific_fields() -> None:
    admissions = get_kind("admissions")
    assert (admissions.field("mcat").min_value, admissions.field("mcat").max_value) == (472, 528)
    assert admissions.field("gpa").max_value == 4.0
    assert admissions.field("program").default == "MD"
    assert admissions.field("cycle").required
    fte = get_kind("staff").field("fte")
    assert fte.min_exclusive and fte.percent and fte.max_value == 1.0
    assert get_kind("gme").key_identifiers == ("employee_id", "nrmp_id", "eras_id")
    assert get_kind("gme").field("pgy").max_value == 10
    assert get_kind("students").key_identifiers == ("student_id",)
    assert get_kind("faculty").field("race").type == "codes"
    assert get_kind("faculty").field("race_ethnicity_2024").vocabulary == (
        "aian", "asian", "black", "hispanic", "mena", "nhpi", "white", "declined",
    )  # fmt: skip
