"""Reads of the person record used by more than one screen or command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from ristra.people.models import (
    Answer,
    BatchStatus,
    Dimension,
    Identifier,
    ImportBatch,
    OrgUnit,
    Person,
    SelfIdentification,
    Stage,
    StageKind,
)


def record_summary() -> dict[str, Any]:
    by_kind = dict(Stage.objects.values_list("kind").annotate(n=Count("id")).order_by())
    return {
        "persons": Person.objects.count(),
        "org_units": OrgUnit.objects.count(),
        "stages": [
            {"kind": kind.value, "label": kind.label, "count": by_kind.get(kind.value, 0)}
            for kind in StageKind
        ],
    }


def recent_batches(*, limit: int = 20) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by")[:limit]


def batches_needing_attention() -> QuerySet[ImportBatch]:
    """Checked files waiting to be committed, running ones, and committed ones with rejects."""
    return ImportBatch.objects.filter(
        Q(status__in=[BatchStatus.VALIDATED, BatchStatus.QUEUED, BatchStatus.COMMITTING])
        | Q(status=BatchStatus.COMMITTED, rows_rejected__gt=0)
        | Q(status=BatchStatus.FAILED)
    ).order_by("-created_at")[:10]


def person_search(query: str, *, limit: int = 50) -> QuerySet[Person]:
    """Name or exact identifier. Empty query finds nothing (no browsing the whole record)."""
    query = query.strip()
    if not query:
        return Person.objects.none()
    by_id = Identifier.objects.filter(value__iexact=query).values("person_id")
    terms = query.split()
    name_q = Q()
    for term in terms:
        name_q &= (
            Q(given_name__icontains=term)
            | Q(family_name__icontains=term)
            | Q(former_names__icontains=term)
        )
    return (
        Person.objects.filter(Q(id__in=by_id) | name_q)
        .prefetch_related("identifiers")
        .order_by("family_name", "given_name", "id")[:limit]
    )


@dataclass
class PersonHistory:
    person: Person
    as_of: dt.date
    stages: list[Stage]
    active: list[Stage]
    self_ids: list[Answer] = field(default_factory=list)
    superseded_self_ids: list[Answer] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)


def person_history(person: Person, *, as_of: dt.date, with_demographics: bool) -> PersonHistory:
    """The person's record as it stood on ``as_of``.

    Stages that had begun by that date, those still running on it, and (only when the
    caller may see demographics) the self-identification answers given by then: the latest
    answer per question first, earlier answers kept as superseded.
    """
    stages = list(Stage.objects.filter(person=person).as_of(as_of).select_related("org_unit"))
    active = [s for s in stages if s.is_active_on(as_of)]
    current: list[Answer] = []
    superseded: list[Answer] = []
    if with_demographics:
        responses = SelfIdentification.objects.filter(person=person, reported_on__lte=as_of)
        answers = [a for r in responses.order_by("-reported_on", "-id") for a in r.answer_list()]
        order = {d: i for i, d in enumerate(Dimension.values)}
        seen: set[str] = set()
        for answer in sorted(answers, key=lambda a: order.get(a.dimension, len(order))):
            (superseded if answer.dimension in seen else current).append(answer)
            seen.add(answer.dimension)
    return PersonHistory(
        person=person,
        as_of=as_of,
        stages=stages,
        active=active,
        self_ids=current,
        superseded_self_ids=superseded,
        identifiers=list(person.identifiers.all()),
    )


def rejected_rows(batch: ImportBatch) -> tuple[list[str], list[list[Any]]]:
    """The rejected rows as the file had them, with the row number and every reason.

    Before a commit the ledger is not written yet, so the rows come from the kept file.
    """
    from ristra.people.models import ImportProblem, ImportRow, RowFate

    ledger = list(
        ImportRow.objects.filter(batch=batch, fate=RowFate.REJECTED).values_list(
            "row_number", "raw", "reason"
        )
    )
    headers = list(batch.headings)
    if not ledger:
        headers, ledger = _rejected_from_file(batch)
    if not ledger:
        reasons = ImportProblem.objects.filter(batch=batch).values_list("row_number", "message")
        return ["row", "problem"], [[n, m] for n, m in reasons]
    rows = [[number, *values, reason] for number, values, reason in ledger]
    return ["row", *headers, "problem"], rows


def _rejected_from_file(batch: ImportBatch) -> tuple[list[str], list[tuple[int, list[Any], str]]]:
    """(headings, rejected rows with their values and reasons), read from the kept file."""
    from pathlib import Path

    from ristra.analytics.tabular import UnusableInput, iter_table_chunks
    from ristra.people.models import ImportProblem

    reasons: dict[int, list[str]] = {}
    for number, message in ImportProblem.objects.filter(batch=batch).values_list(
        "row_number", "message"
    ):
        reasons.setdefault(number, []).append(message)
    headings: list[str] = []
    out: list[tuple[int, list[Any], str]] = []
    if not reasons:
        return headings, out
    try:
        _info, frames = iter_table_chunks(Path(batch.file.path))
        for frame in frames:
            headings = [c for c in frame.columns if c != "__row__"]
            for number, *values in frame.select("__row__", *headings).iter_rows():
                if number in reasons:
                    out.append((int(number), values, "\n".join(reasons[number])))
    except UnusableInput:
        return [], []
    return headings, out
