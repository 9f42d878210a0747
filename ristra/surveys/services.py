"""Writes for surveys: creating and opening them, invitations and reminders, submitting a
response, one-time codes, imports from Qualtrics and REDCap, action items.

The anonymity rule of every write here: nothing written with a response names a person,
an invitation, a user or a time; and nothing written elsewhere names a response.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ristra.analytics.disclosure import pool_small_groups
from ristra.analytics.surveys import Instrument, instrument_breaking_changes, instrument_load
from ristra.surveys.models import (
    UNIT_KEY,
    AccessCode,
    ActionItem,
    ImportStatus,
    Invitation,
    Response,
    ResponseImport,
    ResponseImportRow,
    RowFate,
    Status,
    Survey,
    token_hash,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class SubmissionRefused(ValueError):
    """A submission that must not be stored; the message is shown to the respondent."""


class InstrumentChangeRefused(SubmissionRefused):
    """An instrument change that would break stored responses; ``problems`` names each
    offending item, so a screen can list them one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            _("Responses exist, so this change would break them: %(problems)s")
            % {"problems": " ".join(self.problems)}
        )


def instrument_check(text: str, fmt: str) -> Instrument:
    """The parsed instrument (raises ``InstrumentError`` naming what is wrong)."""
    return instrument_load(text, fmt=fmt)


@transaction.atomic
def survey_create(
    *,
    title: str,
    wave: str,
    mode: str,
    instrument_text: str,
    instrument_format: str = "yaml",
    created_by: Any = None,
    **extra: Any,
) -> Survey:
    instrument = instrument_check(instrument_text, instrument_format)
    return Survey.objects.create(
        title=title,
        wave=wave,
        mode=mode,
        instrument_text=instrument_text,
        instrument_format=instrument_format,
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        created_by=created_by,
        **extra,
    )


@transaction.atomic
def survey_set_instrument(*, survey: Survey, text: str, fmt: str) -> Survey:
    instrument = instrument_check(text, fmt)
    if survey.responses.exists():
        problems = instrument_breaking_changes(survey.instrument, instrument)
        if problems:
            raise InstrumentChangeRefused(problems)
    survey.instrument_text = text
    survey.instrument_format = fmt
    survey.instrument_key = instrument.key
    survey.instrument_version = instrument.version
    survey.save()
    survey.__dict__.pop("instrument", None)
    return survey


def survey_set_status(*, survey: Survey, status: str) -> Survey:
    survey.status = status
    survey.save(update_fields=["status"])
    if status == Status.CLOSED:
        responses_seal(survey=survey, minimum=1)
        responses_pool_units(survey=survey)
        from ristra.surveys.tasks import survey_themes_task

        transaction.on_commit(lambda: survey_themes_task.enqueue(survey.pk))
    return survey


# --------------------------------------------------------------------------- invitations
def invitation_token(invitation: Invitation) -> str:
    """The invitation's link token: derived with the server's key, never stored."""
    message = f"survey-invitation:{invitation.survey.link_key}:{invitation.pk}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


@transaction.atomic
def invitations_create(
    *, survey: Survey, people: Iterable[tuple[Any, str, str]], on: dt.date | None = None
) -> list[Invitation]:
    """Invite ``(person, population, email)``; a person already invited is skipped.

    Each invitation keeps the person's population and unit (``selectors.units_on``) on
    ``on`` (default: today), the denominators of the response rates."""
    from ristra.surveys.selectors import units_on

    existing = set(survey.invitations.values_list("person_id", flat=True))
    wanted = []
    for person, population, email in people:
        if person.pk in existing:
            continue
        existing.add(person.pk)
        wanted.append((person, population, email))
    units = units_on(on or timezone.localdate(), {p.pk: pop for p, pop, _ in wanted})
    created = []
    for person, population, email in wanted:
        invitation = Invitation.objects.create(
            survey=survey,
            person=person,
            population=population,
            unit=units.get(person.pk, ""),
            email=email,
            token_hash=secrets.token_hex(32),  # placeholder until the id exists
        )
        invitation.token_hash = token_hash(invitation_token(invitation))
        invitation.save(update_fields=["token_hash"])
        created.append(invitation)
    return created


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("survey").filter(token_hash=token_hash(token)).first()


def _invitation_mail(invitation: Invitation, *, reminder: bool, base_url: str) -> None:
    link = base_url.rstrip("/") + reverse(
        "surveys:respond_invitation", args=[invitation_token(invitation)]
    )
    survey = invitation.survey
    subject = (_("Reminder: %(title)s") if reminder else _("You are invited: %(title)s")) % {
        "title": survey.title
    }
    body = _(
        "You are invited to answer %(title)s.\n\n%(link)s\n\n"
        "Your answers are stored without your name, your invitation or the time you "
        "answered: the office can see that you responded, never what you answered. "
        "Results are shown only for groups of at least %(k)d people."
    ) % {"title": survey.title, "link": link, "k": survey.min_group}
    send_mail(subject, body, None, [invitation.email])


