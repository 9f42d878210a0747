"""Matching core: optimality against scipy and brute force, stability against the `matching`
package, pins across re-runs, the textbook hospitals/residents examples, reasons."""

from __future__ import annotations

import itertools
import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching.games import HospitalResident
from scipy.optimize import linear_sum_assignment

from ristra.analytics import matching
from ristra.analytics.matching import (
    POLICIES,
    Criterion,
    Instance,
    Lists,
    Mentee,
    Mentor,
    Policy,
    Rules,
    _arcs,
    _certified_flow,
    _deferred_acceptance,
    _flow,
    blocking_pairs,
    build,
    compare,
    explain,
    match,
    preference_lists,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_instance(
    seed: int,
    n: int,
    m: int,
    *,
    max_capacity: int = 3,
    stated: bool = False,
    distinct: bool = False,
) -> Instance:
    """Random scores (ties unless ``distinct``), about a fifth of pairs excluded, capacities
    0..max_capacity; with ``stated``, random partial lists for most mentees."""
    rng = np.random.default_rng(seed)
    if distinct:
        points = rng.permutation(n * m).reshape(n, m)
    else:
        points = rng.integers(0, 6, size=(n, m)) * 500
    excluded = rng.random((n, m)) < 0.2
    lists = None
    if stated:
        lists = np.full((n, m), -1)
        for i in range(n):
            if rng.random() < 0.85:  # the rest rank by score
                order = rng.permutation(m)[: rng.integers(1, m + 1)]
                lists[i, : len(order)] = order
    return Instance.from_arrays(
        points=points,
        capacity=rng.integers(0, max_capacity + 1, size=m),
        excluded=excluded,
        stated=lists,
    )


def naive_blocking(instance: Instance, lists: Lists, assign: np.ndarray) -> tuple[int, int]:
    """Blocking pairs counted one pair at a time (no pins in these instances)."""
    n, m = instance.shape
    pts = instance.points
    held = {j: [i for i in range(n) if assign[i] == j] for j in range(m)}
    pairs, mentees = 0, set()
    for i in range(n):
        row = lists.choices[i, : lists.length[i]].tolist()
        better = row if assign[i] < 0 else row[: row.index(assign[i])]
        for j in better:
            full = len(held[j]) >= instance.capacity[j]
            # mentor prefers the higher score, then the lower mentee index
            keys = [(int(pts[r, j]), -r) for r in held[j]]
            if not full or (keys and (int(pts[i, j]), -i) > min(keys)):
                pairs += 1
                mentees.add(i)
    return pairs, len(mentees)


def assert_feasible(instance: Instance, assign: np.ndarray) -> None:
    m = instance.shape[1]
    held = np.bincount(assign[assign >= 0], minlength=m)
    assert (held <= instance.capacity).all()
    pinned = dict(instance.pins)
    for i, j in enumerate(assign.tolist()):
        if j >= 0 and i not in pinned:
            assert instance.allowed[i, j]


# --- welfare: optimal ----------------------------------------------------------------


def lsa_optimum(instance: Instance) -> tuple[int, int]:
    """(matched, points) maximising matched, then points, with scipy on the matrix with one
    column per seat and one "unmatched" column per mentee."""
    n, m = instance.shape
    seats = np.repeat(np.arange(m), instance.capacity)
    big = (int(instance.points.max(initial=0)) + 1) * (n + 1)
    cost = np.full((n, len(seats) + n), big, np.int64)
    allowed = instance.allowed[:, seats]
    cost[:, : len(seats)][allowed] = -instance.points[:, seats][allowed]
    rows, cols = linear_sum_assignment(cost)
    chosen = cost[rows, cols]
    matched = int((chosen < big).sum())
    return matched, int(-chosen[chosen < big].sum())


def quality_optimum(instance: Instance, k: int | None = None) -> tuple[int, int]:
    result = match(instance, "welfare", k=k)
    assert_feasible(instance, result.assignment)
    return result.quality.matched, round(result.quality.total_score * 1000)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 25), m=st.integers(1, 8))
def test_welfare_equals_linear_sum_assignment_on_the_seat_matrix(seed: int, n: int, m: int) -> None:
    instance = random_instance(seed, n, m)
    assert quality_optimum(instance) == lsa_optimum(instance)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 25), m=st.integers(2, 8))
