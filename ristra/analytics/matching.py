"""Mentor matching: scores with reasons, four policies, one quality report.

Plain Python (numpy, OR-Tools): no Django.  The mentoring app turns enrolments into
:class:`Mentee`, :class:`Mentor`, :class:`Criterion` and :class:`Rules`, calls
:func:`build` once, then :func:`match` (or :func:`compare`) for each policy.

Scores
------
Each criterion compares a mentee attribute with a mentor attribute: ``same`` (equal
values, e.g. specialty) or ``overlap`` (shared items, e.g. interests; graded by the share
of the mentee's items the mentor has).  Weights are ``high`` 3, ``medium`` 2, ``low`` 1
score units; a ``must`` criterion weighs 3 and is also a hard constraint: a pair that
fails it is not acceptable.  Scores are kept as integer *points* (``SCALE`` per unit), so
the flow costs are exact and the vectorised scores equal :func:`explain`'s.
:func:`explain` gives the reasons for one pair, as text ("both in Pediatrics; shared
interest: health-equity research") and as structured data for translation.

Preferences
-----------
A mentee's ranked list is what they stated (mentors not listed are not acceptable to
them), or, when they stated nothing, every allowed mentor by score (ties: mentor order).
A mentor prefers mentees by score (ties: mentee order).  Lists can be cut to each
mentee's top ``k``; every policy in one comparison sees the same lists.

Policies (all honour pins: pinned pairs are assigned first and take capacity)
---------------------------------------------------------------------------------
* ``stable``: mentee-proposing deferred acceptance with capacities (the mentee-optimal
  stable matching, unique; one heap per mentor).
* ``welfare``: as many mentees matched as possible, then the largest total score: a
  min-cost flow (OR-Tools ``SimpleMinCostFlow.solve_max_flow_with_min_cost``) in which a
  pair not on the mentee's list is a missing arc.
* ``rank``: as many matched as possible, then the least total of a convex rank cost
  (``rank_weight`` score units times ``(rank - 1) ** 2``, ranks beyond ``RANK_CAP`` counted
  as ``RANK_CAP``) minus score: the fewest people far down their list.
* ``hybrid``: deferred acceptance, then a maximum-cardinality flow that places whoever it
  left unmatched, keeping every stably matched mentee matched and moving as few of them
  as possible (``MatchResult.moved``).

Every policy returns a :class:`MatchResult` whose :class:`Quality` has the total score,
number matched, mean and worst rank, the share with their first / a top-3 choice,
blocking pairs (relative to the lists the policies saw; pinned mentees and their seats
are fixed) and the mentees in one, and each unmatched mentee with the reason.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from ortools.graph.python import max_flow, min_cost_flow

Value = str | frozenset[str]
Weight = Literal["must", "high", "medium", "low"]
Kind = Literal["same", "overlap"]
Policy = Literal["stable", "welfare", "rank", "hybrid"]
UnmatchedReason = Literal["no_acceptable_mentor", "all_candidates_forbidden", "capacity_exhausted"]

POLICIES: Final[tuple[Policy, ...]] = ("stable", "welfare", "rank", "hybrid")
WEIGHTS: Final[Mapping[Weight, int]] = {"must": 3, "high": 3, "medium": 2, "low": 1}
SCALE: Final = 1000  # points per score unit
MAX_CAPACITY: Final = 4
TEMPLATES: Final[Mapping[Kind, str]] = {
    "same": "same {label}: {value}",
    "overlap": "shared {label}: {value}",
}
PRIVATE_DETAIL: Final = "matches a stated preference"
RANK_CAP: Final = 100  # the rank policy counts a rank beyond this as this
_CHUNK: Final = 16  # list entries a proposing mentee takes from numpy at a time
_BLOCK: Final = 1 << 22  # list entries per block in the passes over every entry
_SCORE_BLOCK: Final = 1 << 16  # pairs per block when scoring: its temporaries stay in cache
_THREADS: Final = min(4, os.cpu_count() or 1)  # scoring threads (numpy releases the GIL)
#: most (mentee class x mentor) entries scored ahead for the "same" criteria
_CLASSES: Final = 1 << 22
_TABLE: Final = 1 << 14  # most entries in one combined overlap table (it stays in cache)

IntArray = NDArray[np.int64]
#: scores in points: int16 when every possible total fits (half the memory), else int32
PointArray = NDArray[np.signedinteger[Any]]
BoolArray = NDArray[np.bool_]


# --- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mentee:
    id: str
    attributes: Mapping[str, Value] = field(default_factory=dict)
    department: str | None = None
    #: ids of people above this mentee (supervisor and up): never their mentor
    reporting_line: frozenset[str] = frozenset()
    previous_mentors: frozenset[str] = frozenset()
    #: mentor ids in order of preference; None = rank by score
    preferences: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Mentor:
    id: str
    capacity: int = 1
    attributes: Mapping[str, Value] = field(default_factory=dict)
    department: str | None = None
    #: ids of people above this mentor: a mentee among them is never their mentee
    reporting_line: frozenset[str] = frozenset()
    #: mentees held in other programs, counted against ``Rules.load_cap``
    current_load: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.capacity <= MAX_CAPACITY:
            raise ValueError(f"mentor {self.id}: capacity must be 1-{MAX_CAPACITY}")


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str  # mentee attribute
    weight: Weight
    kind: Kind = "same"
    mentor_key: str | None = None  # mentor attribute; defaults to ``key``
    label: str | None = None  # defaults to ``key`` with spaces
    #: e.g. "both in {value}"; defaults to TEMPLATES[kind]
    template: str | None = None
    #: a participant-chosen preference on a private attribute: the reason never shows values
    private: bool = False

    @property
    def other_key(self) -> str:
        return self.mentor_key or self.key

    def detail(self, values: Sequence[str]) -> str:
        if self.private:
            return PRIVATE_DETAIL
        label = self.label or self.key.replace("_", " ")
        return (self.template or TEMPLATES[self.kind]).format(label=label, value=", ".join(values))


@dataclass(frozen=True, slots=True)
class Rules:
    exclude_reporting_line: bool = True
    exclude_same_department: bool = False
    exclude_previous_mentors: bool = True
    #: most mentees a mentor may hold across programs (None = no cap)
    load_cap: int | None = None
    pins: Sequence[tuple[str, str]] = ()  # (mentee id, mentor id)
    forbids: Sequence[tuple[str, str]] = ()


# --- explanations ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    criterion: str  # Criterion.key
    detail: str  # English; translate from criterion + values
    values: tuple[str, ...]  # empty for a private criterion
    points: int


@dataclass(frozen=True, slots=True)
class Explanation:
    points: int
    acceptable: bool  # passes every must criterion
    reasons: tuple[Reason, ...]
    failed: tuple[str, ...]  # must criteria not met

    @property
    def score(self) -> float:
        return self.points / SCALE

    @property
    def text(self) -> str:
        return "; ".join(reason.detail for reason in self.reasons)


def _as_set(value: Value | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    return frozenset((value,)) if isinstance(value, str) else value


def _single(value: Value | None, criterion: Criterion) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"criterion {criterion.key!r} compares single values, got a set")


def _overlap_points(weight: int, shared: int, size: int) -> int:
    """``weight * shared / size`` rounded half up, in integers (as the matrices do)."""
    return (2 * weight * shared + size) // (2 * size) if size else 0


def explain(criteria: Sequence[Criterion], mentee: Mentee, mentor: Mentor) -> Explanation:
    """The pair's score and the reasons for it, one per criterion that contributes."""
    total = 0
    reasons: list[Reason] = []
    failed: list[str] = []
    for criterion in criteria:
        weight = WEIGHTS[criterion.weight] * SCALE
        ours = mentee.attributes.get(criterion.key)
        theirs = mentor.attributes.get(criterion.other_key)
        if criterion.kind == "same":
            a, b = _single(ours, criterion), _single(theirs, criterion)
            shared: tuple[str, ...] = (a,) if a is not None and a == b else ()
            points = weight if shared else 0
        else:
            wanted = _as_set(ours)
            shared = tuple(sorted(wanted & _as_set(theirs)))
            points = _overlap_points(weight, len(shared), len(wanted))
        if not shared:
            if criterion.weight == "must":
                failed.append(criterion.key)
            continue
        total += points
        values = () if criterion.private else shared
        reasons.append(Reason(criterion.key, criterion.detail(shared), values, points))
    return Explanation(total, not failed, tuple(reasons), tuple(failed))