def invitations_send(*, survey: Survey, base_url: str = "") -> int:
    """Send every invitation not yet sent (e-mail with the personal link)."""
    base_url = base_url or settings.SITE_URL
    sent = 0
    for invitation in survey.invitations.filter(sent=False).exclude(email=""):
        _invitation_mail(invitation, reminder=False, base_url=base_url)
        Invitation.objects.filter(pk=invitation.pk).update(sent=True)
        sent += 1
    return sent


def reminders_send(*, survey: Survey | None = None, base_url: str = "", limit: int = 3) -> int:
    """One round of reminders to everyone invited to an open survey who has not responded
    (at most ``limit`` rounds per survey). Returns how many reminders were sent."""
    base_url = base_url or settings.SITE_URL
    surveys = Survey.objects.filter(status=Status.OPEN, reminders_sent__lt=limit)
    if survey is not None:
        surveys = surveys.filter(pk=survey.pk)
    sent = 0
    for current in surveys:
        pending = current.invitations.filter(sent=True, responded=False).exclude(email="")
        for invitation in pending.select_related("survey"):
            _invitation_mail(invitation, reminder=True, base_url=base_url)
            sent += 1
        Survey.objects.filter(pk=current.pk).update(reminders_sent=current.reminders_sent + 1)
    return sent


# --------------------------------------------------------------------------- responses
@dataclass(frozen=True)
class Answers:
    answers: dict[str, Any]
    demographics: dict[str, str]


def _store(survey: Survey, answers: Answers, channel: str) -> None:
    Response.objects.create(
        survey=survey,
        period=survey.wave,
        channel=channel,
        answers=answers.answers,
        demographics=answers.demographics,
    )


def unit_label(survey: Survey, unit: str) -> str:
    """The unit label a response stores: the unit's name when at least ``min_group`` people
    of that unit were invited, else the pooled label (see ``pool_small_groups``)."""
    by_unit = survey.invitations.order_by().values("unit").annotate(n=Count("id"))
    counts: dict[str, int] = dict(by_unit.values_list("unit", "n"))
    counts.setdefault(unit, 0)
    return pool_small_groups(counts, k=survey.min_group)[unit]