def test_welfare_on_top_k_is_the_optimum_over_top_k_candidates(seed: int, n: int, m: int) -> None:
    instance = random_instance(seed, n, m)
    k = 1 + seed % (m - 1)
    lists = preference_lists(instance, k)
    shortlisted = np.zeros_like(instance.allowed)
    for i in range(n):
        shortlisted[i, lists.choices[i, : lists.length[i]]] = True
    pruned = Instance.from_arrays(
        points=instance.points, capacity=instance.capacity, acceptable=shortlisted
    )
    assert quality_optimum(instance, k) == lsa_optimum(pruned)


def brute_force(instance: Instance) -> tuple[int, int]:
    n, m = instance.shape
    best = (0, 0)
    options = [[-1, *np.flatnonzero(instance.allowed[i]).tolist()] for i in range(n)]
    for assign in itertools.product(*options):
        held = np.bincount([j for j in assign if j >= 0], minlength=m)
        if (held <= instance.capacity).all():
            matched = [(i, j) for i, j in enumerate(assign) if j >= 0]
            best = max(best, (len(matched), sum(int(instance.points[i, j]) for i, j in matched)))
    return best


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), m=st.integers(1, 3))
def test_welfare_equals_brute_force_on_tiny_instances(seed: int, n: int, m: int) -> None:
    instance = random_instance(seed, n, m, max_capacity=2)
    assert quality_optimum(instance) == brute_force(instance)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20), m=st.integers(1, 6))
def test_every_policy_but_stable_matches_as_many_as_welfare(seed: int, n: int, m: int) -> None:
    instance = random_instance(seed, n, m, stated=seed % 2 == 0)
    results = compare(instance)
    most = results["welfare"].quality.matched
    assert results["rank"].quality.matched == most
    assert results["hybrid"].quality.matched == most
    assert results["stable"].quality.matched <= most
    # the hybrid keeps everyone the stable matching placed
    stable, hybrid = results["stable"].assignment, results["hybrid"].assignment
    assert (hybrid[stable >= 0] >= 0).all()
    assert results["hybrid"].moved == int(((stable >= 0) & (hybrid != stable)).sum())
    for result in results.values():
        assert_feasible(instance, result.assignment)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 25), m=st.integers(3, 8))
def test_solving_on_the_cheapest_arcs_and_proving_it_gives_the_full_optimum(
    seed: int, n: int, m: int
) -> None:
    # long lists are solved on each mentee's `first` cheapest arcs, then certified
    instance = random_instance(seed, n, m, stated=seed % 2 == 0)
    lists = preference_lists(instance)
    seats = instance.residual_capacity()
    ii, jj, pos = _arcs(lists)
    stable = _deferred_acceptance(instance, lists, seats)
    points = instance.points[ii, jj].astype(np.int64)
    top = int(points.max(initial=0)) + 1
    welfare = top - points
    rank = 1000 * pos * pos + welfare
    hybrid = np.where(stable[ii] < 0, welfare, np.where(stable[ii] == jj, 0, 100 * n * top))
    for cost, mandatory in ((welfare, None), (rank, None), (hybrid, stable >= 0)):
        full = _flow(instance, ii, jj, cost, seats, mandatory)
        table = np.zeros(lists.choices.shape, np.int64)
        table[ii, pos] = cost
        for first, batch in ((1, 1), (1, 2), (2, m)):
            pruned = _certified_flow(instance, lists, table, seats, mandatory, first, batch)

            def total(assign: np.ndarray, cost: np.ndarray = cost) -> tuple[int, int]:
                on = assign[ii] == jj
                return int((assign >= 0).sum()), int(cost[on].sum())

            assert total(pruned) == total(full)
            if mandatory is not None:
                assert (pruned[mandatory] >= 0).all()


# --- stable: no blocking pair, same as the matching package --------------------------


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20), m=st.integers(1, 6))
def test_stable_leaves_no_blocking_pair_and_respects_capacity_and_forbids(
    seed: int, n: int, m: int
) -> None:
    instance = random_instance(seed, n, m, stated=seed % 2 == 0)
    lists = preference_lists(instance)
    results = compare(instance)
    assert results["stable"].quality.blocking_pairs == 0
    assert_feasible(instance, results["stable"].assignment)
    for result in results.values():  # the vectorised count is the naive count
        assert blocking_pairs(instance, lists, result.assignment) == naive_blocking(
            instance, lists, result.assignment
        )
        q = result.quality
        assert (q.blocking_pairs, q.mentees_in_blocking_pairs) == naive_blocking(
            instance, lists, result.assignment
        )


