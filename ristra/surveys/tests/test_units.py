"""Units: each invitation keeps the invitee's unit from the person record; response rates
by unit go through the suppression layer; a survey that carries units stores the unit
label (pooled when small) with the answers and breaks scores down by it under the same
rules as any demographic question."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.urls import reverse

from ristra.analytics.disclosure import POOLED
from ristra.people.models import OrgUnitKind, Person, Stage, StageKind
from ristra.surveys import services
from ristra.surveys.models import UNIT_KEY, Invitation, Response
from ristra.surveys.results import build_report, split_keys
from ristra.surveys.tests.conftest import people_in, unit_named

DAY = dt.date(2026, 3, 2)


def _invite(survey: Any, groups: dict[str, int], *, population: str = "Faculty") -> list:
    invited = []
    for name, n in groups.items():
        invited += people_in(unit_named(name) if name else None, n)
    return services.invitations_create(
        survey=survey, people=[(p, population, f"{p.pk}@example.org") for p in invited], on=DAY
    )


def _answer(invitations: list, *, seed: int = 1) -> None:
    rng = random.Random(seed)
    for invitation in invitations:
        services.response_submit_invitation(
            invitation_id=invitation.pk,
            answers=services.Answers(
                {"con1": rng.randint(1, 5), "voi1": rng.randint(1, 5)}, {"role": "Faculty"}
            ),
        )


def _stored_units() -> list[str]:
    return [d.get(UNIT_KEY, "") for d in Response.objects.values_list("demographics", flat=True)]


def _section(report: Any, key: str) -> Any:
    return next(s for s in report.sections if s.key == key)


# ------------------------------------------------------------------------ the invitation
@pytest.mark.django_db
def test_the_invitation_keeps_the_unit_on_the_invitation_date(survey_factory: Any) -> None:
    surgery = unit_named("Surgery")
    cardiology = unit_named("Cardiology", OrgUnitKind.DIVISION, parent=unit_named("Medicine"))
    gme = unit_named("Surgery Residency", OrgUnitKind.GME_PROGRAM, parent=surgery)
    person = Person.objects.create(given_name="A", family_name="B")
    # an appointment that ended before the invitation date does not count
    Stage.objects.create(
        person=person,
        kind=StageKind.FACULTY_APPOINTMENT,
        key="old",
        start_date=dt.date(2010, 1, 1),
        end_date=dt.date(2020, 1, 1),
        org_unit=surgery,
    )
    Stage.objects.create(
        person=person,
        kind=StageKind.FACULTY_APPOINTMENT,
        key="now",
        start_date=dt.date(2020, 1, 1),
        org_unit=cardiology,
    )
    resident = people_in(gme, 1, kind=StageKind.GME_APPOINTMENT)[0]
    nobody = Person.objects.create(given_name="C", family_name="D")
    survey = survey_factory(mode="invitations")
    services.invitations_create(
        survey=survey,
        people=[
            (person, "Faculty", ""),
            (resident, "Resident or fellow", ""),
            (nobody, "Staff", ""),
        ],
        on=DAY,
    )
    units = dict(Invitation.objects.filter(survey=survey).values_list("person_id", "unit"))
    # a division counts as its department; a GME program is a unit of its own
    assert units == {person.pk: "Medicine", resident.pk: "Surgery Residency", nobody.pk: ""}


# ------------------------------------------------------------------ response rates by unit
@pytest.mark.django_db
def test_response_rates_by_unit_hide_small_counts_with_a_complement(survey_factory: Any):
    survey = survey_factory(mode="invitations")
    invitations = _invite(survey, {"Surgery": 20, "Medicine": 16, "Tiny Lab": 2})
    by_unit: dict[str, list[Any]] = {i.unit: [] for i in invitations}
    for i in invitations:
        by_unit[i.unit].append(i)
    _answer(by_unit["Surgery"][:12] + by_unit["Medicine"][:9] + by_unit["Tiny Lab"][:1])
    report = build_report(survey, breakdowns=True)
    table = _section(report, "response_rate_unit")
    assert [c.label for c in table.columns[:4]] == [
        "Unit on the invitation date (person record)",
        "Responded",
        "Not yet",
        "Invited",
    ]
    rows = {r[0]: r for r in table.rows}
    assert set(rows) == {"Medicine", "Surgery", "Tiny Lab", "Total"}
    # the tiny lab's counts are hidden, and so is enough else that they cannot be recovered
    assert rows["Tiny Lab"][1:4] == (None, None, None)
    hidden_elsewhere = [
        cell for label, r in rows.items() if label != "Tiny Lab" for cell in r[1:4] if cell is None
    ]
    assert hidden_elsewhere
    # rates over hidden or small denominators are hidden
    assert rows["Tiny Lab"][4] is None
    # Surgery: 12 of 20 when shown
    if rows["Surgery"][1] is not None and rows["Surgery"][3] is not None:
        assert rows["Surgery"][4] == pytest.approx(12 / 20)
    from ristra.analytics import suppression as sup

    matrix = [[9, 7], [12, 8], [1, 1]]
    published = sup.suppress_table(matrix, policy=sup.SuppressionPolicy(5, 5))
    assert sup.check_no_disclosure(published, matrix) == []
    assert [list(r[1:3]) for r in table.rows[:3]] == published.values


@pytest.mark.django_db
def test_response_rates_by_unit_do_not_need_the_setting(survey_factory: Any) -> None:
    survey = survey_factory(mode="invitations", carry_unit=False)
    invitations = _invite(survey, {"Surgery": 10, "Medicine": 10})
    _answer(invitations[:14])
    report = build_report(survey, breakdowns=True)
    assert _section(report, "response_rate_unit").rows
    assert UNIT_KEY not in split_keys(survey)
    assert not any(UNIT_KEY in d for d in Response.objects.values_list("demographics", flat=True))
    assert not any(s.key == f"by_{UNIT_KEY}" for s in report.sections)
    # no breakdowns for a decision-maker: no rates by unit either
    keys = [s.key for s in build_report(survey, breakdowns=False).sections]
    assert "response_rate_unit" not in keys


# ---------------------------------------------------------------------- scores by unit
@pytest.mark.django_db
def test_a_response_carries_only_its_unit_label_and_a_small_unit_is_pooled(survey_factory: Any):
    survey = survey_factory(mode="invitations", carry_unit=True)
    invitations = _invite(survey, {"Surgery": 8, "Tiny Lab": 3, "": 2})
    _answer(invitations)
    stored = sorted(
        d.get(UNIT_KEY, "") for d in Response.objects.values_list("demographics", flat=True)
    )
    # Tiny Lab (3 invitees) and the two people without a unit share the pooled label
    assert stored == [POOLED] * 5 + ["Surgery"] * 8
    # a label a respondent sends cannot replace the person record's
    more = _invite(survey, {"Surgery": 1})
    services.response_submit_invitation(
        invitation_id=more[0].pk,
        answers=services.Answers({"con1": 3}, {UNIT_KEY: "Tiny Lab", "role": "Staff"}),
    )
    assert "Tiny Lab" not in _stored_units()


@pytest.mark.django_db
def test_closing_pools_units_with_too_few_responses(survey_factory: Any) -> None:
    survey = survey_factory(mode="invitations", carry_unit=True)
    invitations = _invite(survey, {"Surgery": 10, "Medicine": 10, "Pathology": 10})
    units: dict[str, list] = {}
    for i in invitations:
        units.setdefault(i.unit, []).append(i)
    _answer(units["Surgery"][:7] + units["Medicine"][:6] + units["Pathology"][:2])
    assert _stored_units().count("Pathology") == 2
    services.survey_set_status(survey=survey, status="closed")
    stored: dict[str, int] = {}
    for d in Response.objects.filter(survey=survey).values_list("demographics", flat=True):
        stored[d[UNIT_KEY]] = stored.get(d[UNIT_KEY], 0) + 1
    # Pathology's 2 alone would be too few: the smallest other unit joins the pool
    assert stored == {"Surgery": 7, POOLED: 8}
    assert all(n >= survey.min_group for n in stored.values())


@pytest.mark.django_db
def test_scores_by_unit_follow_the_minimum_group_and_the_filter_rules(survey_factory: Any):
    survey = survey_factory(mode="invitations", carry_unit=True, filter_split=UNIT_KEY)
    invitations = _invite(survey, {"Surgery": 12, "Medicine": 12, "Pathology": 5})
    units: dict[str, list] = {}
    for i in invitations:
        units.setdefault(i.unit, []).append(i)
    _answer(units["Surgery"][:10] + units["Medicine"][:8] + units["Pathology"][:5])
    assert UNIT_KEY in split_keys(survey)
    report = build_report(survey, breakdowns=True, by=UNIT_KEY)
    table = _section(report, f"by_{UNIT_KEY}")
    assert table.columns[0].label == "Unit (person record)"
    rows = {r[0]: r for r in table.rows}
    assert rows["Surgery"][1] == 10 and rows["Medicine"][1] == 8 and rows["Pathology"][1] == 5
    assert rows["Other units (each too small to show)"][1] is None  # empty: shown like hidden
    # Within one unit (the filter question), broken down by the other questions
    within = build_report(survey, breakdowns=True, within="Surgery")
    assert _section(within, "scores").rows[0][2] == 10
    # A decision-maker gets no breakdown by unit
    assert not any(
        s.key == f"by_{UNIT_KEY}" for s in build_report(survey, breakdowns=False).sections
    )


@pytest.mark.django_db
def test_a_small_unit_in_the_scores_is_hidden_with_a_complement(survey_factory: Any) -> None:
    survey = survey_factory(mode="invitations", carry_unit=True, min_group=5)
    invitations = _invite(survey, {"Surgery": 12, "Medicine": 12, "Pathology": 6})
    units: dict[str, list] = {}
    for i in invitations:
        units.setdefault(i.unit, []).append(i)
    # Still open: Pathology's 3 responses keep their label, the results hide them
    _answer(units["Surgery"][:10] + units["Medicine"][:8] + units["Pathology"][:3])
    table = _section(build_report(survey, breakdowns=True, by=UNIT_KEY), f"by_{UNIT_KEY}")
    rows = {r[0]: r for r in table.rows}
    assert rows["Pathology"][1] is None
    assert rows["Medicine"][1] is None  # complementary: everyone minus the shown groups
    assert rows["Surgery"][1] == 10


# ------------------------------------------------------------------------ screens, roles
@pytest.mark.django_db
def test_the_results_page_and_downloads_show_units(client_for: Any, survey_factory: Any):
    survey = survey_factory(mode="invitations", carry_unit=True, filter_split=UNIT_KEY)
    invitations = _invite(survey, {"Surgery": 12, "Medicine": 12})
    _answer(invitations[:10] + invitations[12:20])
    url = reverse("surveys:results", args=[survey.pk])
    client = client_for("analyst")
    body = client.get(url, {"by": UNIT_KEY}).content.decode()
    assert "Response rate by unit" in body and "Unit (person record)" in body
    assert '<option value="Surgery"' in body  # the unit is the filter question
    body = client.get(url, {"within": "Surgery", "by": "role"}).content.decode()
    assert "Only respondents who answered" in body
    for fmt in ("csv", "xlsx", "pdf"):
        download = client.get(url, {"format": fmt, "by": UNIT_KEY})
        assert download.status_code == 200
    csv = client.get(url, {"format": "csv"}).content.decode()
    assert "Response rate by unit" in csv and "Surgery" in csv
    # Roles: the decision-maker sees no unit breakdown; the outsider nothing at all
    survey.published = True
    survey.save()
    body = client_for("decider").get(url).content.decode()
    assert "Response rate by unit" not in body and "Unit (person record)" not in body
    assert client_for("outsider").get(url).status_code in (403, 404)


@pytest.mark.django_db
def test_a_new_survey_carries_units_only_with_invitations(client_for: Any) -> None:
    from ristra.surveys.models import Survey
    from ristra.surveys.tests.conftest import example_text

    data = {
        "s-title": "Climate",
        "s-wave": "2027",
        "s-mode": "link",
        "s-min_group": 5,
        "s-min_comments": 10,
        "s-carry_unit": "on",
        "s-filter_split": UNIT_KEY,
        "i-text": example_text(),
        "i-fmt": "yaml",
    }
    client = client_for("analyst")
    page = client.get(reverse("surveys:new")).content.decode()
    assert "carry each invitee" in page.lower()
    response = client.post(reverse("surveys:new"), data)
    assert response.status_code == 200
    assert "Only personal invitations know" in response.content.decode()
    response = client.post(reverse("surveys:new"), {**data, "s-mode": "invitations"})
    assert response.status_code == 302
    survey = Survey.objects.get(wave="2027")
    assert survey.carry_unit and survey.filter_split == UNIT_KEY
    # off by default
    response = client.post(
        reverse("surveys:new"),
        {k: v for k, v in data.items() if k not in ("s-carry_unit", "s-filter_split")}
        | {"s-wave": "2028"},
    )
    assert response.status_code == 302
    assert Survey.objects.get(wave="2028").carry_unit is False


@pytest.mark.django_db
def test_no_unit_table_when_no_invitee_has_a_unit(survey_factory: Any) -> None:
    survey = survey_factory(mode="invitations")
    invitations = _invite(survey, {"": 12})
    _answer(invitations[:8])
    keys = [s.key for s in build_report(survey, breakdowns=True).sections]
    assert "response_rate" in keys and "response_rate_unit" not in keys
