"""Writes for plans, trainings and searches (keyword-only, atomic)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ristra.analytics.tabular import UnusableInput, read_table
from ristra.people.models import Identifier, IdSystem, OrgUnit, Person, Stage
from ristra.plans.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    ChecklistItem,
    ChecklistTemplate,
    Completion,
    CompletionBatch,
    CompletionRow,
    Indicator,
    IndicatorReading,
    Plan,
    ReadingStatus,
    RequirementKind,
    RowFate,
    Search,
    SearchMember,
    Training,
    TrainingReminder,
    TrainingRequirement,
)
from ristra.reports import indicators as registry

log = logging.getLogger(__name__)


class PlanError(ValueError):
    """A change refused with a sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------------ plans


def plan_rollup_problem(*, plan: Plan | None, parent: Plan | None) -> str | None:
    """Why ``plan`` may not roll up into ``parent`` (a loop), or None."""
    if parent is None:
        return None
    if plan is not None and plan.pk is not None and parent.pk == plan.pk:
        return _("A plan cannot roll up into itself.")
    chain = [parent.title]
    seen: set[int] = set()
    current: Plan | None = parent
    while current is not None:
        if plan is not None and plan.pk is not None and current.pk == plan.pk:
            return _(
                "This roll-up would go round in a circle: %(chain)s. Choose a plan that is "
                "not below this one."
            ) % {"chain": " → ".join([plan.title, *chain])}
        if current.pk in seen:  # an existing loop (should never happen): stop here
            return _("The plan %(title)s is already part of a circular roll-up.") % {
                "title": current.title
            }
        seen.add(current.pk)
        current = current.parent
        if current is not None:
            chain.append(current.title)
    return None


def plan_save(*, plan: Plan) -> Plan:
    """Save a plan after checking its roll-up (PlanError for a loop)."""
    problem = plan_rollup_problem(plan=plan, parent=plan.parent)
    if problem:
        raise PlanError(problem)
    if plan.ends_on < plan.starts_on:
        raise PlanError(_("The plan must end after it starts."))
    plan.save()
    return plan


def plan_subtree(plan: Plan) -> list[Plan]:
    """The plan and every plan that rolls up into it, depth first."""
    out: list[Plan] = []
    stack = [plan]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if current.pk in seen:
            continue
        seen.add(current.pk)
        out.append(current)
        stack.extend(reversed(list(current.children.order_by("title", "id"))))
    return out


def action_update(*, action: Action, user: Any, status: str, narrative: str) -> ActionUpdate:
    """Set an action's status and add a dated narrative update."""
    with transaction.atomic():
        action.status = status
        action.save(update_fields=["status", "updated_at"])
        return ActionUpdate.objects.create(
            action=action,
            author=user if getattr(user, "is_authenticated", False) else None,
            status=status,
            narrative=narrative.strip(),
        )