def package_solution(instance: Instance, lists: Lists) -> dict[int, int]:
    """The package's resident-optimal matching on the same lists. It fails on a hospital
    without seats, so those leave the lists (nobody can get one anyway)."""
    n, m = instance.shape
    open_ = {j for j in range(m) if instance.capacity[j] > 0}
    listed = {
        i: [j for j in lists.choices[i, : lists.length[i]].tolist() if j in open_] for i in range(n)
    }
    resident_prefs = {f"r{i}": [f"h{j}" for j in row] for i, row in listed.items() if row}
    applicants: dict[int, list[int]] = {j: [] for j in open_}
    for i, row in listed.items():
        for j in row:
            applicants[j].append(i)
    hospital_prefs = {
        f"h{j}": [f"r{i}" for _, i in sorted((-int(instance.points[i, j]), i) for i in rows)]
        for j, rows in applicants.items()
    }
    capacities = {f"h{j}": int(instance.capacity[j]) for j in open_}
    if not resident_prefs:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns about hospitals nobody ranked
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
        solution = game.solve(optimal="resident")
    return {
        int(r.name[1:]): int(h.name[1:]) for h, residents in solution.items() for r in residents
    }


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20), m=st.integers(1, 6))
def test_stable_is_the_matching_packages_resident_optimal_solution(
    seed: int, n: int, m: int
) -> None:
    instance = random_instance(seed, n, m, stated=seed % 3 != 0, distinct=seed % 2 == 0)
    lists = preference_lists(instance)
    ours = match(instance, "stable", lists=lists).assignment
    assert {i: j for i, j in enumerate(ours.tolist()) if j >= 0} == package_solution(
        instance, lists
    )


@pytest.mark.parametrize("k", [1, 2])
def test_stable_with_short_lists_is_the_packages_solution_too(k: int) -> None:
    for seed in range(20):
        instance = random_instance(seed, 15, 5, distinct=True)
        lists = preference_lists(instance, k)
        ours = match(instance, "stable", lists=lists).assignment
        assert {i: j for i, j in enumerate(ours.tolist()) if j >= 0} == package_solution(
            instance, lists
        )


def hospital_resident(
    residents: dict[str, list[str]], hospitals: dict[str, list[str]], capacity: int
) -> Instance:
    """Residents' lists as stated preferences; each hospital's list as its scores."""
    names, places = list(residents), list(hospitals)
    score = np.zeros((len(names), len(places)))
    for j, place in enumerate(places):
        for position, name in enumerate(hospitals[place]):
            score[names.index(name), j] = len(names) - position
    stated = np.full((len(names), len(places)), -1)
    for i, name in enumerate(names):
        for position, place in enumerate(residents[name]):
            stated[i, position] = places.index(place)
    return Instance.from_arrays(
        score,
        [capacity] * len(places),
        stated=stated,
        mentee_ids=names,
        mentor_ids=places,
    )


def pairs_of(instance: Instance, policy: Policy = "stable") -> dict[str, str]:
    return {p.mentee: p.mentor for p in match(instance, policy).pairs}


def test_it_reproduces_the_matching_package_documentation_example() -> None:
    # matching's README: {M: [L, S], C: [D, A], G: [J]}
    instance = hospital_resident(
        {
            "A": ["C"],
            "S": ["C", "M"],
            "D": ["C", "M", "G"],
            "J": ["C", "G", "M"],
            "L": ["M", "C", "G"],
        },
        {"M": ["D", "L", "S", "J"], "C": ["D", "A", "S", "L", "J"], "G": ["D", "J", "L"]},
        capacity=2,
    )
    assert pairs_of(instance) == {"L": "M", "S": "M", "D": "C", "A": "C", "J": "G"}


def test_it_reproduces_gale_and_shapleys_proposer_optimal_example() -> None:
    # Gale & Shapley (1962), 3x3 with capacity 1: proposers get their first choices, though
    # each receiver would rather have someone else (the receiver-optimal matching differs).
    instance = hospital_resident(
        {"a": ["A", "B", "C"], "b": ["B", "C", "A"], "c": ["C", "A", "B"]},
        {"A": ["b", "c", "a"], "B": ["c", "a", "b"], "C": ["a", "b", "c"]},
        capacity=1,
    )
    assert pairs_of(instance) == {"a": "A", "b": "B", "c": "C"}


