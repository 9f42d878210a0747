"""Survey instruments and scoring: loading, validation, reverse coding, favourable shares,
factor and cluster scores, gaps with intervals, response rates and year-over-year change."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.analytics.surveys import (
    Factor,
    Instrument,
    InstrumentError,
    Item,
    Scale,
    check_scale,
    example_instrument,
    gaps,
    instrument_breaking_changes,
    instrument_dump,
    instrument_load,
    prepare,
    response_rates,
    score,
    score_prepared,
    score_splits,
    scoring_arrays,
    significant,
    year_over_year,
)

SMALL = """
key: small
title: Small
version: "2"
scales:
  agree:
    labels: [Strongly disagree, Disagree, Neutral, Agree, Strongly agree]
    values: [1, 2, 3, 4, 5]
    favourable: [4, 5]
clusters:
  c1: Cluster one
factors:
  f1: {label: Factor one, cluster: c1}
  f2: {label: Factor two, cluster: c1}
sections:
  - title: Main
    items:
      - {key: a, kind: likert, scale: agree, factor: f1, text: "Statement a"}
      - {key: b, kind: likert, scale: agree, factor: f1, reverse: true, text: "Statement b"}
      - {key: c, kind: likert, scale: agree, factor: f2, text: "Statement c"}
      - {key: note, kind: text, text: "Anything else?"}
      - {key: unit, kind: demographic, category: department, text: "Your unit"}