def indicator_check(*, measure_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned parameters (UnknownMeasure / MeasureError with a sentence)."""
    return registry.get(measure_key).clean_params(params)


def indicator_compute(*, indicator: Indicator, as_of: dt.date | None = None) -> IndicatorReading:
    """Compute and store one reading; a missing measure or a failure is stored too."""
    on = as_of or timezone.localdate()
    reading = IndicatorReading(
        indicator=indicator,
        as_of=on,
        measure_key=indicator.measure_key,
        params=indicator.params,
    )
    try:
        measure = registry.get(indicator.measure_key)
        value = measure.compute(measure.clean_params(indicator.params), on)
    except registry.UnknownMeasure as exc:
        reading.status = ReadingStatus.UNAVAILABLE
        reading.message = exc.message
    except registry.MeasureError as exc:
        reading.status = ReadingStatus.FAILED
        reading.message = exc.message
    except Exception:
        log.exception("indicator %s could not be computed", indicator.pk)
        reading.status = ReadingStatus.FAILED
        reading.message = _("The measure could not be computed; the office has been told.")
    else:
        reading.status = ReadingStatus.OK
        reading.as_of = value.as_of
        reading.value = value.value
        reading.numerator = value.numerator
        reading.denominator = value.denominator
        reading.suppressed = value.suppressed
        reading.definition = value.definition
    reading.save()
    return reading


def indicators_recompute(*, as_of: dt.date | None = None) -> list[IndicatorReading]:
    """A new reading of every indicator (after a snapshot refresh)."""
    return [
        indicator_compute(indicator=indicator, as_of=as_of)
        for indicator in Indicator.objects.order_by("id")
    ]


def indicators_recompute_later() -> None:
    """Enqueue the recompute task once the current transaction commits."""
    from ristra.plans.tasks import recompute_indicators_task

    transaction.on_commit(lambda: recompute_indicators_task.enqueue())


# ------------------------------------------------------------------------------ completions

ID_HEADERS = (
    "identifier",
    "id",
    "person_id",
    "user_id",
    "employee_id",
    "student_id",
    "learner_id",
    "email",
    "e_mail",
    "user_email",
)
DATE_HEADERS = ("completed_on", "completion_date", "completed", "date_completed", "date")
COURSE_HEADERS = ("course", "course_code", "course_id", "training", "module")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%m/%d/%y")


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def _pick(headers: Iterable[str], wanted: Sequence[str]) -> str | None:
    keyed = {_key(h): h for h in headers}
    for name in wanted:
        if name in keyed:
            return keyed[name]
    return None


def parse_date(text: str) -> dt.date | None:
    value = text.strip()
    if "T" in value:
        value = value.split("T", 1)[0]
    elif " " in value:
        value = value.split(" ", 1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class ParsedRow:
    row_number: int
    raw: dict[str, str]
    identifier: str = ""
    completed_on: dt.date | None = None
    problem: str = ""


def parse_completion_rows(
    records: Sequence[Mapping[str, str | None]],
    *,
    course_code: str = "",
    today: dt.date | None = None,
    first_row: int = 2,
) -> list[ParsedRow]:
    """One :class:`ParsedRow` per record, in order: parsed, or with the problem in words.

    Never raises: a row with a missing identifier, an unreadable or future date, or another
    course's code gets its problem and is kept.
    """
    headers: list[str] = list(records[0].keys()) if records else []
    id_col = _pick(headers, ID_HEADERS)
    date_col = _pick(headers, DATE_HEADERS)
    course_col = _pick(headers, COURSE_HEADERS)
    limit = today or dt.date.today()  # noqa: DTZ011 - a calendar date
    out: list[ParsedRow] = []
    for index, record in enumerate(records):
        raw = {str(k): "" if v is None else str(v) for k, v in record.items()}
        number = first_row + index
        if id_col is None or date_col is None:
            missing = [
                label
                for label, col in (
                    (_("a person identifier"), id_col),
                    (_("a completion date"), date_col),
                )
                if col is None
            ]
            out.append(
                ParsedRow(
                    number,
                    raw,
                    problem=_("The file has no column for %(what)s (looked for %(names)s).")
                    % {
                        "what": _(" and ").join(missing),
                        "names": ", ".join((*ID_HEADERS[:4], *DATE_HEADERS[:3])),
                    },
                )
            )
            continue
        identifier = raw.get(id_col, "").strip()
        date_text = raw.get(date_col, "").strip()
        if course_code and course_col is not None:
            course = raw.get(course_col, "").strip()
            if course.lower() != course_code.lower():
                out.append(
                    ParsedRow(
                        number,
                        raw,
                        identifier,
                        problem=_("This row is for another course (%(course)s), not %(code)s.")
                        % {"course": repr(course), "code": course_code},
                    )
                )
                continue
        if not identifier:
            out.append(ParsedRow(number, raw, problem=_("The person identifier is empty.")))
            continue
        completed = parse_date(date_text) if date_text else None
        if completed is None:
            out.append(
                ParsedRow(
                    number,
                    raw,
                    identifier,
                    problem=_("The completion date %(value)s is not a date (use YYYY-MM-DD).")
                    % {"value": repr(date_text)},
                )
            )
            continue
        if completed > limit:
            out.append(
                ParsedRow(
                    number,
                    raw,
                    identifier,
                    completed,
                    problem=_("The completion date %(date)s is in the future.")
                    % {"date": completed.isoformat()},
                )
            )
            continue
        out.append(ParsedRow(number, raw, identifier, completed))
    return out


def _people_by_identifier(values: Iterable[str], system: str) -> dict[str, set[int]]:
    wanted = {v.strip() for v in values if v.strip()}
    wanted_lower = {v.lower() for v in wanted}
    found: dict[str, set[int]] = {}
    qs = Identifier.objects.all()
    if system:
        qs = qs.filter(system=system)
    # E-mail addresses compare without case; other identifiers exactly.
    for ident in qs.filter(
        Q(value__in=wanted) | Q(system=IdSystem.EMAIL, value__in=wanted_lower)
    ).values("value", "person_id", "system"):
        key = ident["value"].lower() if ident["system"] == IdSystem.EMAIL else ident["value"]
        found.setdefault(key, set()).add(ident["person_id"])
    return found


def completion_import(
    *,
    training: Training,
    content: bytes,
    filename: str,
    user: Any,
    id_system: str = "",
    today: dt.date | None = None,
) -> CompletionBatch:
    """Import a learning system's completion export: every row kept with its fate."""
    batch = CompletionBatch(
        training=training,
        filename=filename[:255],
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        _info, frame = read_table(content, filename=filename)
    except UnusableInput as exc:
        batch.error = exc.message
        batch.save()
        return batch
    columns = [c for c in frame.columns if c != "__row__"]
    records = [{c: row.get(c) for c in columns} for row in frame.iter_rows(named=True)]
    numbers = frame["__row__"].to_list() if frame.height else []
    parsed = parse_completion_rows(records, course_code=training.code, today=today)
    people = _people_by_identifier((p.identifier for p in parsed if not p.problem), id_system)
    existing = set(
        Completion.objects.filter(training=training).values_list("person_id", "completed_on")
    )
    rows: list[CompletionRow] = []
    completions: list[Completion] = []
    with transaction.atomic():
        batch.save()
        for number, row in zip(numbers, parsed, strict=True):
            fate, message, person_id = RowFate.REJECTED, row.problem, None
            if not row.problem:
                key = row.identifier
                matches = people.get(key) or people.get(key.lower()) or set()
                if not matches:
                    message = _(
                        "No person has the identifier %(value)s%(system)s: add them to the "
                        "person record (or correct the identifier) and import this file again."
                    ) % {
                        "value": repr(row.identifier),
                        "system": (
                            _(" (%(system)s)") % {"system": IdSystem(id_system).label}
                            if id_system
                            else ""
                        ),
                    }
                elif len(matches) > 1:
                    message = _(
                        "The identifier %(value)s belongs to %(n)d people; choose the "
                        "identifier system when uploading."
                    ) % {"value": repr(row.identifier), "n": len(matches)}
                else:
                    person_id = next(iter(matches))
                    assert row.completed_on is not None
                    if (person_id, row.completed_on) in existing:
                        fate = RowFate.DUPLICATE
                        message = _("This completion was already recorded.")
                    else:
                        fate, message = RowFate.ACCEPTED, ""
                        existing.add((person_id, row.completed_on))
                        completions.append(
                            Completion(
                                training=training,
                                person_id=person_id,
                                completed_on=row.completed_on,
                                batch=batch,
                            )
                        )
            rows.append(
                CompletionRow(
                    batch=batch,
                    row_number=int(number),
                    raw=row.raw,
                    fate=fate,
                    message=str(message)[:500],
                    person_id=person_id,
                )
            )
        CompletionRow.objects.bulk_create(rows, batch_size=1000)
        Completion.objects.bulk_create(completions, batch_size=1000)
        batch.rows_total = len(rows)
        batch.rows_accepted = len(completions)
        batch.rows_rejected = sum(1 for r in rows if r.fate == RowFate.REJECTED)
        batch.save()
    return batch


# ------------------------------------------------------------------------------ compliance

CURRENT, DUE, OVERDUE = "current", "due", "overdue"


@dataclass(frozen=True)
class PersonStatus:
    person_id: int
    unit: str
    due_on: dt.date | None
    status: str
    last_completed: dt.date | None
    expires_on: dt.date | None


def _unit_ids(unit: OrgUnit) -> set[int]:
    ids = {unit.pk}
    frontier = [unit.pk]
    while frontier:
        children = list(OrgUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier = [c for c in children if c not in ids]
        ids.update(frontier)
    return ids


def _latest_completions(
    training: Training, person_ids: Iterable[int], on: dt.date
) -> dict[int, dt.date]:
    latest: dict[int, dt.date] = {}
    for person_id, day in Completion.objects.filter(
        training=training, person_id__in=list(person_ids), completed_on__lte=on
    ).values_list("person_id", "completed_on"):
        if person_id not in latest or day > latest[person_id]:
            latest[person_id] = day
    return latest


def is_current(training: Training, last: dt.date | None, on: dt.date) -> bool:
    if last is None:
        return False
    expiry = training.expiry(last)
    return expiry is None or expiry > on


def requirement_status(
    *, requirement: TrainingRequirement, on: dt.date | None = None
) -> list[PersonStatus]:
    """Everyone a stage requirement applies to on ``on``, with their status."""
    day = on or timezone.localdate()
    if requirement.kind != RequirementKind.STAGE or not requirement.stage_kind:
        return []
    spells = Stage.objects.filter(kind=requirement.stage_kind, start_date__lte=day).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=day)
    )
    if requirement.unit is not None:
        spells = spells.filter(org_unit_id__in=_unit_ids(requirement.unit))
    first: dict[int, tuple[dt.date, str]] = {}
    for person_id, start, unit in spells.values_list(
        "person_id", "start_date", "org_unit__name"
    ).order_by("person_id", "start_date"):
        first.setdefault(person_id, (start, unit or ""))
    latest = _latest_completions(requirement.training, first, day)
    out = []
    for person_id, (start, unit) in first.items():
        due = start + dt.timedelta(days=requirement.due_days)
        last = latest.get(person_id)
        if is_current(requirement.training, last, day):
            status = CURRENT
        elif due < day:
            status = OVERDUE
        else:
            status = DUE
        out.append(
            PersonStatus(
                person_id=person_id,
                unit=unit,
                due_on=due,
                status=status,
                last_completed=last,
                expires_on=requirement.training.expiry(last) if last else None,
            )
        )
    return out


def committee_trainings_missing(
    *, person: Person, role: str, on: dt.date | None = None
) -> list[str]:
    """Sentences naming each committee training ``person`` lacks for ``role``."""
    day = on or timezone.localdate()
    missing = []
    requirements = (
        TrainingRequirement.objects.filter(kind=RequirementKind.COMMITTEE)
        .filter(Q(committee_role="") | Q(committee_role=role))
        .select_related("training")
    )
    for requirement in requirements:
        training = requirement.training
        last = _latest_completions(training, [person.pk], day).get(person.pk)
        if is_current(training, last, day):
            continue
        if last is None:
            missing.append(_("%(training)s has not been completed.") % {"training": training.name})
        else:
            missing.append(
                _("%(training)s was completed on %(done)s and expired on %(expired)s.")
                % {
                    "training": training.name,
                    "done": last.isoformat(),
                    "expired": (training.expiry(last) or last).isoformat(),
                }
            )
    return missing


def search_member_add(*, search: Search, person: Person, role: str, user: Any) -> SearchMember:
    """Add a committee member whose required trainings are current (PlanError otherwise)."""
    if SearchMember.objects.filter(search=search, person=person).exists():
        raise PlanError(_("%(name)s is already on this committee.") % {"name": person.display_name})
    missing = committee_trainings_missing(person=person, role=role)
    if missing:
        raise PlanError(
            _(
                "%(name)s cannot join the committee until the required training is current: "
                "%(missing)s"
            )
            % {"name": person.display_name, "missing": " ".join(missing)}
        )
    return SearchMember.objects.create(
        search=search,
        person=person,
        role=role,
        added_by=user if getattr(user, "is_authenticated", False) else None,
    )


def search_create(
    *,
    position: str,
    unit: OrgUnit,
    cycle: str,
    opens_on: dt.date,
    closes_on: dt.date | None = None,
    template: ChecklistTemplate | None = None,
) -> Search:
    with transaction.atomic():
        search = Search.objects.create(
            position=position, unit=unit, cycle=cycle, opens_on=opens_on, closes_on=closes_on
        )
        if template is not None:
            ChecklistItem.objects.bulk_create(
                [
                    ChecklistItem(search=search, text=str(text)[:300], position=i)
                    for i, text in enumerate(template.items)
                    if str(text).strip()
                ]
            )
    return search


def checklist_item_set(*, item: ChecklistItem, done: bool, user: Any, note: str = "") -> None:
    item.done_on = timezone.localdate() if done else None
    item.done_by = user if done and getattr(user, "is_authenticated", False) else None
    item.note = note[:300]
    item.save(update_fields=["done_on", "done_by", "note"])


# ------------------------------------------------------------------------------ reminders

REMIND_EVERY_DAYS = 7


@dataclass
class ReminderResult:
    sent: int = 0
    no_email: int = 0
    recently_reminded: int = 0
    people: list[int] = field(default_factory=list)


def _emails(person_ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for person_id, value in Identifier.objects.filter(
        person_id__in=list(person_ids), system=IdSystem.EMAIL
    ).values_list("person_id", "value"):
        out.setdefault(person_id, value)
    return out


def training_reminders_send(*, on: dt.date | None = None, dry_run: bool = False) -> ReminderResult:
    """E-mail everyone overdue for a stage requirement (at most once a week each)."""
    day = on or timezone.localdate()
    result = ReminderResult()
    since = timezone.now() - dt.timedelta(days=REMIND_EVERY_DAYS)
    for requirement in TrainingRequirement.objects.filter(
        kind=RequirementKind.STAGE
    ).select_related("training"):
        overdue = [
            s for s in requirement_status(requirement=requirement, on=day) if s.status == OVERDUE
        ]
        recent = set(
            TrainingReminder.objects.filter(
                requirement=requirement, sent_at__gte=since
            ).values_list("person_id", flat=True)
        )
        emails = _emails(s.person_id for s in overdue)
        for status in overdue:
            if status.person_id in recent:
                result.recently_reminded += 1
                continue
            email = emails.get(status.person_id)
            if not email:
                result.no_email += 1
                continue
            result.people.append(status.person_id)
            if dry_run:
                result.sent += 1
                continue
            training = requirement.training
            subject = _("Reminder: %(training)s is overdue") % {"training": training.name}
            body = _(
                "Our records show that the required training %(training)s was due on "
                "%(due)s%(before)s and is not yet complete (or has expired).\n\nPlease "
                "complete it in the learning system. If you already have, reply to this "
                "message and the office will check the record."
            ) % {
                "training": training.name,
                "due": status.due_on.isoformat() if status.due_on else "",
                "before": (_(", before %(what)s") % {"what": requirement.before})
                if requirement.before
                else "",
            }
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
            TrainingReminder.objects.create(
                requirement=requirement, person_id=status.person_id, email=email
            )
            result.sent += 1
    return result


__all__ = [
    "ActionStatus",
    "PlanError",
    "action_update",
    "checklist_item_set",
    "completion_import",
    "indicator_check",
    "indicator_compute",
    "indicators_recompute",
    "parse_completion_rows",
    "plan_rollup_problem",
    "plan_save",
    "requirement_status",
    "search_create",
    "search_member_add",
    "training_reminders_send",
]
