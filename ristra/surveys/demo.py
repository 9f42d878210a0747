"""The demo school's climate survey: a 2025 and a 2026 wave of the example instrument.

Everyone on the faculty, the staff and the student body on each wave's opening date is
invited; about half answer, students a little more often than staff. Answers come from a
simple model with plausible differences: respondents who identify as underrepresented in
medicine, and non-binary respondents, report less fair treatment and less ease in being
themselves; staff report less voice in decisions; students feel more connected. In 2026
voice improves a little (the office acted on 2025's results) and fair treatment for
underrepresented respondents improves slightly. About 600 comments are written from
templates (English, a few in Spanish). Each response carries its invitee's unit (the
survey's ``carry_unit`` setting), stored and pooled by the same rules as a real survey's,
and units differ a little in connection and voice. Everything is fictional and
deterministic.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from importlib import resources
from typing import Any

from django.db import transaction

from ristra.analytics.surveys import EXAMPLE_INSTRUMENT
from ristra.surveys.models import (
    UNIT_KEY,
    ActionItem,
    ActionStatus,
    FindingKind,
    Invitation,
    Mode,
    Response,
    Status,
    Survey,
    token_hash,
)

DEMO_TITLE = "Campus climate survey"
WAVES = (
    ("2025", dt.date(2025, 3, 3), dt.date(2025, 3, 31)),
    ("2026", dt.date(2026, 3, 2), dt.date(2026, 3, 30)),
)
COMMENTS_PER_WAVE = 300
RESPONSE_RATE = {"Faculty": 0.48, "Staff": 0.41, "Student": 0.57, "Resident or fellow": 0.38}

BENCHMARK = """level,key,mean,pct_favourable
cluster,belonging,3.7,64
cluster,respect,3.5,57
cluster,growth,3.4,52
factor,connection,3.8,67
factor,authenticity,3.6,60
factor,fair_treatment,3.5,56
factor,recognition,3.5,58
factor,development,3.5,55
factor,voice,3.3,49
"""

# --- comments ---------------------------------------------------------------------------
STRENGTH_EN = (
    "The {program} makes newcomers feel {adj}.",
    "My {who} {verb} and that makes a real difference.",
    "{Event} bring people from different backgrounds together.",
    "I appreciate that {thing} is taken seriously here.",
    "People in my {unit} are {adj} and easy to approach.",
    "The {program} helped me find a {mentor} who understands my path.",
)
CHANGE_EN = (
    "Make {opportunity} announced openly instead of passed along informally.",
    "Give {group} a real voice in {decision}.",
    "Follow up on reports of {problem}; nothing seems to happen after a report.",
    "Share the workload of {task} more fairly across the {unit}.",
    "Recognise {task} when people are evaluated for promotion.",
    "Offer {support} at times that work for people with {constraint}.",
    "Explain what changed after the last survey; results should lead to {outcome}.",
)
STRENGTH_ES = (
    "El programa de mentoría me ayudó a sentirme parte de la escuela.",
    "Mis colegas son muy acogedores con las personas nuevas.",
    "Me gusta que haya eventos para conocer a gente de otros departamentos.",
)
CHANGE_ES = (
    "Que las oportunidades de liderazgo se anuncien abiertamente.",
    "Que se tomen en serio las quejas de trato injusto.",
    "Repartir mejor la carga de trabajo en mi unidad.",
    "Ofrecer información también en español para el personal.",
)
FILL = {
    "program": ["mentoring program", "orientation week", "peer mentoring program", "welcome lunch"],
    "adj": ["welcome", "supported", "respected", "at home", "included"],
    "who": ["supervisor", "chair", "program director", "team lead", "advisor"],
    "verb": [
        "checks in with me regularly",
        "listens before deciding",
        "shares credit for our work",
        "gives honest feedback",
    ],
    "Event": [
        "Heritage month events",
        "Community lunches",
        "The grand rounds series",
        "Town halls",
    ],
    "thing": ["wellbeing", "accessibility", "feedback from students", "work-life balance"],
    "unit": ["department", "clinic", "lab", "office", "team"],
    "mentor": ["mentor", "sponsor", "role model"],
    "opportunity": ["leadership roles", "committee seats", "teaching awards", "research funding"],
    "group": ["staff", "junior faculty", "students", "residents"],
    "decision": ["scheduling", "hiring committees", "curriculum changes", "budget decisions"],
    "problem": ["bias", "mistreatment", "microaggressions", "unfair scheduling"],
    "task": ["committee work", "mentoring", "teaching", "after-hours coverage"],
    "support": ["training", "career coaching", "writing groups", "networking events"],
    "constraint": ["caregiving duties", "clinical shifts", "evening classes", "long commutes"],
    "outcome": ["visible action", "a clear plan", "changes we can see"],
}


def _comment(rng: random.Random, templates: tuple[str, ...]) -> str:
    text = rng.choice(templates)
    for key, values in FILL.items():
        token = "{" + key + "}"
        while token in text:
            text = text.replace(token, rng.choice(values), 1)
    return text


# --- answers ----------------------------------------------------------------------------
def _effects(role: str, gender: str | None, urim: str | None, wave: str) -> dict[str, float]:
    e = dict.fromkeys(
        ("connection", "authenticity", "fair_treatment", "recognition", "development", "voice"),
        0.0,
    )
    if role == "Student":
        e["connection"] += 0.35
        e["development"] += 0.2
        e["voice"] -= 0.1
    if role == "Staff":
        e["voice"] -= 0.45
        e["development"] -= 0.3
        e["recognition"] -= 0.2
    if role == "Faculty":
        e["recognition"] += 0.1
    if urim == "Yes":
        e["fair_treatment"] -= 0.5 if wave == "2025" else 0.35
        e["authenticity"] -= 0.4
        e["recognition"] -= 0.25
    if gender == "Woman":
        e["recognition"] -= 0.2
        e["voice"] -= 0.1
    if gender == "Non-binary":
        e["authenticity"] -= 0.6
        e["connection"] -= 0.3
    if wave == "2026":
        e["voice"] += 0.2
    return e


def _unit_effects(unit: str) -> dict[str, float]:
    """A unit's own small, fixed differences (the same in both waves)."""
    unit_rng = random.Random(f"unit:{unit}")  # noqa: S311 - fictional demo data
    return {"connection": unit_rng.gauss(0, 0.25), "voice": unit_rng.gauss(0, 0.3)}