"""


@pytest.fixture(scope="module")
def small() -> Instrument:
    return instrument_load(SMALL)


def row(frame: pl.DataFrame, level: str, key: str, **group: object) -> dict[str, Any]:
    condition = (pl.col("level") == level) & (pl.col("key") == key)
    for column, value in group.items():
        condition &= pl.col(column) == value
    rows = frame.filter(condition).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


# ----------------------------------------------------------------------------- loading


def test_it_loads_the_example_instrument() -> None:
    instrument = example_instrument()
    assert instrument.title == "Ristra Inclusion Climate Example"
    assert len(instrument.likert_items) == 24
    assert len(instrument.factors) == 6
    assert len(instrument.clusters) == 3
    assert sum(item.reverse for item in instrument.items) == 2
    assert len(instrument.items_of_kind("text")) == 2
    assert {i.category for i in instrument.items_of_kind("demographic")} >= {"role", "gender"}
    assert instrument.scales["agree5"].favourable == frozenset({4, 5})
    for key in instrument.factors:
        assert len(instrument.factor_items(key)) == 4
    for key in instrument.clusters:
        assert len(instrument.cluster_items(key)) == 8


def test_it_keeps_option_words_yaml_would_turn_into_booleans() -> None:
    urim = example_instrument().item("urim")
    assert urim.options == ("Yes", "No", "Prefer not to answer")


def test_it_round_trips_the_example_through_yaml_and_json() -> None:
    instrument = example_instrument()
    assert instrument_load(instrument_dump(instrument)) == instrument
    assert instrument_load(instrument_dump(instrument, fmt="json"), fmt="json") == instrument


def test_it_reads_json_with_native_numbers_and_booleans(small: Instrument) -> None:
    document = json.loads(instrument_dump(small, fmt="json"))
    assert document["sections"][0]["items"][1]["reverse"] is True
    assert instrument_load(json.dumps(document), fmt="json") == small


def _error(text: str, fmt: str = "yaml") -> str:
    with pytest.raises(InstrumentError) as caught:
        instrument_load(text, fmt=fmt)
    return str(caught.value)


def test_it_names_the_item_and_line_of_an_undefined_factor() -> None:
    message = _error(SMALL.replace("factor: f2,", "factor: f9,"))
    assert "item 'c' (line 20)" in message
    assert "factor 'f9' is not defined (defined: f1, f2)" in message


def test_it_names_an_undefined_cluster_scale_and_a_factor_without_items() -> None:
    text = SMALL.replace("cluster: c1}", "cluster: cx}", 1).replace(
        "scale: agree, factor: f2", "scale: agreee, factor: f1"
    )
    message = _error(text)
    assert "factor 'f1' (line 13): cluster 'cx' is not defined (defined: c1)" in message
    assert "item 'c' (line 20): scale 'agreee' is not defined (defined: agree)" in message
    assert "factor 'f2' (line 14): has no items" in message


def test_it_rejects_favourable_values_off_the_scale_and_mismatched_values() -> None:
    text = SMALL.replace("favourable: [4, 5]", "favourable: [4, 6]").replace(
        "values: [1, 2, 3, 4, 5]", "values: [1, 2, 3, 4]"
    )
    message = _error(text)
    assert "has 5 labels but 4 values" in message


def test_it_rejects_reverse_coding_and_factors_on_other_kinds() -> None:
    text = SMALL.replace(
        "{key: note, kind: text,", "{key: note, kind: text, reverse: true, factor: f1,"
    )
    message = _error(text)
    assert "item 'note' (line 21): only likert items have a factor (text item)" in message
    assert "only likert items can be reverse-coded" in message


def test_it_rejects_duplicate_item_keys_and_bad_keys() -> None:
    message = _error(SMALL.replace("{key: c,", "{key: a,").replace("key: note", "key: 9note"))
    assert "item 'a' (line 20): the key is used twice" in message
    assert "key '9note' should start with a letter" in message


def test_it_rejects_choice_items_without_options_and_unknown_fields() -> None:
    text = SMALL.replace("kind: demographic, category: department", "kind: choice, colour: red")
    message = _error(text)
    assert "a choice item needs options" in message
    assert "unknown field colour" in message


def test_it_gives_the_line_of_a_yaml_syntax_error() -> None:
    assert "not valid YAML" in _error("key: x\nscales: [\n  a: b\n")
    assert "line" in _error("key: x\nscales: [\n  a: b\n")
    assert "not valid JSON" in _error("{", fmt="json")
    assert "should be a mapping" in _error("- just\n- a list\n")
    assert "Unknown instrument format" in _error("x", fmt="toml")


def test_it_rejects_a_factor_mixing_scales() -> None:
    text = SMALL.replace(
        "clusters:",
        "  freq:\n    labels: [Never, Sometimes, Often]\n    favourable: [3]\nclusters:",
    ).replace("scale: agree, factor: f1, reverse", "scale: freq, factor: f1, reverse")
    assert "factor 'f1' (line 16): mixes scales agree, freq" in _error(text)


# Hypothesis: any valid instrument survives dump -> load, in YAML and JSON.
_key = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def instruments(draw: st.DrawFn) -> Instrument:
    n_values = draw(st.integers(2, 7))
    values = tuple(
        sorted(
            draw(st.lists(st.integers(-5, 20), min_size=n_values, max_size=n_values, unique=True))
        )
    )
    labels = tuple(
        draw(st.lists(_text, min_size=n_values, max_size=n_values, unique_by=str.casefold))
    )
    favourable = frozenset(draw(st.lists(st.sampled_from(values), min_size=1, unique=True)))
    scale = Scale("s", labels, values, favourable)
    cluster_keys = draw(st.lists(_key, min_size=0, max_size=3, unique=True))
    factor_keys = draw(st.lists(_key, min_size=max(1, len(cluster_keys)), max_size=5, unique=True))
    factors = {
        key: Factor(key, draw(_text), cluster_keys[i] if i < len(cluster_keys) else None)
        for i, key in enumerate(factor_keys)
    }
    item_keys = draw(
        st.lists(_key, min_size=len(factor_keys) + 2, max_size=len(factor_keys) + 8, unique=True)
    )
    items = []
    for i, key in enumerate(item_keys):
        if i < len(factor_keys):
            items.append(Item(key, draw(_text), "likert", "s", draw(st.booleans()), factor_keys[i]))
            continue
        kind = draw(st.sampled_from(("likert", "choice", "multi", "text", "demographic")))
        if kind == "likert":
            factor = draw(st.none() | st.sampled_from(factor_keys))
            items.append(Item(key, draw(_text), kind, "s", draw(st.booleans()), factor))
        elif kind in ("choice", "multi"):
            options = tuple(draw(st.lists(_text, min_size=1, max_size=4, unique_by=str.casefold)))
            items.append(Item(key, draw(_text), kind, options=options))
        elif kind == "demographic":
            options = tuple(draw(st.lists(_text, max_size=3, unique_by=str.casefold)))
            items.append(Item(key, draw(_text), kind, options=options, category=draw(_key)))
        else:
            items.append(Item(key, draw(_text), kind))
    cut = draw(st.integers(1, len(items)))
    sections: tuple[tuple[str, tuple[str, ...]], ...] = (
        (draw(_text), tuple(i.key for i in items[:cut])),
    )
    if cut < len(items):
        sections += (("", tuple(i.key for i in items[cut:])),)
    return Instrument(
        key=draw(_key),
        title=draw(_text),
        version=draw(_text),
        scales={"s": scale},
        items=tuple(items),
        factors=factors,
        clusters={key: draw(_text) for key in cluster_keys},
        sections=sections,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instruments(), st.sampled_from(["yaml", "json"]))
def test_dump_then_load_gives_the_same_instrument(instrument: Instrument, fmt: str) -> None:
    assert instrument_load(instrument_dump(instrument, fmt=fmt), fmt=fmt) == instrument


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_loads_or_raises_an_instrument_error(text: str) -> None:
    try:
        instrument_load(text)
    except InstrumentError as error:
        assert str(error)


# ----------------------------------------------------------------------------- scoring


def test_reverse_coding_mirrors_the_scale_before_judging_favourable(small: Instrument) -> None:
    responses = pl.DataFrame({"a": [None, None, None], "b": [1, 2, 5], "c": [None, None, None]})
    b = row(score(responses, small), "item", "b")
    assert b["n"] == 3
    assert b["mean"] == pytest.approx((5 + 4 + 1) / 3)
    assert b["pct_favourable"] == pytest.approx(2 / 3)


def test_factor_scores_average_each_respondent_first(small: Instrument) -> None:
    # respondent 1 answers only a (5); respondent 2 answers a=1 and b=3 (reversed: 3)
    responses = pl.DataFrame({"a": [5, 1], "b": [None, 3], "c": [4, 2]})
    scores = score(responses, small)
    f1 = row(scores, "factor", "f1")
    assert (f1["n"], f1["answers"]) == (2, 3)
    assert f1["mean"] == pytest.approx((5 + (1 + 3) / 2) / 2)
    assert f1["pct_favourable"] == pytest.approx((1 + 0) / 2)
    c1 = row(scores, "cluster", "c1")
    assert c1["mean"] == pytest.approx(((5 + 4) / 2 + (1 + 3 + 2) / 3) / 2)
    assert c1["pct_favourable"] == pytest.approx((1 + 0) / 2)
    assert c1["answers"] == 5


def test_values_outside_the_scale_count_as_missing_and_are_reported(small: Instrument) -> None:
    responses = pl.DataFrame({"a": [5, 0, 9, 4], "b": [1, 1, 1, 1], "c": [3, 3, 3, 3]})
    a = row(score(responses, small), "item", "a")
    assert a["n"] == 2
    assert a["pct_favourable"] == 1.0
    problems = check_scale(responses["a"], small.scales["agree"])
    assert len(problems) == 1
    assert "2 answer(s) outside scale agree" in problems[0]
    assert "0 (1x)" in problems[0] and "9 (1x)" in problems[0]
    assert check_scale(responses["c"], small.scales["agree"]) == []


def test_check_scale_recognises_a_label_export_and_unknown_words(small: Instrument) -> None:
    problems = check_scale(pl.Series("a", ["Agree", "4", "Strongly agre"]), small.scales["agree"])
    assert "holds scale labels ('Agree') instead of values" in problems[0]
    assert "'Strongly agre'" in problems[1]
    fractional = check_scale(pl.Series("a", [1.0, 2.5]), small.scales["agree"])
    assert "not whole numbers" in fractional[0]


def test_label_columns_score_like_values(small: Instrument) -> None:
    labels = pl.DataFrame({"a": ["Agree", "strongly disagree", " Neutral ", "5"]})
    values = pl.DataFrame({"a": [4, 1, 3, 5]})
    assert row(score(labels, small), "item", "a") == row(score(values, small), "item", "a")


def test_scores_by_group_match_a_hand_computation(small: Instrument) -> None:
    rng = np.random.default_rng(3)
    n = 400
    frame = pl.DataFrame(
        {
            "a": rng.integers(1, 6, n),
            "b": rng.integers(1, 6, n),
            "c": rng.integers(1, 6, n),
            "unit": rng.choice(["x", "y", "z"], n),
        }
    )
    scores = score(frame, small, by=["unit"])
    for unit in ("x", "y", "z"):
        part = frame.filter(pl.col("unit") == unit)
        b = 6 - part["b"].to_numpy()
        got = row(scores, "item", "b", unit=unit)
        assert got["n"] == len(part)
        assert got["mean"] == pytest.approx(b.mean())
        assert got["sd"] == pytest.approx(b.std(ddof=1))
        assert got["pct_favourable"] == pytest.approx((b >= 4).mean())
        f1 = (part["a"].to_numpy() + b) / 2
        assert row(scores, "factor", "f1", unit=unit)["mean"] == pytest.approx(f1.mean())
        half = 1.96 * b.std(ddof=1) / np.sqrt(len(b))
        assert got["ci_low"] == pytest.approx(b.mean() - half, abs=0.01)
        assert got["pct_ci_low"] < got["pct_favourable"] < got["pct_ci_high"]


def test_score_splits_equals_scoring_each_split_alone() -> None:
    instrument = example_instrument()
    rng = np.random.default_rng(5)
    n = 300
    data = {item.key: rng.integers(1, 6, n) for item in instrument.likert_items}
    frame = pl.DataFrame(data).with_columns(
        pl.Series("role", rng.choice(["Student", "Faculty", "Staff"], n)),
        pl.Series("site", rng.choice([1, 2], n)),
    )
    combined = score_splits(frame, instrument, ["role", "site"])
    overall = combined.filter(pl.col("split").is_null()).drop("split", "group")
    assert overall.equals(score(frame, instrument))
    by_site = combined.filter(pl.col("split") == "site").drop("split")
    expected = score(frame, instrument, by=["site"]).with_columns(pl.col("site").cast(pl.String))
    assert by_site.rename({"group": "site"}).equals(expected)


def test_it_refuses_to_group_by_a_scored_item_or_a_missing_column(small: Instrument) -> None:
    frame = pl.DataFrame({"a": [1], "b": [2], "c": [3]})
    with pytest.raises(ValueError, match="is a scored item"):
        score(frame, small, by=["a"])
    with pytest.raises(KeyError, match="no such column"):
        score(frame, small, by=["unit"])


def test_empty_responses_give_empty_groups_and_unknown_overall_scores(small: Instrument) -> None:
    empty = pl.DataFrame(schema={"a": pl.Int64, "unit": pl.String})
    assert score(empty, small, by=["unit"]).is_empty()
    overall = score(empty, small)
    assert overall["n"].to_list() == [0] * len(overall)
    assert overall["pct_favourable"].null_count() == len(overall)
    assert gaps(empty, small, by="unit").is_empty()


# ----------------------------------------------------------------------------- gaps


def test_gaps_are_group_minus_the_largest_group(small: Instrument) -> None:
    frame = pl.DataFrame(
        {
            "a": [5] * 10 + [2] * 20 + [4] * 10,
            "unit": ["x"] * 10 + ["y"] * 30,
        }
    )
    result = gaps(frame, small, by="unit")
    a = row(result, "item", "a")
    assert (a["group"], a["reference"], a["n"], a["n_reference"]) == ("x", "y", 10, 30)
    assert a["pct_gap"] == pytest.approx(1.0 - 10 / 30)
    assert a["pct_gap_low"] < a["pct_gap"] < a["pct_gap_high"]
    assert a["mean_gap"] == pytest.approx(5 - (2 * 20 + 4 * 10) / 30)
    assert significant(a["pct_gap_low"], a["pct_gap_high"])
    reverse = row(gaps(frame, small, by="unit", reference="x"), "item", "a")
    assert reverse["pct_gap"] == pytest.approx(-a["pct_gap"])
    with pytest.raises(ValueError, match="reference group 'w' has no responses"):
        gaps(frame, small, by="unit", reference="w")


def test_gap_intervals_cover_the_true_difference_about_95_percent_of_the_time() -> None:
    instrument = instrument_load(
        SMALL.replace("factor: f2", "factor: f1").replace(
            "  f2: {label: Factor two, cluster: c1}\n", ""
        )
    )
    rng = np.random.default_rng(11)
    p_ref, p_grp, n_ref, n_grp = 0.55, 0.70, 120, 45
    probs_ref = np.array([0.1, 0.15, 0.2, 0.3, 0.25])
    probs_grp = np.array([0.05, 0.1, 0.15, 0.35, 0.35])
    true_pct = probs_grp[3:].sum() - probs_ref[3:].sum()
    true_mean = (probs_grp * np.arange(1, 6)).sum() - (probs_ref * np.arange(1, 6)).sum()
    assert (probs_ref[3:].sum(), probs_grp[3:].sum()) == pytest.approx((p_ref, p_grp))
    reps = 300
    # every replicate is its own pair of groups, scored in one call
    unit = np.concatenate([np.repeat(["g", "r"], [n_grp, n_ref])] * reps)
    rep = np.repeat(np.arange(reps), n_grp + n_ref)
    values = np.concatenate(
        [
            np.concatenate(
                [rng.choice(5, n_grp, p=probs_grp) + 1, rng.choice(5, n_ref, p=probs_ref) + 1]
            )
            for _ in range(reps)
        ]
    )
    frame = pl.DataFrame({"a": values, "cell": np.char.add(unit, rep.astype(str)), "rep": rep})
    scores = score(frame, instrument, by=["cell"]).filter(pl.col("level") == "item")
    covered_pct = covered_mean = 0
    for r in range(reps):
        pair = scores.filter(pl.col("cell").is_in([f"g{r}", f"r{r}"]))
        gap = row(gaps(pair, instrument, by="cell", reference=f"r{r}"), "item", "a")
        covered_pct += gap["pct_gap_low"] <= true_pct <= gap["pct_gap_high"]
        covered_mean += gap["mean_gap_low"] <= true_mean <= gap["mean_gap_high"]
    assert 0.91 <= covered_pct / reps <= 0.99
    assert 0.91 <= covered_mean / reps <= 0.99


def test_gaps_refuse_a_score_frame_grouped_otherwise(small: Instrument) -> None:
    frame = pl.DataFrame({"a": [1, 2], "unit": ["x", "y"], "site": [1, 2]})
    with pytest.raises(ValueError, match="grouped by"):
        gaps(score(frame, small, by=["unit", "site"]), small, by="unit")


# ----------------------------------------------------------------------------- rates


def test_response_rates_and_representativeness() -> None:
    rates = {r.group: r for r in response_rates({"A": 30, "B": 10, "C": 5}, {"A": 60, "B": 40})}
    assert rates["A"].rate == 0.5
    assert rates["B"].rate == 0.25
    assert rates["A"].respondent_share == pytest.approx(30 / 45)
    assert rates["A"].population_share == pytest.approx(0.6)
    assert rates["A"].representativeness == pytest.approx((30 / 45) / 0.6)
    assert rates["B"].representativeness == pytest.approx((10 / 45) / 0.4)
    assert rates["C"].population == 0
    assert rates["C"].rate is None
    assert rates["C"].representativeness is None
    assert [r.group for r in response_rates({}, {"A": 0})] == ["A"]
    with pytest.raises(ValueError, match="must be a count"):
        response_rates({"A": -1}, {"A": 3})


@given(
    st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 500)),
    st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 500)),
)
def test_response_rate_shares_add_up(resp: dict[str, int], pop: dict[str, int]) -> None:
    rates = response_rates(resp, pop)
    assert {r.group for r in rates} == set(resp) | set(pop)
    if sum(resp.values()):
        assert sum(r.respondent_share or 0 for r in rates) == pytest.approx(1.0)
    if sum(pop.values()):
        assert sum(r.population_share or 0 for r in rates) == pytest.approx(1.0)


# ----------------------------------------------------------------------------- trends


def test_year_over_year_matches_groups_and_keys(small: Instrument) -> None:
    now = pl.DataFrame({"a": [5, 5, 4, 2], "unit": ["x", "x", "y", "y"]})
    before = pl.DataFrame({"a": [2, 2, 4, 4], "unit": ["x", "x", "y", "y"]})
    change = year_over_year(score(now, small, by=["unit"]), score(before, small, by=["unit"]))
    x = row(change, "item", "a", unit="x")
    assert x["pct_previous"] == 0.0
    assert x["pct_change"] == 1.0
    assert x["mean_change"] == pytest.approx(3.0)
    y = row(change, "item", "a", unit="y")
    assert y["pct_change"] == pytest.approx(-0.5)
    assert y["pct_change_low"] < -0.5 < y["pct_change_high"]
    only_now = pl.DataFrame({"a": [5], "unit": ["z"]})
    new = year_over_year(score(only_now, small, by=["unit"]), score(before, small, by=["unit"]))
    assert row(new, "item", "a", unit="z")["pct_previous"] is None
    with pytest.raises(ValueError, match="grouped differently"):
        year_over_year(score(now, small, by=["unit"]), score(before, small))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.integers(-1, 7),
            st.none() | st.integers(-1, 7),
            st.none() | st.integers(-1, 7),
            st.sampled_from(["x", "y"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_scores_match_a_plain_python_computation(rows: list[tuple[Any, Any, Any, str]]) -> None:
    small = instrument_load(SMALL)
    frame = pl.DataFrame(
        rows, schema={"a": pl.Int64, "b": pl.Int64, "c": pl.Int64, "unit": pl.String}, orient="row"
    )
    scores = score(frame, small, by=["unit"])

    def recode(value: int | None, reverse: bool) -> int | None:
        if value is None or not 1 <= value <= 5:
            return None
        return 6 - value if reverse else value

    for unit in {r[3] for r in rows}:
        mine = [r for r in rows if r[3] == unit]
        a = [recode(r[0], False) for r in mine]
        b = [recode(r[1], True) for r in mine]
        answered_b = [v for v in b if v is not None]
        got = row(scores, "item", "b", unit=unit)
        assert got["n"] == len(answered_b)
        if answered_b:
            assert got["mean"] == pytest.approx(sum(answered_b) / len(answered_b))
            fav = sum(v >= 4 for v in answered_b) / len(answered_b)
            assert got["pct_favourable"] == pytest.approx(fav)
            assert got["pct_ci_low"] <= fav + 1e-12 and fav <= got["pct_ci_high"] + 1e-12
        per_person = [[v for v in (x, y) if v is not None] for x, y in zip(a, b, strict=True)]
        per_person = [p for p in per_person if p]
        f1 = row(scores, "factor", "f1", unit=unit)
        assert f1["n"] == len(per_person)
        if per_person:
            assert f1["mean"] == pytest.approx(
                sum(sum(p) / len(p) for p in per_person) / len(per_person)
            )
            shares = [sum(v >= 4 for v in p) / len(p) for p in per_person]
            assert f1["pct_favourable"] == pytest.approx(sum(shares) / len(shares))
            if len(per_person) == 1:  # no interval from one respondent
                assert f1["pct_ci_low"] is None
            else:
                assert 0.0 <= f1["pct_ci_low"] <= f1["pct_favourable"] <= f1["pct_ci_high"] <= 1.0


def test_scoring_a_prepared_frame_gives_the_same_scores() -> None:
    instrument = example_instrument()
    rng = np.random.default_rng(9)
    n = 120
    frame = pl.DataFrame(
        {item.key: rng.integers(0, 7, n) for item in instrument.likert_items}
    ).with_columns(
        pl.Series("role", [("Student", "Staff", None)[k] for k in rng.integers(0, 3, n)])
    )
    direct = score(frame, instrument, by=["role"])
    prepared = score_prepared(prepare(frame, instrument), instrument, by=["role"])
    assert direct.shape == prepared.shape
    for column in direct.columns:
        if direct[column].dtype == pl.Float64:
            assert np.allclose(
                direct[column].to_numpy(), prepared[column].to_numpy(), equal_nan=True
            ), column
        else:
            assert direct[column].to_list() == prepared[column].to_list(), column
    assert (
        direct.filter(pl.col("role").is_null()).height
        == direct.filter(pl.col("role") == "Staff").height
    )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=80),
    seed=st.integers(min_value=0, max_value=10_000),
    by=st.sampled_from([(), ("role",), ("role", "site")]),
)
def test_arrays_scored_by_group_and_subset_equal_scoring_the_subset(
    n: int, seed: int, by: tuple[str, ...]
) -> None:
    """Recoding once and scoring a subset gives what scoring the subset from scratch does."""
    instrument = example_instrument()
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame(
        {item.key: rng.integers(0, 7, n) for item in instrument.likert_items},
        schema=dict.fromkeys((i.key for i in instrument.likert_items), pl.Int64),
    ).with_columns(
        pl.Series("role", [("Student", "Staff", None)[k] for k in rng.integers(0, 3, n)]),
        pl.Series("site", rng.choice(["north", "south"], n)),
    )
    rows = rng.random(n) < 0.6
    arrays = scoring_arrays(frame, instrument)
    for mask in (None, rows):
        subset = frame if mask is None else frame.filter(pl.Series(mask))
        expected = score(subset, instrument, by=list(by))
        got = arrays.score(by=list(by), rows=mask)
        assert got.columns == expected.columns
        assert got.height == expected.height
        for column in expected.columns:
            if expected[column].dtype == pl.Float64:
                assert np.allclose(
                    got[column].to_numpy(), expected[column].to_numpy(), equal_nan=True
                ), column
            else:
                assert got[column].to_list() == expected[column].to_list(), column


def test_arrays_refuse_a_mask_of_the_wrong_length_and_an_unknown_group(small: Instrument) -> None:
    arrays = scoring_arrays(pl.DataFrame({"a": [1, 2], "unit": ["x", "y"]}), small)
    with pytest.raises(ValueError, match="row mask has 3 rows, not 2"):
        arrays.score(rows=np.array([True, False, True]))
    with pytest.raises(KeyError, match="no such column"):
        arrays.score(by=["site"])


def _allowed_edit(instrument: Instrument, data: st.DataObject) -> Instrument:
    """Reword everything, reverse the item order, add an open question and an option."""
    items = []
    for item in reversed(instrument.items):
        options = item.options
        if item.kind in ("choice", "multi", "demographic") and data.draw(st.booleans()):
            options = (*options, "A new option")
        items.append(dataclasses.replace(item, text=item.text + " (reworded)", options=options))
    items.append(Item("zz_new_note", "Anything else?", "text"))
    scales = {
        k: dataclasses.replace(v, labels=tuple(f"{lab}!" for lab in v.labels))
        for k, v in instrument.scales.items()
    }
    return dataclasses.replace(
        instrument,
        title=instrument.title + " v2",
        version=instrument.version + ".1",
        items=tuple(items),
        scales=scales,
        factors={
            k: dataclasses.replace(f, label=f.label + "!") for k, f in instrument.factors.items()
        },
        sections=(("Everything", tuple(i.key for i in items)),),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instruments(), st.data())
def test_allowed_edits_score_stored_answers_the_same(instrument: Instrument, data: Any) -> None:
    """An edit the rule allows never changes what stored answers score."""
    edited = _allowed_edit(instrument, data)
    assert instrument_breaking_changes(instrument, instrument) == []
    assert instrument_breaking_changes(instrument, edited) == []
    scale = instrument.scales["s"]
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    answers = pl.DataFrame(
        {i.key: rng.choice(list(scale.values), 25) for i in instrument.likert_items}
    )
    before = score(answers, instrument).sort("level", "key")
    assert before.equals(score(answers, edited).sort("level", "key"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instruments(), st.data())
def test_edits_that_would_rescore_or_lose_answers_are_refused(
    instrument: Instrument, data: Any
) -> None:
    likert = instrument.likert_items
    target = data.draw(st.sampled_from(likert))
    scale = instrument.scales["s"]
    breaking = {
        "removed": dataclasses.replace(
            instrument,
            items=tuple(i for i in instrument.items if i.key != target.key),
        ),
        "reverse": dataclasses.replace(
            instrument,
            items=tuple(
                dataclasses.replace(i, reverse=not i.reverse) if i.key == target.key else i
                for i in instrument.items
            ),
        ),
        "favourable": dataclasses.replace(
            instrument,
            scales={
                "s": dataclasses.replace(
                    scale,
                    favourable=frozenset(scale.values) - {min(scale.favourable)}
                    or frozenset({scale.values[0]})
                    if scale.favourable != frozenset({scale.values[0]})
                    else frozenset({scale.values[-1]}),
                )
            },
        ),
        "new statement": dataclasses.replace(
            instrument,
            items=(*instrument.items, Item("zz_new", "New", "likert", "s", False, target.factor)),
        ),
    }
    for name, edited in breaking.items():
        problems = instrument_breaking_changes(instrument, edited)
        assert problems, name
        if name in ("removed", "reverse"):
            assert any(repr(target.key) in p for p in problems), (name, problems)


def test_breaking_changes_are_named_with_the_item_at_fault(small: Instrument) -> None:
    moved = dataclasses.replace(
        small,
        key="other",
        items=tuple(
            dataclasses.replace(i, factor="f2") if i.key == "a" else i for i in small.items
        ),
        factors={**small.factors, "f1": Factor("f1", "Factor one", None)},
    )
    problems = instrument_breaking_changes(small, moved)
    assert any(
        p.startswith("instrument key: 'small' cannot become 'other' once responses exist.")
        and "year-over-year" in p.lower()
        for p in problems
    )
    assert any(
        p.startswith("item 'a': its factor cannot change from 'f1' to 'f2'") for p in problems
    )
    assert any(p.startswith("factor 'f1': cannot move from cluster 'c1'") for p in problems)