def response_submit_invitation(*, invitation_id: int, answers: Answers) -> None:
    """Mark the invitation responded and store the answers, in one transaction, with
    nothing that joins the two. When the survey carries units, the answers also get the
    invitee's unit label (never the invitation or the person)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("survey")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None:
            raise SubmissionRefused(_("This invitation link is not valid."))
        survey = invitation.survey
        if survey.status != Status.OPEN:
            raise SubmissionRefused(_("This survey is not open."))
        if invitation.responded:
            raise SubmissionRefused(
                _(
                    "Answers from this invitation were already received. Each invitation "
                    "can answer once; your first answers are kept."
                )
            )
        Invitation.objects.filter(pk=invitation.pk).update(responded=True)
        if survey.carry_unit:
            demographics = dict(answers.demographics)
            demographics.pop(UNIT_KEY, None)
            label = unit_label(survey, invitation.unit)
            if label:
                demographics[UNIT_KEY] = label
            answers = Answers(answers.answers, demographics)
        _store(survey, answers, "invitation")
    responses_seal(survey=survey)


def response_submit_link(*, survey: Survey, answers: Answers, code: str = "") -> None:
    """Store an anonymous-link response, spending its one-time code when one is needed."""
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status != Status.OPEN:
            raise SubmissionRefused(_("This survey is not open."))
        if locked.require_code:
            spent = AccessCode.objects.filter(
                survey=locked, code_hash=token_hash(code.upper()), spent=False
            ).update(spent=True)
            if spent != 1:
                raise SubmissionRefused(
                    _("This code is not valid or was already used. Each code opens the form once.")
                )
        _store(locked, answers, "link")
    responses_seal(survey=survey)


def responses_seal(*, survey: Survey, minimum: int | None = None) -> int:
    """Rewrite the survey's unsealed responses in one new transaction, in random order and
    with new ids, once at least ``minimum`` (default: the survey's smallest group) wait.

    A response is written in the same transaction that marks its invitation responded, so
    until it is sealed a database administrator could pair the two through the storage
    (PostgreSQL's transaction id ``xmin``, SQLite's ``rowid`` order). Sealing breaks that
    pairing for every batch of at least ``minimum`` responses; closing a survey seals the
    rest. Returns how many responses were sealed.
    """
    minimum = survey.min_group if minimum is None else minimum
    with transaction.atomic():
        pending = list(
            Response.objects.select_for_update()
            .filter(survey=survey, sealed=False)
            .values_list("id", "period", "channel", "answers", "demographics")
        )
        if not pending or len(pending) < minimum:
            return 0
        Response.objects.filter(id__in=[row[0] for row in pending]).delete()
        random.SystemRandom().shuffle(pending)
        Response.objects.bulk_create(
            [
                Response(
                    survey=survey,
                    period=period,
                    channel=channel,
                    answers=answers,
                    demographics=demographics,
                    sealed=True,
                )
                for _, period, channel, answers, demographics in pending
            ]
        )
    return len(pending)


@transaction.atomic
def responses_pool_units(*, survey: Survey) -> int:
    """Store the unit of every response of a unit with fewer than ``min_group`` responses
    (no unit on record counts as one) as the pooled label: ``pool_small_groups`` over the
    responses, done when the survey closes and the counts are final. Returns how many
    responses were recoded."""
    if not survey.carry_unit:
        return 0
    rows = list(
        Response.objects.select_for_update()
        .filter(survey=survey, channel="invitation")
        .only("id", "demographics")
    )
    counts: dict[str, int] = {}
    for row in rows:
        label = row.demographics.get(UNIT_KEY, "")
        counts[label] = counts.get(label, 0) + 1
    recode = pool_small_groups(counts, k=survey.min_group)
    changed = []
    for row in rows:
        label = row.demographics.get(UNIT_KEY, "")
        if recode[label] != label:
            row.demographics = {**row.demographics, UNIT_KEY: recode[label]}
            changed.append(row)
    Response.objects.bulk_update(changed, ["demographics"], batch_size=500)
    return len(changed)


def codes_generate(*, survey: Survey, n: int) -> list[str]:
    """``n`` new one-time codes (shown once; only their hashes are kept)."""
    codes: list[str] = []
    hashes = set(survey.codes.values_list("code_hash", flat=True))
    while len(codes) < n:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
        digest = token_hash(code)
        if digest in hashes:
            continue
        hashes.add(digest)
        codes.append(code)
    AccessCode.objects.bulk_create(
        [AccessCode(survey=survey, code_hash=token_hash(c)) for c in codes]
    )
    return codes


# --------------------------------------------------------------------------- imports
def _split_values(instrument: Instrument, values: Mapping[str, object]) -> Answers:
    answers: dict[str, Any] = {}
    demographics: dict[str, str] = {}
    for key, value in values.items():
        try:
            item = instrument.item(key)
        except KeyError:
            continue
        if value is None or value == "":
            continue
        if item.kind == "demographic":
            demographics[key] = str(value)
        elif isinstance(value, tuple | list):
            answers[key] = list(value)
        else:
            answers[key] = value
    return Answers(answers, demographics)


def responses_import(
    *, survey: Survey, data: bytes, filename: str, source: str, user: Any = None
) -> ResponseImport:
    """Import a Qualtrics or REDCap export: every row is kept with its fate.

    A row with any problem (a value outside the scale, an unknown option) is rejected
    whole and kept with the reasons; the file itself is rejected with its reason when it
    cannot be read as an export of this instrument.
    """
    from ristra.analytics.survey_files import ResponseFileError, parse_qualtrics, parse_redcap

    parser = {"qualtrics": parse_qualtrics, "redcap": parse_redcap}.get(source)
    if parser is None:
        raise ValueError(f"unknown source {source!r}")
    digest = hashlib.sha256(data).hexdigest()
    try:
        parsed = parser(data, survey.instrument)
    except ResponseFileError as error:
        return ResponseImport.objects.create(
            survey=survey,
            source=source,
            filename=filename[:255],
            sha256=digest,
            status=ImportStatus.FAILED,
            file_problems=[str(error)],
            created_by=user,
        )
    with transaction.atomic():
        batch = ResponseImport.objects.create(
            survey=survey,
            source=source,
            filename=filename[:255],
            sha256=digest,
            status=ImportStatus.COMMITTED,
            file_problems=list(parsed.file_problems),
            created_by=user,
        )
        rows = []
        accepted = []
        for row in parsed.rows:
            fate = RowFate.REJECTED if row.problems else RowFate.ACCEPTED
            rows.append(
                ResponseImportRow(
                    batch=batch,
                    row_number=row.row_number,
                    raw=row.raw,
                    fate=fate,
                    problems=list(row.problems),
                )
            )
            if not row.problems:
                accepted.append(_split_values(survey.instrument, row.values))
        ResponseImportRow.objects.bulk_create(rows, batch_size=1000)
        random.SystemRandom().shuffle(accepted)  # file order is not kept with answers
        Response.objects.bulk_create(
            [
                Response(
                    survey=survey,
                    period=survey.wave,
                    channel="import",
                    answers=a.answers,
                    demographics=a.demographics,
                    sealed=True,
                )
                for a in accepted
            ],
            batch_size=1000,
        )
        batch.accepted = len(accepted)
        batch.rejected = len(rows) - len(accepted)
        batch.save(update_fields=["accepted", "rejected"])
    return batch


# --------------------------------------------------------------------------- actions
def action_create(
    *, survey: Survey, kind: str, finding: str, action: str, owner: Any, due_on: Any
) -> ActionItem:
    return ActionItem.objects.create(
        survey=survey, kind=kind, finding=finding, action=action, owner=owner, due_on=due_on
    )
