"""Mentor matching benchmark: Ristra's four policies against the `matching` package.

Generates deterministic programs of 200x80, 2,000x800 and 10,000x4,000 (mentees x
mentors): capacities 1-4 adding up to the number of mentees; specialty, interests, career
goal and meeting mode scored; shared availability a must; a supervisor per mentee (a
forbidden pair) and no mentor from the mentee's own department.  Mentees state noisy
preferences (their score plus Gaussian noise): complete lists at the two smaller sizes,
top-50 lists at the largest.

For each size it times each policy end to end as :func:`ristra.analytics.matching.match`
runs it (preference lists from the stated ones, then the policy, then the quality
report), median of ``--runs`` runs; the scoring (:func:`build`) is timed on its own.  At
the largest size it adds welfare on score-based top-50 lists and on complete lists (the
exact optimum; one run), the loss from pruning, and the whole way from people to pairs
(``build`` + score-based top-50 lists + welfare; wall and process CPU time, with the load
average).  In the same run it solves the
stable-matching lists with the `matching` package's resident-optimal hospital-resident
solver (the open-source anchor), in a child process with a raised recursion limit,
checks that the two assignments are identical, and prints the ratios.  Peak memory is
``ru_maxrss`` of this process (Ristra) and of the child (the anchor).

The full run solves the anchor at every size (about 2 minutes each at 2,000x800 and
10,000x4,000).  ``--quick`` runs it only at 200x80 and at 2,000x800 with a time-out
(``--timeout``, default 60 s), and says so.

    .venv/bin/python bench/matching.py [--quick] [--timeout 60] [--runs 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import multiprocessing as mp
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np
from numpy.typing import NDArray

from ristra.analytics.matching import (
    POLICIES,
    SCALE,
    Criterion,
    Instance,
    Lists,
    MatchResult,
    Mentee,
    Mentor,
    Quality,
    Rules,
    build,
    match,
    preference_lists,
)

SIZES: Final = ((200, 80), (2_000, 800), (10_000, 4_000))
TOP_K: Final = 50  # list length at the largest size
NOISE: Final = 2.0  # sd of the noise on stated preferences, in score units
SPECIALTIES: Final = [f"specialty {i:02d}" for i in range(24)]
DEPARTMENTS: Final = [f"department {i:02d}" for i in range(30)]
TOPICS: Final = [f"topic {i:02d}" for i in range(40)]
GOALS: Final = ["research", "clinical", "education", "leadership", "industry", "policy"]
MEETING: Final = ["in person", "video", "either"]
SLOTS: Final = [f"slot {i}" for i in range(10)]
CRITERIA: Final = (
    Criterion("specialty", "high", template="both in {value}"),
    Criterion("interests", "high", kind="overlap", label="interest"),
    Criterion("goal", "medium", label="career goal"),
    Criterion("meeting", "low", label="meeting preference"),
    Criterion("slots", "must", kind="overlap", label="availability"),
)
RULES: Final = Rules(exclude_same_department=True)
T = TypeVar("T")


# --------------------------------------------------------------------------- instances


def _skewed(rng: np.random.Generator, values: list[str], size: int, power: float) -> list[str]:
    weights = 1 / np.arange(1, len(values) + 1) ** power
    return [values[v] for v in rng.choice(len(values), size=size, p=weights / weights.sum())]


def _sets(
    rng: np.random.Generator, values: list[str], size: int, low: int, high: int, power: float
) -> list[frozenset[str]]:
    weights = 1 / np.arange(1, len(values) + 1) ** power
    weights /= weights.sum()
    counts = rng.integers(low, high + 1, size=size)
    return [
        frozenset(values[v] for v in rng.choice(len(values), size=c, replace=False, p=weights))
        for c in counts
    ]


def _capacities(rng: np.random.Generator, m: int, total: int) -> list[int]:
    """Capacities 1-4 adding up to ``total`` (m <= total <= 4m)."""
    caps = rng.integers(1, 5, size=m)
    while (gap := total - int(caps.sum())) != 0:
        room = np.flatnonzero(caps < 4) if gap > 0 else np.flatnonzero(caps > 1)
        pick = rng.choice(room, size=min(abs(gap), len(room)), replace=False)
        caps[pick] += 1 if gap > 0 else -1
    return caps.tolist()


def people(n: int, m: int, seed: int) -> tuple[list[Mentee], list[Mentor]]:
    rng = np.random.default_rng(seed)
    mentor_ids = [f"mentor {j}" for j in range(m)]
    mentors = [
        Mentor(mentor_ids[j], cap, attrs, dept)
        for j, (cap, attrs, dept) in enumerate(
            zip(
                _capacities(rng, m, n),
                _attributes(rng, m, mentor=True),
                _skewed(rng, DEPARTMENTS, m, 0.5),
                strict=True,
            )
        )
    ]
    supervisors = rng.integers(0, m, size=n)
    mentees = [
        Mentee(f"mentee {i}", attrs, dept, reporting_line=frozenset({mentor_ids[s]}))
        for i, (attrs, dept, s) in enumerate(
            zip(
                _attributes(rng, n, mentor=False),
                _skewed(rng, DEPARTMENTS, n, 0.5),
                supervisors.tolist(),
                strict=True,
            )
        )
    ]
    return mentees, mentors


def _attributes(rng: np.random.Generator, size: int, *, mentor: bool) -> list[dict[str, Any]]:
    # mentees crowd into a few specialties and topics more than mentors do: competition
    power = 0.6 if mentor else 1.0
    columns: dict[str, list[str] | list[frozenset[str]]] = {
        "specialty": _skewed(rng, SPECIALTIES, size, power),
        "interests": _sets(rng, TOPICS, size, 3 if mentor else 2, 6 if mentor else 4, power),
        "goal": _skewed(rng, GOALS, size, 0.5),
        "meeting": _skewed(rng, MEETING, size, 0.3),
        "slots": _sets(rng, SLOTS, size, 2 if mentor else 1, 5 if mentor else 3, 0.8),
    }
    return [{key: values[i] for key, values in columns.items()} for i in range(size)]


def stated_preferences(instance: Instance, k: int | None, seed: int) -> NDArray[np.int32]:
    """Each mentee's list: acceptable mentors by score plus noise, the top ``k`` or all.
    A mentee may list their supervisor or a mentor from their department: the rules drop
    those when the lists are built."""
    rng = np.random.default_rng(seed + 1)
    n, m = instance.shape
    noisy = instance.points / SCALE + rng.normal(0, NOISE, size=(n, m))
    noisy[~instance.acceptable] = -np.inf
    width = m if k is None else min(k, m)
    order = np.argsort(-noisy, axis=1)[:, :width]
    count = np.minimum(instance.acceptable.sum(axis=1), width)
    stated = order.astype(np.int32)
    stated[np.arange(width)[None, :] >= count[:, None]] = -1
    return stated


# --------------------------------------------------------------------------- the anchor


def _hospital_resident() -> Any:
    """The `matching` package (this file's own name shadows it on sys.path)."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    return importlib.import_module("matching.games").HospitalResident


def _anchor_child(
    choices: NDArray[np.int32],
    length: NDArray[np.int64],
    keys: NDArray[np.int64],
    capacity: NDArray[np.int64],
    out: Any,
) -> None:
    sys.setrecursionlimit(1_000_000)
    hospital_resident = _hospital_resident()
    start = time.perf_counter()
    resident_prefs: dict[str, list[str]] = {}
    applicants: dict[int, list[tuple[int, int]]] = {j: [] for j in range(len(capacity))}
    for i in range(len(length)):
        row = choices[i, : length[i]].tolist()
        if row:
            resident_prefs[f"r{i}"] = [f"h{j}" for j in row]
        for j, key in zip(row, keys[i, : length[i]].tolist(), strict=True):
            applicants[j].append((key, i))
    hospital_prefs = {
        f"h{j}": [f"r{i}" for _, i in sorted(a, reverse=True)] for j, a in applicants.items()
    }
    capacities = {f"h{j}": int(c) for j, c in enumerate(capacity.tolist())}
    game = hospital_resident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
    built = time.perf_counter()
    solution = game.solve(optimal="resident")
    done = time.perf_counter()
    pairs = {int(r.name[1:]): int(h.name[1:]) for h, rs in solution.items() for r in rs}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send((built - start, done - built, pairs, peak))


@dataclasses.dataclass(frozen=True)
class Anchor:
    seconds: float | None  # None: timed out
    build_seconds: float
    assignment: dict[int, int]
    peak_mib: float


def run_anchor(instance: Instance, lists: Lists, timeout: float | None) -> Anchor:
    """The package on exactly the stable policy's lists, in a fresh child process."""
    n = instance.shape[0]
    rows = np.repeat(np.arange(n), lists.choices.shape[1]).reshape(lists.choices.shape)
    keys = instance.points[rows, np.maximum(lists.choices, 0)].astype(np.int64) * n + (n - 1 - rows)
    capacity = instance.residual_capacity()
    context = mp.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_anchor_child, args=(lists.choices, lists.length, keys, capacity, send)
    )
    child.start()
    ready = receive.poll(timeout)
    if not ready:
        child.kill()
        child.join()
        return Anchor(None, 0.0, {}, 0.0)
    build_seconds, solve_seconds, pairs, peak = receive.recv()
    child.join()
    return Anchor(build_seconds + solve_seconds, build_seconds, pairs, peak)


