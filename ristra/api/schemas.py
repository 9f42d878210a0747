"""What the API sends and receives (OpenAPI 3.1 components)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class Error(Schema):
    detail: str = Field(description="What went wrong, in a sentence.")
    errors: list[FieldError] = Field(
        default_factory=list, description="Per-field problems, when the request had any."
    )


class FieldError(Schema):
    field: str
    message: str


Error.model_rebuild()


# --------------------------------------------------------------------------- reports


class ReportSummary(Schema):
    key: str
    title: str
    description: str
    population: str
    url: str = Field(description="The report as JSON through the API.")


class Population(Schema):
    key: str
    label: str
    url: str


class LabelValue(Schema):
    label: str
    value: str


class Definition(Schema):
    term: str
    definition: str


class ReportColumn(Schema):
    key: str
    label: str
    kind: str = Field(description="label, text, count, percent, ratio or number")


class ReportRow(Schema):
    total: bool
    cells: list[str | int | float | None] = Field(
        description="The value where status is 'shown', null otherwise (never zero)."
    )
    status: list[str] = Field(description="'shown', 'hidden' (suppressed) or 'not_applicable'.")


class ReportChart(Schema):
    description: str
    spec: dict[str, Any] = Field(description="A Vega-Lite specification.")


class ReportSection(Schema):
    key: str
    title: str
    summary: str
    notes: list[str]
    columns: list[ReportColumn]
    rows: list[ReportRow]
    chart: ReportChart | None


class ReportDocument(Schema):
    """The same document as a report's JSON download (docs/reports.md)."""

    format: str
    version: int
    key: str
    title: str
    subtitle: str
    parameters: list[LabelValue]
    definitions: list[Definition]
    quality: list[LabelValue]
    suppression: list[str] = Field(description="How small cells were hidden in this report.")
    notes: list[str]
    narrative: list[str]
    sections: list[ReportSection]


# --------------------------------------------------------------------------- imports


class ImportBatchOut(Schema):
    id: int
    kind: str
    filename: str
    status: str
    status_label: str
    error: str
    size_bytes: int
    rows_total: int
    rows_valid: int
    rows_rejected: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    progress_rows: int = Field(description="Rows checked or committed so far.")
    plan: dict[str, Any] = Field(description="What a commit would do.")
    source_label: str
    created_at: dt.datetime
    created_by: str
    committed_at: dt.datetime | None
    rolled_back_at: dt.datetime | None
    can_commit: bool
    can_rollback: bool
    url: str


class ImportBatchPage(Schema):
    count: int
    items: list[ImportBatchOut]


class ImportProblemOut(Schema):
    row: int
    column: str
    value: str
    rule: str
    message: str


class ImportProblemPage(Schema):
    count: int
    items: list[ImportProblemOut]


# --------------------------------------------------------------------------- mentoring


class ProgramOut(Schema):
    slug: str
    name: str
    pairs_url: str


class PairOut(Schema):
    id: int
    cycle: str
    cycle_id: int
    mentor: str
    mentee: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    checkins: int
    hours: float
    last_checkin: dt.date | None


class ServiceRecordRow(Schema):
    program: str
    cycle: str
    mentee: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    checkins: int
    hours: float


def errors(*codes: int) -> dict[int, type[Error]]:
    """The ``response`` entries for error statuses an operation may answer."""
    return dict.fromkeys(codes, Error)