def test_it_reproduces_a_textbook_rejection_chain() -> None:
    # Roth & Sotomayor style: r1 is displaced from h1 by r3 and moves down to h2, which then
    # rejects r2 (capacity 1), who takes h1's second seat.
    instance = hospital_resident(
        {"r1": ["h1", "h2"], "r2": ["h2", "h1"], "r3": ["h1", "h2"], "r4": ["h1"]},
        {"h1": ["r3", "r2", "r4", "r1"], "h2": ["r1", "r3", "r2"]},
        capacity=1,
    )
    instance = Instance.from_arrays(
        points=instance.points,
        capacity=[2, 1],
        stated=instance.stated,
        mentee_ids=instance.mentee_ids,
        mentor_ids=instance.mentor_ids,
    )
    assert pairs_of(instance) == {"r3": "h1", "r2": "h1", "r1": "h2"}
    quality = match(instance).quality
    assert quality.blocking_pairs == 0
    assert [(u.mentee, u.reason) for u in quality.unmatched] == [("r4", "capacity_exhausted")]


# --- pins and forbids ----------------------------------------------------------------


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 20), m=st.integers(1, 6))
def test_pins_survive_reruns(seed: int, n: int, m: int) -> None:
    instance = random_instance(seed, n, m, stated=seed % 2 == 0)
    rng = np.random.default_rng(seed)
    for policy in POLICIES:
        first = match(instance, policy)
        if not first.pairs:
            continue
        pinned = [(p.mentee, p.mentor) for p in first.pairs if rng.random() < 0.5]
        others = [(p.mentee, p.mentor) for p in first.pairs if (p.mentee, p.mentor) not in pinned]
        again = instance.amend(pins=pinned, forbids=others[:2])
        for _ in range(2):  # re-run, and re-run the re-run with another forbid
            result = match(again, policy)
            got = {(p.mentee, p.mentor) for p in result.pairs if p.pinned}
            assert got == set(pinned)
            assert not {(p.mentee, p.mentor) for p in result.pairs} & set(others[:2])
            assert_feasible(again, result.assignment)
            again = again.amend(forbids=others[2:3])


def test_a_pin_overrides_exclusions_but_not_forbids_or_capacity() -> None:
    instance = Instance.from_arrays(
        [[1.0, 2.0], [2.0, 1.0]], [1, 1], excluded=[[True, False], [False, False]]
    )
    for policy in POLICIES:
        assert match(instance.amend(pins=[("0", "0")]), policy).assignment.tolist() == [0, 1]
    with pytest.raises(ValueError, match="pinned and forbidden"):
        instance.amend(forbids=[("0", "1")]).amend(pins=[("0", "1")])
    with pytest.raises(ValueError, match="exceed the capacity"):
        instance.amend(pins=[("0", "1"), ("1", "1")])


# --- scores, reasons, rules ----------------------------------------------------------

CRITERIA = (
    Criterion("specialty", "high", template="both in {value}"),
    Criterion("interests", "medium", kind="overlap", label="interest"),
    Criterion("meeting", "must"),
    Criterion("gender", "low", mentor_key="wants_gender", private=True),
)


def test_it_explains_a_pair_in_words_and_data() -> None:
    mentee = Mentee(
        "ana",
        {
            "specialty": "Pediatrics",
            "interests": frozenset({"health-equity research", "teaching"}),
            "meeting": "video",
        },
    )
    mentor = Mentor(
        "bo",
        2,
        {
            "specialty": "Pediatrics",
            "interests": frozenset({"health-equity research"}),
            "meeting": "video",
        },
    )
    why = explain(CRITERIA, mentee, mentor)
    assert (
        why.text
        == "both in Pediatrics; shared interest: health-equity research; same meeting: video"
    )
    assert [(r.criterion, r.values, r.points) for r in why.reasons] == [
        ("specialty", ("Pediatrics",), 3000),
        ("interests", ("health-equity research",), 1000),
        ("meeting", ("video",), 3000),
    ]
    assert why.acceptable and why.score == 7.0
    elsewhere = explain(CRITERIA, mentee, Mentor("cy", 1, {"meeting": "in person"}))
    assert not elsewhere.acceptable and elsewhere.failed == ("meeting",)