# --- the instance ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False, slots=True)
class Instance:
    """One matching problem as arrays (n mentees x m mentors). Build with :func:`build`
    or :meth:`from_arrays`; amend pins and forbids with :meth:`amend`."""

    mentee_ids: tuple[str, ...]
    mentor_ids: tuple[str, ...]
    points: PointArray  # (n, m) score in points
    acceptable: BoolArray  # (n, m) passes every must criterion
    allowed: BoolArray  # (n, m) acceptable, not excluded, not forbidden
    capacity: IntArray  # (m,) seats in this program (after any load cap)
    pins: tuple[tuple[int, int], ...] = ()
    forbids: tuple[tuple[int, int], ...] = ()
    #: (n, s) stated mentor indices in order, -1 padded; an all -1 row = rank by score
    stated: NDArray[np.int32] | None = None

    @classmethod
    def from_arrays(
        cls,
        score: ArrayLike | None = None,
        capacity: ArrayLike = (),
        *,
        points: ArrayLike | None = None,
        acceptable: ArrayLike | None = None,
        excluded: ArrayLike | None = None,
        forbids: Iterable[tuple[int, int]] = (),
        pins: Iterable[tuple[int, int]] = (),
        stated: ArrayLike | None = None,
        mentee_ids: Sequence[str] | None = None,
        mentor_ids: Sequence[str] | None = None,
    ) -> Instance:
        """From a score matrix in score units (or ``points``), by index."""
        if (score is None) == (points is None):
            raise ValueError("give score or points")
        if points is None:
            pts = np.rint(np.asarray(score, dtype=np.float64) * SCALE).astype(np.int32)
        else:
            pts = np.asarray(points, dtype=np.int32)
        if pts.ndim != 2:
            raise ValueError("score must be a matrix (mentees x mentors)")
        n, m = pts.shape
        ok = np.ones((n, m), bool) if acceptable is None else np.asarray(acceptable, bool)
        # ok and not excluded, in one pass (for booleans a > b is a and not b)
        allowed = ok.copy() if excluded is None else np.greater(ok, np.asarray(excluded, bool))
        forbid_list = tuple(sorted({(int(i), int(j)) for i, j in forbids}))
        for i, j in forbid_list:
            allowed[i, j] = False
        stated_arr = None if stated is None else np.asarray(stated, dtype=np.int32)
        instance = cls(
            mentee_ids=tuple(mentee_ids) if mentee_ids else tuple(map(str, range(n))),
            mentor_ids=tuple(mentor_ids) if mentor_ids else tuple(map(str, range(m))),
            points=pts,
            acceptable=ok,
            allowed=allowed,
            capacity=np.asarray(capacity, dtype=np.int64).reshape(-1),
            pins=tuple((int(i), int(j)) for i, j in pins),
            forbids=forbid_list,
            stated=stated_arr,
        )
        instance._validate()
        return instance

    @property
    def shape(self) -> tuple[int, int]:
        n, m = self.points.shape
        return n, m

    def _validate(self) -> None:
        n, m = self.shape
        if len(self.mentee_ids) != n or len(self.mentor_ids) != m:
            raise ValueError("ids do not match the score matrix")
        if self.acceptable.shape != (n, m) or self.allowed.shape != (n, m):
            raise ValueError("masks must have the score matrix's shape")
        if self.capacity.shape != (m,) or (self.capacity < 0).any():
            raise ValueError("one capacity >= 0 per mentor")
        if self.stated is not None:
            s = self.stated
            if s.ndim != 2 or s.shape[0] != n or ((s < -1) | (s >= m)).any():
                raise ValueError("stated preferences: one row of mentor indices per mentee")
            ordered = np.sort(s, axis=1)
            if ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)).any():
                raise ValueError("stated preferences list a mentor twice")
        seen: set[int] = set()
        load = np.zeros(m, np.int64)
        forbidden = set(self.forbids)
        for i, j in self.pins:
            if not (0 <= i < n and 0 <= j < m):
                raise ValueError(f"pin ({i}, {j}) is out of range")
            if i in seen:
                raise ValueError(f"mentee {self.mentee_ids[i]} is pinned twice")
            if (i, j) in forbidden:
                raise ValueError(
                    f"pair {self.mentee_ids[i]}-{self.mentor_ids[j]} is pinned and forbidden"
                )
            seen.add(i)
            load[j] += 1
        over = np.flatnonzero(load > self.capacity)
        if over.size:
            raise ValueError(f"pins exceed the capacity of mentor {self.mentor_ids[over[0]]}")

    def amend(
        self, *, pins: Iterable[tuple[str, str]] = (), forbids: Iterable[tuple[str, str]] = ()
    ) -> Instance:
        """A copy with more pins and forbids, given as (mentee id, mentor id)."""
        new_pins = self.pins + tuple(self._index(pair) for pair in pins)
        new_forbids = {self._index(pair) for pair in forbids}
        allowed = self.allowed.copy()
        for i, j in new_forbids:
            allowed[i, j] = False
        amended = dataclasses.replace(
            self,
            pins=new_pins,
            forbids=tuple(sorted(set(self.forbids) | new_forbids)),
            allowed=allowed,
        )
        amended._validate()
        return amended

    def _index(self, pair: tuple[str, str]) -> tuple[int, int]:
        mentee, mentor = pair
        try:
            return self.mentee_ids.index(mentee), self.mentor_ids.index(mentor)
        except ValueError:
            raise ValueError(f"unknown pair {mentee}-{mentor}") from None

    def pinned(self) -> BoolArray:
        mask = np.zeros(self.shape[0], bool)
        mask[[i for i, _ in self.pins]] = True
        return mask

    def residual_capacity(self) -> IntArray:
        seats = self.capacity.copy()
        np.subtract.at(seats, [j for _, j in self.pins], 1)
        return seats