def _respondent(
    rng: random.Random, instrument: Any, role: str, wave: str, unit: str = ""
) -> tuple[dict, dict]:
    gender = rng.choices(
        ["Woman", "Man", "Non-binary", "A gender not listed", "Prefer not to answer", None],
        weights=[50, 40, 3, 1, 3, 3],
    )[0]
    urim = rng.choices(["Yes", "No", "Prefer not to answer", None], weights=[18, 74, 5, 3])[0]
    years = rng.choice(instrument.item("years").options)
    effects = _effects(role, gender, urim, wave)
    for factor, shift in (_unit_effects(unit) if unit else {}).items():
        effects[factor] += shift
    person = rng.gauss(0, 0.7)
    answers: dict[str, Any] = {}
    for item in instrument.likert_items:
        if rng.random() < 0.03:
            continue  # skipped
        latent = 3.45 + person + effects.get(item.factor or "", 0.0) + rng.gauss(0, 0.8)
        value = min(5, max(1, int(math.floor(latent + 0.5))))
        answers[item.key] = 6 - value if item.reverse else value
    answers["years"] = years
    demographics = {"role": role}
    if gender:
        demographics["gender"] = gender
    if urim:
        demographics["urim"] = urim
    return answers, demographics


def seed_surveys(*, seed: int = 2026, stdout: Any = None, replace: bool = False) -> int:
    """Create the two demo waves. Returns the number of responses created (0 when they
    exist already, unless ``replace``, or when the demo school is not loaded)."""
    from ristra.accounts.models import User
    from ristra.surveys.selectors import population_on, units_on
    from ristra.surveys.services import responses_pool_units, unit_label

    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if replace:
        Survey.objects.filter(title=DEMO_TITLE).delete()
    if Survey.objects.filter(title=DEMO_TITLE).exists():
        say("The demo climate survey already exists; left as it is.")
        return 0
    text = resources.files("ristra.analytics.data").joinpath(EXAMPLE_INSTRUMENT).read_text()
    analyst = User.objects.filter(username="analyst").first()
    rng = random.Random(seed)  # noqa: S311 - fictional demo data
    total = 0
    comments = 0
    with transaction.atomic():
        for wave, opens, closes in WAVES:
            people = [p for p in population_on(opens) if p[1] != "Resident or fellow"]
            if len(people) < 50:
                say("The demo school is not loaded: no demo climate survey.")
                return 0
            from ristra.surveys.services import survey_create

            survey = survey_create(
                title=DEMO_TITLE,
                wave=wave,
                mode=Mode.INVITATIONS,
                instrument_text=text,
                created_by=analyst,
                opens_on=opens,
                closes_on=closes,
                status=Status.CLOSED,
                filter_split="role",
                carry_unit=True,
                published=True,  # last year's results were shared too
                benchmark_label="Peer schools (fictional)" if wave == "2026" else "",
                benchmark_csv=BENCHMARK if wave == "2026" else "",
            )
            instrument = survey.instrument
            units = units_on(opens, {person.pk: population for person, population, _ in people})
            invitations = Invitation.objects.bulk_create(
                [
                    Invitation(
                        survey=survey,
                        person=person,
                        population=population,
                        unit=units.get(person.pk, ""),
                        email=email,
                        token_hash=f"demo-{wave}-{person.pk}",
                        sent=True,
                    )
                    for person, population, email in people
                ]
            )
            from ristra.surveys.services import invitation_token

            for invitation in invitations:
                invitation.token_hash = token_hash(invitation_token(invitation))
            responses = []
            stored_unit = {u: unit_label(survey, u) for u in {i.unit for i in invitations}}
            for invitation, (_, population, _) in zip(invitations, people, strict=True):
                if rng.random() >= RESPONSE_RATE.get(population, 0.4):
                    continue
                invitation.responded = True
                answers, demographics = _respondent(
                    rng, instrument, population, wave, invitation.unit
                )
                if stored_unit[invitation.unit]:
                    demographics[UNIT_KEY] = stored_unit[invitation.unit]
                responses.append((answers, demographics))
            # About COMMENTS_PER_WAVE comments whatever the school's size.
            share = min(1.0, COMMENTS_PER_WAVE / max(1, len(responses)))
            for answers, _ in responses:
                if rng.random() < share * 0.55:
                    spanish = rng.random() < 0.06
                    answers["strength"] = (
                        rng.choice(STRENGTH_ES) if spanish else _comment(rng, STRENGTH_EN)
                    )
                    comments += 1
                if rng.random() < share * 0.45:
                    spanish = rng.random() < 0.06
                    answers["change"] = (
                        rng.choice(CHANGE_ES) if spanish else _comment(rng, CHANGE_EN)
                    )
                    comments += 1
            Invitation.objects.bulk_update(invitations, ["token_hash", "responded"], batch_size=500)
            rng.shuffle(responses)
            Response.objects.bulk_create(
                [
                    Response(
                        survey=survey,
                        period=wave,
                        channel="invitation",
                        answers=a,
                        demographics=d,
                        sealed=True,
                    )
                    for a, d in responses
                ],
                batch_size=500,
            )
            responses_pool_units(survey=survey)  # as closing a survey does
            total += len(responses)
            say(
                f"Demo climate survey {wave}: {len(invitations)} invited, "
                f"{len(responses)} responses."
            )
        owner = User.objects.filter(username="manager").first() or analyst
        survey_2026 = Survey.objects.get(title=DEMO_TITLE, wave="2026")
        if owner is not None:
            for kind, finding, action, due, status in (
                (
                    FindingKind.GAP,
                    "Respondents underrepresented in medicine report less fair treatment",
                    "Review how bias reports are handled and publish the process",
                    dt.date(2026, 12, 15),
                    ActionStatus.IN_PROGRESS,
                ),
                (
                    FindingKind.FACTOR,
                    "Staff report the least voice in decisions",
                    "Add two staff seats to the school's planning committee",
                    dt.date(2027, 1, 31),
                    ActionStatus.OPEN,
                ),
                (
                    FindingKind.THEME,
                    "Comments ask for leadership roles to be announced openly",
                    "Post every committee and leadership opening on the intranet",
                    dt.date(2026, 10, 1),
                    ActionStatus.DONE,
                ),
            ):
                ActionItem.objects.create(
                    survey=survey_2026,
                    kind=kind,
                    finding=finding,
                    action=action,
                    owner=owner,
                    due_on=due,
                    status=status,
                )
    say(f"Demo climate survey: {total} responses and {comments} comments in two waves.")
    return total