# --------------------------------------------------------------------------- reporting


def timed(runs: int, fn: Callable[[], T]) -> tuple[float, T]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def people_to_pairs(
    mentees: list[Mentee], mentors: list[Mentor], k: int, runs: int
) -> tuple[float, float, MatchResult]:
    """Median wall and process CPU seconds of build() then welfare on score-based top-k."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        result = match(build(mentees, mentors, CRITERIA, RULES), "welfare", k=k)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return statistics.median(walls), statistics.median(cpus), result


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def row(label: str, seconds: float, q: Quality, moved: int) -> str:
    why = Counter(u.reason for u in q.unmatched)
    unmatched = ", ".join(f"{c} {r.replace('_', ' ')}" for r, c in sorted(why.items())) or "-"
    return (
        f"  {label:<22} {seconds:8.3f} s  matched {q.matched:>6,}/{q.mentees:,}"
        f"  score {q.total_score:>10,.1f}"
        f"  rank mean {q.mean_rank or 0:6.2f} worst {q.worst_rank or 0:>4}"
        f"  top1 {q.top1_share:6.1%} top3 {q.top3_share:6.1%}"
        f"  blocking {q.blocking_pairs:>7,} pairs / {q.mentees_in_blocking_pairs:>6,} mentees"
        f" ({q.mentees_in_blocking_pairs / q.mentees:5.1%})  moved {moved:>4}"
        f"  unmatched: {unmatched}"
    )


def trade_off(results: dict[str, MatchResult]) -> str:
    stable, welfare = results["stable"].quality, results["welfare"].quality
    loss = 1 - stable.total_score / welfare.total_score
    return (
        f"  trade-off: welfare puts {welfare.mentees_in_blocking_pairs / welfare.mentees:.1%} of "
        f"mentees in a blocking pair (mean rank {welfare.mean_rank or 0:.1f}, "
        f"{welfare.mentees - welfare.matched} unmatched); stable has none "
        f"(mean rank {stable.mean_rank or 0:.1f}) but leaves {stable.mentees - stable.matched} "
        f"unmatched and scores {loss:.1%} less in total"
    )


def run_size(n: int, m: int, args: argparse.Namespace) -> None:
    k = None if n < 10_000 else TOP_K
    print(f"\n== {n:,} mentees x {m:,} mentors ({'complete' if k is None else f'top-{k}'} lists)")
    mentees, mentors = people(n, m, args.seed)
    build_seconds, instance = timed(1, lambda: build(mentees, mentors, CRITERIA, RULES))
    instance = dataclasses.replace(instance, stated=stated_preferences(instance, k, args.seed))
    lists = preference_lists(instance)
    print(
        f"  scoring (build): {build_seconds:.3f} s; seats {int(instance.capacity.sum()):,}; "
        f"allowed pairs {int(instance.allowed.sum()):,}; mean list length {lists.length.mean():.1f}"
    )
    results: dict[str, MatchResult] = {}
    seconds: dict[str, float] = {}
    for policy in POLICIES:
        seconds[policy], results[policy] = timed(
            args.runs,
            functools.partial(match, instance, policy),
        )
        print(row(policy, seconds[policy], results[policy].quality, results[policy].moved))
    print(trade_off(results))
    if k is not None:
        by_score = dataclasses.replace(instance, stated=None)
        for label, cut in ((f"welfare, score top-{k}", k), ("welfare, complete", None)):
            runs = args.runs if cut is not None else 1
            seconds[label], results[label] = timed(
                runs,
                functools.partial(match, by_score, "welfare", k=cut),
            )
            print(row(label, seconds[label], results[label].quality, 0))
        exact = results["welfare, complete"].quality.total_score
        pruned = results[f"welfare, score top-{k}"].quality.total_score
        print(f"  pruning to top-{k} costs {1 - pruned / exact:.3%} of the exact optimum")
        # from people to pairs: scoring, score-based top-k lists, welfare, quality report
        wall, cpu, e2e = people_to_pairs(mentees, mentors, k, args.runs)
        assert e2e.quality.total_score == pruned
        print(
            f"  people to pairs (build + score top-{k} + welfare): {wall:.3f} s "
            f"(process CPU {cpu:.3f} s, median of {args.runs}; load {_load()})"
        )
    print(f"  peak memory so far (Ristra process): {peak_mib():,.0f} MiB")

    if args.quick and n >= 10_000:
        print("  anchor: skipped (--quick)")
        return
    timeout = args.timeout if args.quick and n > 200 else None
    anchor = run_anchor(instance, lists, timeout)
    if anchor.seconds is None:
        timeout = timeout or 0.0
        print(f"  anchor (matching 1.4.3 HospitalResident): timed out after {timeout:.0f} s")
        ratios = ", ".join(f"{p} > {timeout / seconds[p]:,.0f}x" for p in POLICIES)
        print(f"  ratios (anchor / Ristra, lower bounds): {ratios}")
        return
    ours = {i: j for i, j in enumerate(results["stable"].assignment.tolist()) if j >= 0}
    print(
        f"  anchor (matching 1.4.3 HospitalResident): {anchor.seconds:.2f} s "
        f"(of which building the game {anchor.build_seconds:.2f} s), "
        f"peak {anchor.peak_mib:,.0f} MiB; "
        f"identical to Ristra's stable matching: {'yes' if anchor.assignment == ours else 'NO'}"
    )
    ratios = ", ".join(f"{p} {anchor.seconds / seconds[p]:,.0f}x" for p in POLICIES)
    print(f"  ratios (anchor / Ristra, end to end): {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="anchor at the two smaller sizes only, with a time-out"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="anchor time-out with --quick (s)"
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs per policy (median)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sizes", type=int, default=len(SIZES), help="run the first N sizes")
    parser.add_argument("--skip", type=int, default=0, help="skip the first N sizes")
    args = parser.parse_args()
    print(
        f"matching benchmark, seed {args.seed}, median of {args.runs} runs, noise sd {NOISE}, "
        f"load {_load()}"
    )
    for n, m in SIZES[args.skip : args.sizes]:
        run_size(n, m, args)
    print(f"\npeak memory (Ristra process): {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