def _row_blocks(n: int, width: int) -> list[slice]:
    """Row ranges of about ``_BLOCK`` entries: the big passes run block by block, so their
    temporaries stay small."""
    step = max(1, _BLOCK // max(width, 1))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def _codes(values: Sequence[str | None], vocabulary: dict[str, int]) -> IntArray:
    return np.fromiter(
        (-1 if v is None else vocabulary.setdefault(v, len(vocabulary)) for v in values),
        dtype=np.int64,
        count=len(values),
    )


def _bits(sets: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> NDArray[np.uint64]:
    """Each set as a bit mask over the vocabulary, 64 values a word: (len(sets), words)."""
    codes = [[vocabulary.setdefault(v, len(vocabulary)) for v in sorted(s)] for s in sets]
    words = max(1, -(-len(vocabulary) // 64))
    masks = np.zeros((len(sets), words), np.uint64)
    for row, values in enumerate(codes):
        for code in values:
            masks[row, code // 64] |= np.uint64(1) << np.uint64(code % 64)
    return masks


@dataclass(frozen=True, eq=False, slots=True)
class _Same:
    """The "same" criteria, for classes of mentees alike in every one of them (a program
    has a few hundred such classes however many mentees it has)."""

    group: IntArray  # (n,) each mentee's class
    codes: IntArray  # (classes, c) each class's codes, one column per criterion
    theirs: IntArray  # (c, m) the mentors' codes, -2 where missing (never equal)
    weights: tuple[int, ...]  # points per criterion
    musts: tuple[bool, ...]
    dtype: type[np.int16] | type[np.int32]
    #: every class against every mentor (points, passes the musts), when that is small
    rows: tuple[PointArray, BoolArray] | None = None

    def score(self, codes: IntArray) -> tuple[PointArray, BoolArray]:
        """(points, passes the musts) of these classes against every mentor."""
        m = self.theirs.shape[1]
        points: PointArray = np.zeros((len(codes), m), self.dtype)
        ok = np.ones((len(codes), m), bool)
        for c, (weight, must) in enumerate(zip(self.weights, self.musts, strict=True)):
            met = codes[:, c, None] == self.theirs[None, c]
            points += met * self.dtype(weight)
            if must:
                ok &= met
        return points, ok


def _same_codes(
    ours: Sequence[str | None], theirs: Sequence[str | None]
) -> tuple[IntArray, IntArray]:
    """One code per value, shared by both sides; missing: -1 for a mentee, -2 for a mentor
    (never equal)."""
    vocabulary: dict[str, int] = {}
    a, b = _codes(ours, vocabulary), _codes(theirs, vocabulary)
    return a, np.where(b < 0, -2, b)


def _same(
    criteria: Sequence[Criterion],
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    dtype: type[np.int16] | type[np.int32],
) -> _Same:
    ours: list[IntArray] = []
    theirs: list[IntArray] = []
    for criterion in criteria:
        a, b = _same_codes(
            [_single(p.attributes.get(criterion.key), criterion) for p in mentees],
            [_single(p.attributes.get(criterion.other_key), criterion) for p in mentors],
        )
        ours.append(a)
        theirs.append(b)
    n, m = len(mentees), len(mentors)
    table = np.stack(ours, axis=1) if ours else np.zeros((n, 0), np.int64)
    if table.shape[1] and n:
        codes, group = np.unique(table, axis=0, return_inverse=True)
    else:
        codes, group = table[:1], np.zeros(n, np.int64)
    same = _Same(
        group=group.reshape(-1).astype(np.int64),
        codes=codes,
        theirs=np.stack(theirs) if theirs else np.zeros((0, m), np.int64),
        weights=tuple(WEIGHTS[c.weight] * SCALE for c in criteria),
        musts=tuple(c.weight == "must" for c in criteria),
        dtype=dtype,
    )
    if len(codes) * m <= _CLASSES:
        return dataclasses.replace(same, rows=same.score(codes))
    return same


@dataclass(frozen=True, eq=False, slots=True)
class _Overlap:
    """Overlap criteria scored together: one look-up per pair, in a table indexed by each
    member's (mentee's set size, shared count), filled by :func:`explain`'s own rounding."""

    our_bits: tuple[NDArray[np.uint64], ...]  # per member: (n, words) bit masks
    their_bits: tuple[NDArray[np.uint64], ...]  # per member: (m, words)
    strides: tuple[int, ...]  # per member: its step in the combined index
    musts: tuple[bool, ...]  # per member: a must (nothing shared: not acceptable)
    offset: IntArray  # (n,) the mentee's part of the combined index
    points: PointArray  # combined index -> points


def _overlaps(
    criteria: Sequence[Criterion],
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    dtype: type[np.int16] | type[np.int32],
) -> list[_Overlap]:
    members: list[tuple[NDArray[np.uint64], NDArray[np.uint64], IntArray, IntArray]] = []
    for criterion in criteria:
        weight = WEIGHTS[criterion.weight] * SCALE
        vocabulary: dict[str, int] = {}
        our_sets = [_as_set(p.attributes.get(criterion.key)) for p in mentees]
        our_bits = _bits(our_sets, vocabulary)
        their_bits = _bits(
            [_as_set(p.attributes.get(criterion.other_key)) for p in mentors], vocabulary
        )
        words = max(our_bits.shape[1], their_bits.shape[1])  # the vocabulary grew after the mentees
        our_bits = np.pad(our_bits, ((0, 0), (0, words - our_bits.shape[1])))
        their_bits = np.pad(their_bits, ((0, 0), (0, words - their_bits.shape[1])))
        # the points depend only on the mentee's set size and the shared count
        sizes, size_row = np.unique([len(s) for s in our_sets], return_inverse=True)
        width = int(sizes.max(initial=0)) + 1
        table = np.array(
            [[_overlap_points(weight, c, int(size)) for c in range(width)] for size in sizes],
            np.int64,
        ).reshape(-1)
        members.append((our_bits, their_bits, size_row.reshape(-1) * width, table))
    groups: list[list[int]] = []
    size = _TABLE + 1
    for index, member in enumerate(members):
        if size * max(len(member[3]), 1) > _TABLE:
            groups.append([])
            size = 1
        groups[-1].append(index)
        size *= max(len(member[3]), 1)
    out: list[_Overlap] = []
    for group in groups:
        strides: list[int] = []
        total = 1
        for index in group:
            strides.append(total)
            total *= max(len(members[index][3]), 1)
        position = np.arange(total)
        points = np.zeros(total, np.int64)
        offset = np.zeros(len(mentees), np.int64)
        for index, stride in zip(group, strides, strict=True):
            _, _, mine, table = members[index]
            if not len(table):
                continue
            points += table[position // stride % len(table)]
            offset += mine * stride
        out.append(
            _Overlap(
                our_bits=tuple(members[index][0] for index in group),
                their_bits=tuple(members[index][1] for index in group),
                strides=tuple(strides),
                musts=tuple(criteria[index].weight == "must" for index in group),
                offset=offset,
                points=points.astype(dtype),
            )
        )
    return out


def _score_rows(
    rows: slice,
    same: _Same,
    overlaps: Sequence[_Overlap],
    department: tuple[IntArray, IntArray] | None,
    points: PointArray,
    acceptable: BoolArray,
    allowed: BoolArray,
) -> None:
    """Every criterion's points for the mentees in ``rows`` (as :func:`explain` scores
    them), the musts, and the same-department exclusion. Blocks of rows are independent,
    so threads may score different blocks at once (numpy releases the GIL)."""
    block_points, block_ok = points[rows], acceptable[rows]
    group = same.group[rows]
    if same.rows is not None:
        class_points, class_ok = same.rows
        for row, cls in enumerate(group.tolist()):  # row copies: faster than a take here
            block_points[row] = class_points[cls]
            block_ok[row] = class_ok[cls]
    else:
        block_points[...], block_ok[...] = same.score(same.codes[group])
    for overlap in overlaps:
        index = np.empty(block_points.shape, np.intp)  # take() wants intp: no conversion
        index[...] = overlap.offset[rows, None]
        for ours, theirs, stride, must in zip(
            overlap.our_bits, overlap.their_bits, overlap.strides, overlap.musts, strict=True
        ):
            mine = ours[rows]
            met: BoolArray | None = None
            for word in range(mine.shape[1]):
                common = mine[:, None, word] & theirs[None, :, word]
                if must:  # a compare is far cheaper than looking the must up
                    met = common != 0 if met is None else met | (common != 0)
                shared = np.bitwise_count(common)
                if stride == 1:
                    index += shared
                else:
                    index += np.multiply(shared, stride, dtype=np.intp)
            if met is not None:
                block_ok &= met
        block_points += overlap.points.take(index, mode="clip")
    if department is None:
        allowed[rows] = block_ok
    else:  # acceptable and not in the same department (for booleans a > b is a and not b)
        our_dept, their_dept = department
        np.greater(block_ok, our_dept[rows, None] == their_dept[None, :], out=allowed[rows])


def _each_block(work: Callable[[slice], None], blocks: Sequence[slice]) -> None:
    """Run ``work`` on every block of rows, on up to ``_THREADS`` threads (the blocks must
    write disjoint rows; numpy releases the GIL in the array work)."""
    threads = min(_THREADS, len(blocks))
    if threads <= 1:
        for rows in blocks:
            work(rows)
        return
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(work, blocks):
            pass


def build(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    criteria: Sequence[Criterion],
    rules: Rules | None = None,
) -> Instance:
    """Score every pair, apply the musts, exclusions, forbids, load cap and pins."""
    rules = rules or Rules()
    n, m = len(mentees), len(mentors)
    mentee_index = {p.id: i for i, p in enumerate(mentees)}
    mentor_index = {p.id: j for j, p in enumerate(mentors)}
    if len(mentee_index) != n or len(mentor_index) != m:
        raise ValueError("ids must be unique")
    # every criterion adds at most its weight: int16 holds the total for up to 10 of them
    most = sum(WEIGHTS[c.weight] * SCALE for c in criteria)
    dtype = np.int16 if most <= np.iinfo(np.int16).max else np.int32
    same = _same([c for c in criteria if c.kind == "same"], mentees, mentors, dtype)
    department = None
    if rules.exclude_same_department:
        department = _same_codes([p.department for p in mentees], [p.department for p in mentors])
    overlaps = _overlaps([c for c in criteria if c.kind == "overlap"], mentees, mentors, dtype)
    points: PointArray = np.empty((n, m), dtype)
    acceptable = np.empty((n, m), bool)
    allowed = np.empty((n, m), bool)
    step = max(1, _SCORE_BLOCK // max(m, 1))
    _each_block(
        lambda rows: _score_rows(rows, same, overlaps, department, points, acceptable, allowed),
        [slice(start, min(start + step, n)) for start in range(0, n, step)],
    )
    for i, mentee in enumerate(mentees):
        people: set[str] = set()
        if rules.exclude_reporting_line:
            people |= mentee.reporting_line
        if rules.exclude_previous_mentors:
            people |= mentee.previous_mentors
        for person in people:
            if (j := mentor_index.get(person)) is not None:
                allowed[i, j] = False
    if rules.exclude_reporting_line:
        for j, mentor in enumerate(mentors):
            for person in mentor.reporting_line:
                if (row := mentee_index.get(person)) is not None:
                    allowed[row, j] = False
    capacity = np.array([p.capacity for p in mentors], np.int64).reshape(-1)
    if rules.load_cap is not None:
        room = rules.load_cap - np.array([p.current_load for p in mentors], np.int64)
        capacity = np.minimum(capacity, np.maximum(room, 0))

    def index(pair: tuple[str, str]) -> tuple[int, int]:
        if pair[0] not in mentee_index or pair[1] not in mentor_index:
            raise ValueError(f"unknown pair {pair[0]}-{pair[1]}")
        return mentee_index[pair[0]], mentor_index[pair[1]]

    stated = None
    if any(p.preferences is not None for p in mentees):
        width = max(len(p.preferences or ()) for p in mentees)
        stated = np.full((n, width), -1, np.int32)
        for i, mentee in enumerate(mentees):
            for rank, person in enumerate(mentee.preferences or ()):
                if person not in mentor_index:
                    raise ValueError(f"mentee {mentee.id} prefers unknown mentor {person}")
                stated[i, rank] = mentor_index[person]
    forbids = tuple(sorted({index(pair) for pair in rules.forbids}))
    for i, j in forbids:
        allowed[i, j] = False
    instance = Instance(
        mentee_ids=tuple(p.id for p in mentees),
        mentor_ids=tuple(p.id for p in mentors),
        points=points,
        acceptable=acceptable,
        allowed=allowed,
        capacity=capacity,
        pins=tuple(index(pair) for pair in rules.pins),
        forbids=forbids,
        stated=stated,
    )
    instance._validate()
    return instance


# --- preference lists -----------------------------------------------------------------


@dataclass(frozen=True, eq=False, slots=True)
class Lists:
    """Each mentee's ranked mentors: ``choices[i, :length[i]]`` (mentor indices)."""

    choices: NDArray[np.int32]  # (n, width), -1 padded
    length: IntArray  # (n,)
    k: int | None


def _mentor_keys(points: PointArray, i: ArrayLike, j: ArrayLike) -> IntArray:
    """Mentor j's strict preference over mentees: score, then the lower mentee index."""
    n = points.shape[0]
    rows = np.asarray(i, np.int64)
    keys: IntArray = points[rows, np.asarray(j, np.int64)].astype(np.int64) * n + (n - 1 - rows)
    return keys


def _truncate(
    choices: NDArray[np.int32], count: IntArray, k: int | None
) -> tuple[NDArray[np.int32], IntArray]:
    """Cut to ``k`` and to the longest list, -1 past each list's end (in place when the
    width is unchanged)."""
    width = int(count.max(initial=0)) if k is None else min(int(count.max(initial=0)), k)
    count = np.minimum(count, width)
    if choices.shape[1] != width:
        choices = choices[:, :width].copy()
    choices[np.arange(width)[None, :] >= count[:, None]] = -1
    return choices, count


def _score_lists(
    points: PointArray, allowed: BoolArray, k: int | None
) -> tuple[NDArray[np.int32], IntArray]:
    rows, m = points.shape
    count = allowed.sum(axis=1)
    width = int(count.max(initial=0)) if k is None else min(int(count.max(initial=0)), k)
    if width == 0:
        return np.full((rows, 0), -1, np.int32), np.zeros(rows, np.int64)
    # one sort key per entry, unique in its row and holding the mentor index:
    # -((points - low) * m + m - 1 - j + 1), so ties go to the lower index; times allowed,
    # so every mentor not allowed gets 0, after every allowed one (no masked write)
    low, high = int(points.min()), int(points.max())
    small = np.iinfo(np.int32)
    dtype = np.int32 if (high - low + 1) * m <= small.max else np.int64
    shift = (np.arange(m, 0, -1, dtype=np.int64) - low * m).astype(dtype)  # m - j - low * m
    choices = np.empty((rows, width), np.int32)

    def rank(block: slice) -> None:
        keys: NDArray[np.signedinteger[Any]] = np.multiply(points[block], -m, dtype=dtype)
        np.subtract(keys, shift, out=keys)
        np.multiply(keys, allowed[block], out=keys)
        if width < m:
            keys = np.partition(keys, width - 1, axis=1)[:, :width]
        keys.sort(axis=1)
        # contiguous: numpy 2.4 writes in-place ufuncs on an (n, 1) column view wrongly
        best = np.ascontiguousarray(keys[:, :width])
        np.negative(best, out=best)
        np.remainder(best, m, out=best)  # m - j (mod m): j = m - 1 - (best - 1) mod m
        np.subtract(m, best, out=best)
        np.remainder(best, m, out=best)
        choices[block] = best

    # small blocks: partitioning rows that stay in cache is several times faster
    step = max(1, _SCORE_BLOCK // max(m, 1))
    _each_block(rank, [slice(start, min(start + step, rows)) for start in range(0, rows, step)])
    return _truncate(choices, count, k)


def _stated_lists(
    stated: NDArray[np.int32], allowed: BoolArray, k: int | None
) -> tuple[NDArray[np.int32], IntArray]:
    ok = stated >= 0
    rows, cols = np.nonzero(ok)
    ok[rows, cols] = allowed[rows, stated[rows, cols]]
    order = np.argsort(~ok, axis=1, kind="stable")  # keep the stated order
    return _truncate(np.take_along_axis(stated, order, axis=1), ok.sum(axis=1), k)


def preference_lists(instance: Instance, k: int | None = None) -> Lists:
    """Each unpinned mentee's list of allowed mentors, best first, cut to ``k``."""
    if k is not None and k < 1:
        raise ValueError("k must be at least 1")
    n, _ = instance.shape
    pinned = instance.pinned()
    by_stated = np.zeros(n, bool)
    if instance.stated is not None:
        by_stated = (instance.stated >= 0).any(axis=1) & ~pinned
    by_score = ~by_stated & ~pinned
    if by_score.all():
        return Lists(*_score_lists(instance.points, instance.allowed, k), k)
    parts: list[tuple[IntArray, NDArray[np.int32], IntArray]] = []
    if by_score.any():
        rows = np.flatnonzero(by_score)
        parts.append((rows, *_score_lists(instance.points[rows], instance.allowed[rows], k)))
    if instance.stated is not None and by_stated.any():
        rows = np.flatnonzero(by_stated)
        parts.append((rows, *_stated_lists(instance.stated[rows], instance.allowed[rows], k)))
    width = max((c.shape[1] for _, c, _ in parts), default=0)
    choices = np.full((n, width), -1, np.int32)
    length = np.zeros(n, np.int64)
    for rows, part, count in parts:
        choices[rows, : part.shape[1]] = part
        length[rows] = count
    return Lists(choices, length, k)


# --- policies -------------------------------------------------------------------------


def _deferred_acceptance(instance: Instance, lists: Lists, seats: IntArray) -> IntArray:
    """Mentee-proposing deferred acceptance; each mentor keeps a min-heap of keys."""
    n, _ = instance.shape
    points, choices = instance.points, lists.choices
    caps: list[int] = seats.tolist()
    heaps: list[list[int]] = [[] for _ in caps]
    lengths: list[int] = lists.length.tolist()
    nxt = [0] * n
    buf_at = [0] * n
    buf_j: list[list[int]] = [[] for _ in range(n)]
    buf_k: list[list[int]] = [[] for _ in range(n)]
    free = [i for i in range(n - 1, -1, -1) if lengths[i]]
    while free:
        i = free.pop()
        p, end, at, bj, bk = nxt[i], lengths[i], buf_at[i], buf_j[i], buf_k[i]
        while p < end:
            off = p - at
            if off >= len(bj):
                row = choices[i, p : min(p + _CHUNK, end)].astype(np.int64)
                bj = row.tolist()
                bk = (points[i, row].astype(np.int64) * n + (n - 1 - i)).tolist()
                buf_j[i], buf_k[i], buf_at[i], at, off = bj, bk, p, p, 0
            j, key = bj[off], bk[off]
            p += 1
            heap = heaps[j]
            if len(heap) < caps[j]:
                heapq.heappush(heap, key)
                break
            if heap and heap[0] < key:
                free.append(n - 1 - heapq.heapreplace(heap, key) % n)
                break
        nxt[i] = p
    assign = np.full(n, -1, np.int64)
    for j, heap in enumerate(heaps):
        for key in heap:
            assign[n - 1 - key % n] = j
    return assign


def _arcs(lists: Lists) -> tuple[IntArray, IntArray, IntArray]:
    """(mentee, mentor, position in the mentee's list) for every list entry."""
    ii, pos = np.nonzero(lists.choices >= 0)
    return ii, lists.choices[ii, pos].astype(np.int64), pos


def _entries(lists: Lists, cost: IntArray, mask: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """(mentee, mentor, cost) of the list entries under ``mask``, mentee by mentee."""
    ii, pos = np.nonzero(mask)
    return ii, lists.choices[ii, pos].astype(np.int64), cost[ii, pos]


def _list_points(instance: Instance, lists: Lists) -> IntArray:
    """(n, width) points of each list entry; 0 past a list's end."""
    choices = lists.choices
    out = np.empty(choices.shape, np.int64)
    for block in _row_blocks(*choices.shape):
        part = choices[block]
        points = np.take_along_axis(instance.points[block], part, axis=1)  # -1: any column
        points[part < 0] = 0
        out[block] = points
    return out


def _flow(
    instance: Instance,
    ii: IntArray,
    jj: IntArray,
    cost: IntArray,
    seats: IntArray,
    mandatory: BoolArray | None = None,
) -> IntArray:
    """Max-cardinality min-cost assignment of mentees to mentor seats along the arcs.

    With ``mandatory``, those mentees must all be matched (and the total is still the
    maximum); the caller guarantees such an assignment exists.
    """
    n, m = instance.shape
    sink, extra = n + m, n + m + 1
    sources = np.unique(ii)
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(ii, jj + n, np.ones_like(ii), cost)
    mentors = np.flatnonzero(seats > 0)
    solver.add_arcs_with_capacity_and_unit_cost(
        mentors + n, np.full_like(mentors, sink), seats[mentors], np.zeros_like(mentors)
    )
    if mandatory is None:
        total = min(len(sources), int(seats.sum()))
        solver.set_nodes_supplies(sources, np.ones_like(sources))
        solver.set_node_supply(sink, -total)
        status = solver.solve_max_flow_with_min_cost()
    else:
        total = _max_cardinality(instance, ii, jj, seats)
        must, rest = sources[mandatory[sources]], sources[~mandatory[sources]]
        solver.add_arcs_with_capacity_and_unit_cost(
            np.full_like(rest, extra), rest, np.ones_like(rest), np.zeros_like(rest)
        )
        solver.set_nodes_supplies(must, np.ones_like(must))
        solver.set_node_supply(extra, total - len(must))
        solver.set_node_supply(sink, -total)
        status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    used = np.asarray(solver.flows(arcs)) > 0
    assign = np.full(n, -1, np.int64)
    assign[ii[used]] = jj[used]
    return assign


def _max_cardinality(instance: Instance, ii: IntArray, jj: IntArray, seats: IntArray) -> int:
    n, m = instance.shape
    source, sink = n + m, n + m + 1
    sources = np.unique(ii)
    mentors = np.flatnonzero(seats > 0)
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(ii, jj + n, np.ones_like(ii))
    solver.add_arcs_with_capacity(np.full_like(sources, source), sources, np.ones_like(sources))
    solver.add_arcs_with_capacity(mentors + n, np.full_like(mentors, sink), seats[mentors])
    if solver.solve(source, sink) != solver.OPTIMAL:
        raise RuntimeError("max flow failed")
    return int(solver.optimal_flow())


def _potentials(
    instance: Instance,
    ii: IntArray,
    jj: IntArray,
    cost: IntArray,
    seats: IntArray,
    assign: IntArray,
    sources: IntArray,
    big: int,
) -> IntArray:
    """Node potentials proving ``assign`` optimal on these arcs, or RuntimeError.

    The problem is read as a plain min-cost flow in which each source mentee may instead
    take an "unmatched" arc to the sink costing ``big`` (more than any rearrangement can
    save, so the optimum matches as many as possible first).  Shortest distances from a
    root joined to every node, in the residual graph, are potentials under which no
    residual arc has a negative reduced cost (Bellman-Ford, one vectorised pass per round).
    """
    n, m = instance.shape
    sink = n + m
    used = assign[ii] == jj
    held = np.bincount(assign[assign >= 0], minlength=m)
    matched = assign[sources] >= 0
    mentors = np.arange(m)
    # an unmatched mentee's flow is on their "unmatched" arc: it can be sent back
    tails = [np.where(used, jj + n, ii), np.where(matched, sources, sink)]
    heads = [np.where(used, ii, jj + n), np.where(matched, sink, sources)]
    costs = [np.where(used, -cost, cost), np.where(matched, big, -big)]
    spare, busy = mentors[held < seats], mentors[held > 0]
    tails += [spare + n, np.full_like(busy, sink)]
    heads += [np.full_like(spare, sink), busy + n]
    costs += [np.zeros_like(spare), np.zeros_like(busy)]
    tail, head, arc_cost = np.concatenate(tails), np.concatenate(heads), np.concatenate(costs)
    order = np.argsort(head, kind="stable")
    tail, head, arc_cost = tail[order], head[order], arc_cost[order]
    targets, starts = np.unique(head, return_index=True)
    distance = np.zeros(n + m + 1, np.int64)
    for _ in range(n + m + 2):
        best = np.minimum.reduceat(distance[tail] + arc_cost, starts)
        better = best < distance[targets]
        if not better.any():
            return distance
        distance[targets[better]] = best[better]
    raise RuntimeError("min-cost flow result is not optimal")


def _rescale(cost: IntArray, valid: BoolArray) -> None:
    """Costs to ``(cost - least) / g + 1``, ``g`` their greatest common divisor, in place.

    Every arc carries one mentee and the number matched is fixed first, so the same amount
    taken off every arc and a common factor change no optimum; the solver's cost scaling
    then runs fewer phases (scores are multiples of 250 points in most programs, so a
    range of 12,000 becomes one of about 50: a fifth less time at 10,000x4,000).
    """
    blocks = _row_blocks(*cost.shape)
    top = np.iinfo(np.int64).max
    least = min((int(cost[b].min(where=valid[b], initial=top)) for b in blocks), default=top)
    if least == top:
        return
    g = 0
    for b in blocks:
        g = math.gcd(g, int(np.gcd.reduce(np.where(valid[b], cost[b] - least, 0), axis=None)))
    g = max(g, 1)
    for b in blocks:
        part = cost[b]
        part -= least
        part //= g
        part += 1


def _certified_flow(
    instance: Instance,
    lists: Lists,
    cost: IntArray,
    seats: IntArray,
    mandatory: BoolArray | None = None,
    first: int = 32,
    batch: int = 8,
) -> IntArray:
    """The optimum over every list entry, solved on few of them.

    ``cost`` is (n, width), one cost per list entry (entries past a list's end are
    ignored).  Solves on each mentee's ``first`` cheapest arcs, then checks every other
    arc's reduced cost under the potentials of that solution; those with a negative one
    join (when there are more of them than arcs already in, only each mentee's most
    negative ones, at least ``batch`` each) and it is solved again.  With none left, the
    solution is optimal over all arcs (no negative cycle in the full residual graph),
    including the number matched.  ``mandatory`` mentees must be matched (they get no
    "unmatched" arc).  ``cost`` is rescaled in place (see :func:`_rescale`).
    """
    n, width = lists.choices.shape
    choices = lists.choices
    _rescale(cost, choices >= 0)
    if width <= 2 * first:
        return _flow(instance, *_entries(lists, cost, choices >= 0), seats, mandatory)
    blocks = _row_blocks(n, width)
    active = np.zeros((n, width), bool)
    top = 0
    for block in blocks:
        part, valid, chosen = cost[block], choices[block] >= 0, active[block]
        top = max(top, int(part.max(where=valid, initial=0)))
        if ((part[:, 1:] >= part[:, :-1]) | ~valid[:, 1:]).all():
            chosen[:, :first] = valid[:, :first]  # ascending costs: the first are cheapest
        else:
            table = np.where(valid, part, np.iinfo(np.int64).max)
            cheapest = np.argpartition(table, first - 1, axis=1)[:, :first]
            np.put_along_axis(chosen, cheapest, True, axis=1)
            chosen &= valid
    sources = np.flatnonzero(lists.length > 0)
    if mandatory is not None:
        sources = sources[~mandatory[sources]]
    big = (n + 1) * (top + 1)
    while True:
        arcs = _entries(lists, cost, active)
        assign = _flow(instance, *arcs, seats, mandatory)
        potential = _potentials(instance, *arcs, seats, assign, sources, big)
        heads = potential[n:]  # by mentor; index -1 (past a list's end) is masked below
        found: list[tuple[IntArray, IntArray, IntArray]] = []
        for block in blocks:
            listed = choices[block]
            reduced = cost[block] - heads[listed]
            reduced += potential[block, None]
            reduced[active[block] | (listed < 0)] = 0
            rows, pos = np.nonzero(reduced < 0)
            found.append((rows + (block.start or 0), pos, reduced[rows, pos]))
        rows, pos, reduced = (np.concatenate(parts) for parts in zip(*found, strict=True))
        if not rows.size:
            return assign
        budget = len(arcs[0])
        if rows.size > budget:  # each mentee's most negative arcs, within the budget
            order = np.lexsort((reduced, rows))
            rows, pos = rows[order], pos[order]
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            share = max(batch, budget // len(starts))
            within = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
            rows, pos = rows[within < share], pos[within < share]
        active[rows, pos] = True


def _welfare(instance: Instance, lists: Lists, seats: IntArray) -> IntArray:
    cost = _list_points(instance, lists)
    np.subtract(int(cost.max(initial=0)) + 1, cost, out=cost)
    return _certified_flow(instance, lists, cost, seats)


def _rank(instance: Instance, lists: Lists, seats: IntArray, rank_weight: float) -> IntArray:
    cost = _list_points(instance, lists)
    np.subtract(int(cost.max(initial=0)) + 1, cost, out=cost)
    far = np.minimum(np.arange(lists.choices.shape[1]), RANK_CAP - 1)
    cost += round(rank_weight * SCALE) * far * far
    return _certified_flow(instance, lists, cost, seats)


def _hybrid(instance: Instance, lists: Lists, seats: IntArray) -> tuple[IntArray, int]:
    stable = _deferred_acceptance(instance, lists, seats)
    if not ((stable < 0) & (lists.length > 0)).any():
        return stable, 0
    points = _list_points(instance, lists)
    top = int(points.max(initial=0)) + 1
    base = top - points  # 1..top: a better score costs less
    held = stable[:, None]
    move = int((lists.length > 0).sum()) * top + 1  # one move costs more than every score
    cost = np.where(held < 0, base, np.where(held == lists.choices, 0, move + base))
    assign = _certified_flow(instance, lists, cost, seats, mandatory=stable >= 0)
    return assign, int(((stable >= 0) & (assign != stable)).sum())


# --- results --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    mentee: str
    mentor: str
    score: float
    rank: int | None  # position of the mentor in the mentee's list (1 = first choice)
    pinned: bool


@dataclass(frozen=True, slots=True)
class Unmatched:
    mentee: str
    reason: UnmatchedReason


@dataclass(frozen=True, slots=True)
class Quality:
    mentees: int
    matched: int
    total_score: float
    mean_rank: float | None  # over matched mentees whose mentor is on their list
    worst_rank: int | None
    top1_share: float  # of all mentees
    top3_share: float
    blocking_pairs: int
    mentees_in_blocking_pairs: int
    unmatched: tuple[Unmatched, ...]
    idle_mentors: tuple[str, ...]  # mentors with seats and no mentee
    spare_seats: int


@dataclass(frozen=True, eq=False, slots=True)
class MatchResult:
    policy: Policy
    k: int | None
    pairs: tuple[Pair, ...]
    assignment: IntArray  # mentor index per mentee, -1 unmatched
    quality: Quality
    moved: int = 0  # hybrid: stably matched mentees moved to make room


def _pinned_rank(instance: Instance, i: int, j: int) -> int | None:
    if instance.stated is not None and (instance.stated[i] >= 0).any():
        row = instance.stated[i]
        listed = row[(row >= 0) & instance.allowed[i, np.maximum(row, 0)]]
        hits = np.flatnonzero(listed == j)
        return int(hits[0]) + 1 if hits.size else None
    if not instance.allowed[i, j]:
        return None
    m = instance.shape[1]
    keys = instance.points[i].astype(np.int64) * m + np.arange(m - 1, -1, -1)
    return int((instance.allowed[i] & (keys > keys[j])).sum()) + 1


def blocking_pairs(instance: Instance, lists: Lists, assign: IntArray) -> tuple[int, int]:
    """(blocking pairs, mentees in one): an unpinned mentee and a mentor earlier on their
    list who has a free seat or holds an unpinned mentee they score lower."""
    n, m = instance.shape
    pinned = instance.pinned()
    seats = instance.residual_capacity()
    free = ~pinned
    position = lists.length.copy()  # unmatched: every list entry is preferred
    rows = np.flatnonzero((assign >= 0) & free)
    if rows.size:
        hit = lists.choices[rows] == assign[rows, None]
        if not hit.any(axis=1).all():
            raise ValueError("an assigned mentor is not on the mentee's list")
        position[rows] = hit.argmax(axis=1)
    held = np.bincount(assign[rows], minlength=m)
    worst = np.full(m, np.iinfo(np.int64).max)
    np.minimum.at(worst, assign[rows], _mentor_keys(instance.points, rows, assign[rows]))
    open_seat = held < seats
    width = lists.choices.shape[1]
    ii, pos = np.nonzero((np.arange(width)[None, :] < position[:, None]) & free[:, None])
    jj = lists.choices[ii, pos].astype(np.int64)
    block = open_seat[jj] | (_mentor_keys(instance.points, ii, jj) > worst[jj])
    return int(block.sum()), int(np.unique(ii[block]).size)


def _why(instance: Instance, i: int) -> UnmatchedReason:
    if instance.stated is not None and (instance.stated[i] >= 0).any():
        candidates = instance.stated[i][instance.stated[i] >= 0]
    else:
        candidates = np.arange(instance.shape[1])
    if not instance.acceptable[i, candidates].any():
        return "no_acceptable_mentor"
    if not instance.allowed[i, candidates].any():
        return "all_candidates_forbidden"
    return "capacity_exhausted"


def _result(
    instance: Instance,
    lists: Lists,
    assign: IntArray,
    policy: Policy,
    moved: int = 0,
) -> MatchResult:
    n, m = instance.shape
    assign = assign.copy()
    for i, j in instance.pins:
        assign[i] = j
    pinned = instance.pinned()
    matched = assign >= 0
    rank = np.zeros(n, np.int64)  # 0 = not matched or not on the list
    rows = np.flatnonzero(matched & ~pinned)
    if rows.size:
        rank[rows] = (lists.choices[rows] == assign[rows, None]).argmax(axis=1) + 1
    for i, j in instance.pins:
        rank[i] = _pinned_rank(instance, i, j) or 0
    ranked = rank[rank > 0]
    rows = np.flatnonzero(matched)
    scores = instance.points[rows, assign[rows]].astype(np.int64)
    count, in_one = blocking_pairs(instance, lists, assign)
    held = np.bincount(assign[rows], minlength=m)
    quality = Quality(
        mentees=n,
        matched=int(rows.size),
        total_score=int(scores.sum()) / SCALE,
        mean_rank=float(ranked.mean()) if ranked.size else None,
        worst_rank=int(ranked.max()) if ranked.size else None,
        top1_share=float((rank == 1).sum() / n) if n else 0.0,
        top3_share=float(((rank >= 1) & (rank <= 3)).sum() / n) if n else 0.0,
        blocking_pairs=count,
        mentees_in_blocking_pairs=in_one,
        unmatched=tuple(
            Unmatched(instance.mentee_ids[i], _why(instance, i))
            for i in np.flatnonzero(~matched).tolist()
        ),
        idle_mentors=tuple(
            instance.mentor_ids[j]
            for j in np.flatnonzero((instance.capacity > 0) & (held == 0)).tolist()
        ),
        spare_seats=int((instance.capacity - held).sum()),
    )
    pairs = tuple(
        Pair(
            instance.mentee_ids[i],
            instance.mentor_ids[j],
            int(p) / SCALE,
            r or None,
            bool(pin),
        )
        for i, j, p, r, pin in zip(
            rows.tolist(),
            assign[rows].tolist(),
            scores.tolist(),
            rank[rows].tolist(),
            pinned[rows].tolist(),
            strict=True,
        )
    )
    return MatchResult(policy, lists.k, pairs, assign, quality, moved)


def match(
    instance: Instance,
    policy: Policy = "stable",
    *,
    k: int | None = None,
    rank_weight: float = 1.0,
    lists: Lists | None = None,
) -> MatchResult:
    """Run one policy on the instance: preference lists (cut to ``k``), then the policy."""
    lists = lists if lists is not None else preference_lists(instance, k)
    seats = instance.residual_capacity()
    moved = 0
    if policy == "stable":
        assign = _deferred_acceptance(instance, lists, seats)
    elif policy == "welfare":
        assign = _welfare(instance, lists, seats)
    elif policy == "rank":
        assign = _rank(instance, lists, seats, rank_weight)
    elif policy == "hybrid":
        assign, moved = _hybrid(instance, lists, seats)
    else:
        raise ValueError(f"unknown policy {policy!r}")
    return _result(instance, lists, assign, policy, moved)


def compare(
    instance: Instance,
    policies: Sequence[Policy] = POLICIES,
    *,
    k: int | None = None,
    rank_weight: float = 1.0,
) -> dict[Policy, MatchResult]:
    """Every policy on the same preference lists, for a side-by-side comparison."""
    lists = preference_lists(instance, k)
    return {p: match(instance, p, rank_weight=rank_weight, lists=lists) for p in policies}