def test_a_private_preference_never_shows_its_values() -> None:
    mentee = Mentee("ana", {"gender": "woman", "meeting": "video"})
    mentor = Mentor("bo", 1, {"wants_gender": "woman", "meeting": "video"})
    reason = explain(CRITERIA, mentee, mentor).reasons[-1]
    assert (reason.criterion, reason.detail, reason.values) == (
        "gender",
        "matches a stated preference",
        (),
    )


values = st.sampled_from(["a", "b", "c"])
attributes = st.fixed_dictionaries(
    {},
    optional={
        "specialty": values,
        "interests": st.frozensets(values),
        "meeting": values,
        "gender": values,
        "wants_gender": values,
    },
)


@SETTINGS
@given(st.lists(attributes, min_size=1, max_size=6), st.lists(attributes, min_size=1, max_size=5))
def test_the_score_matrix_equals_explain_for_every_pair(
    ours: list[dict[str, str]], theirs: list[dict[str, str]]
) -> None:
    mentees = [Mentee(f"e{i}", a) for i, a in enumerate(ours)]
    mentors = [Mentor(f"o{j}", 1, a) for j, a in enumerate(theirs)]
    instance = build(mentees, mentors, CRITERIA)
    for i, mentee in enumerate(mentees):
        for j, mentor in enumerate(mentors):
            why = explain(CRITERIA, mentee, mentor)
            assert instance.points[i, j] == why.points
            assert instance.acceptable[i, j] == why.acceptable


WIDE = (
    *CRITERIA,
    Criterion("slots", "must", kind="overlap", label="availability"),
    Criterion("topics", "low", kind="overlap", mentor_key="offers"),
    Criterion("goal", "medium"),
)
people_attributes = st.fixed_dictionaries(
    {},
    optional={
        "specialty": values,
        "interests": st.frozensets(values),
        "meeting": values,
        "gender": values,
        "wants_gender": values,
        # over 64 values: two words per set, for a must too
        "slots": st.frozensets(st.sampled_from([f"s{i}" for i in range(70)]), max_size=40),
        "topics": st.frozensets(st.sampled_from([f"t{i}" for i in range(70)]), max_size=5),
        "offers": st.frozensets(st.sampled_from([f"t{i}" for i in range(70)]), max_size=9),
        "goal": values,
    },
)


@SETTINGS
@given(
    st.lists(
        st.tuples(people_attributes, st.sampled_from(["peds", "surg", None])),
        min_size=1,
        max_size=7,
    ),
    st.lists(
        st.tuples(people_attributes, st.sampled_from(["peds", "surg", None])),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([(1 << 22, 1 << 14), (0, 1)]),
)
def test_every_scoring_path_equals_explain_and_the_department_rule(
    ours: list[tuple[dict[str, str], str | None]],
    theirs: list[tuple[dict[str, str], str | None]],
    limits: tuple[int, int],
) -> None:
    """Classes scored ahead and one combined overlap table, or every block scored on its
    own with one table per criterion (sets over 64 values take two words): same scores."""
    mentees = [Mentee(f"e{i}", a, dept) for i, (a, dept) in enumerate(ours)]
    mentors = [Mentor(f"o{j}", 1, a, dept) for j, (a, dept) in enumerate(theirs)]
    with (
        mock.patch.object(matching, "_CLASSES", limits[0]),
        mock.patch.object(matching, "_TABLE", limits[1]),
    ):
        instance = build(mentees, mentors, WIDE, Rules(exclude_same_department=True))
    for i, mentee in enumerate(mentees):
        for j, mentor in enumerate(mentors):
            why = explain(WIDE, mentee, mentor)
            assert instance.points[i, j] == why.points
            assert instance.acceptable[i, j] == why.acceptable
            same = mentee.department is not None and mentee.department == mentor.department
            assert instance.allowed[i, j] == (why.acceptable and not same)


def test_a_must_over_more_than_64_values_is_met_by_a_value_in_any_word() -> None:
    many = frozenset(f"w{i:02d}" for i in range(70))  # codes 0-69: two 64-bit words
    mentees = [
        Mentee("wide", {"slots": many}),
        Mentee("late", {"slots": frozenset({"w66"})}),  # only in the second word
        Mentee("early", {"slots": frozenset({"w01"})}),
    ]
    mentors = [Mentor("a", 1, {"slots": frozenset({"w66"})}), Mentor("b", 1, {"slots": many})]
    must = (Criterion("slots", "must", kind="overlap"),)
    instance = build(mentees, mentors, must)
    assert instance.acceptable.tolist() == [[True, True], [True, True], [False, True]]
    for i, mentee in enumerate(mentees):
        for j, mentor in enumerate(mentors):
            assert instance.points[i, j] == explain(must, mentee, mentor).points


def test_rules_exclude_supervisors_departments_previous_mentors_and_cap_the_load() -> None:
    mentees = [
        Mentee("m1", {"meeting": "video"}, "peds", reporting_line=frozenset({"s1"})),
        Mentee("m2", {"meeting": "video"}, "surgery", previous_mentors=frozenset({"s2"})),
        Mentee("m3", {"meeting": "video"}, "peds"),
        Mentee("m4", {"meeting": "phone"}, "peds"),
    ]
    mentors = [
        Mentor("s1", 2, {"meeting": "video"}, "surgery"),
        Mentor("s2", 2, {"meeting": "video"}, "peds", current_load=3),
        Mentor("s3", 1, {"meeting": "video"}, "peds"),
    ]
    rules = Rules(exclude_same_department=True, load_cap=4)
    instance = build(mentees, mentors, CRITERIA, rules)
    assert instance.allowed.tolist() == [
        [False, False, False],  # supervisor s1; s2 and s3 in peds
        [False, False, True],  # s1 same department; s2 was their mentor
        [True, False, False],
        [False, False, False],  # no mentor meets by phone
    ]
    assert instance.capacity.tolist() == [2, 1, 1]
    for policy in POLICIES:
        quality = match(instance, policy).quality
        assert quality.matched == 2
        assert {(u.mentee, u.reason) for u in quality.unmatched} == {
            ("m1", "all_candidates_forbidden"),
            ("m4", "no_acceptable_mentor"),
        }
        assert quality.idle_mentors == ("s2",)


def test_stated_preferences_give_the_list_and_scores_fill_in_the_rest() -> None:
    mentees = [
        Mentee("m1", {"specialty": "peds"}, preferences=("s3", "s1")),
        Mentee("m2", {"specialty": "peds"}),
    ]
    mentors = [
        Mentor("s1", 1, {"specialty": "peds"}),
        Mentor("s2", 1, {"specialty": "surgery"}),
        Mentor("s3", 1, {"specialty": "peds"}),
    ]
    instance = build(mentees, mentors, CRITERIA[:1])
    lists = preference_lists(instance)
    assert lists.choices[0, : lists.length[0]].tolist() == [2, 0]
    assert lists.choices[1, : lists.length[1]].tolist() == [0, 2, 1]  # score, then order
    result = match(instance)
    assert [(p.mentee, p.mentor, p.rank) for p in result.pairs] == [
        ("m1", "s3", 1),
        ("m2", "s1", 1),
    ]
    assert result.quality.top1_share == 1.0


def test_the_rank_policy_avoids_placing_anyone_far_down() -> None:
    # welfare takes the best total score (9 + 9) by giving m1 its last choice; rank gives
    # both their first choice (10 + 5)
    score = [[10, 9, 0], [9, 5, 1]]
    stated = [[0, 1, 2], [1, 2, 0]]
    instance = Instance.from_arrays(score, [1, 1, 1], stated=stated)
    welfare, rank = match(instance, "welfare"), match(instance, "rank")
    assert welfare.assignment.tolist() == [1, 0]
    assert (welfare.quality.total_score, welfare.quality.worst_rank) == (18, 3)
    assert rank.assignment.tolist() == [0, 1]
    assert (rank.quality.total_score, rank.quality.worst_rank, rank.quality.top1_share) == (
        15,
        1,
        1.0,
    )


def test_capacity_outside_one_to_four_is_rejected() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Mentor("s1", 5)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), m=st.integers(1, 9))
def test_score_lists_rank_allowed_mentors_by_score_then_index(seed: int, n: int, m: int) -> None:
    instance = random_instance(seed, n, m)
    for k in (*range(1, m + 1), None):
        lists = preference_lists(instance, k)
        for i in range(n):
            keys = [(-int(instance.points[i, j]), j) for j in range(m) if instance.allowed[i, j]]
            ranked = [j for _, j in sorted(keys)][:k]
            assert lists.choices[i, : lists.length[i]].tolist() == ranked
            assert (lists.choices[i, lists.length[i] :] == -1).all()
